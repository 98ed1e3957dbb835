/**
 * The shape of one year of Indonesia's civil calendar as rambu ships it: the national holidays and
 * collective leave (cuti bersama) of that year's joint decree of three ministers (SKB 3 Menteri), and
 * the Ramadan span the government set after its sighting sessions (sidang isbat). Every year carries
 * where its facts come from, and says so when one of them could not be checked.
 */

/** `libur`: a national holiday (hari libur nasional); `cuti`: collective leave (cuti bersama). */
export type HolidayKind = 'libur' | 'cuti';

export interface CalendarHoliday {
  /** Local date, YYYY-MM-DD. */
  date: string;
  /** The holiday's name as the decree writes it, in Indonesian. */
  name: string;
  kind: HolidayKind;
}

export interface CalendarYear {
  year: number;
  /** The decree: numbers of the three ministers' decisions and the date it was signed. */
  decree: { numbers: string; signed: string; note: string };
  holidays: readonly CalendarHoliday[];
  /**
   * First and last day of Ramadan (inclusive), or null when the year's span is not known yet.
   * Working hours during Ramadan are the office's own ranges (`periods`), not data here.
   */
  ramadan: { from: string; to: string; note: string } | null;
  /** Where the facts were read (public pages), for anyone checking them again. */
  sources: readonly string[];
}
