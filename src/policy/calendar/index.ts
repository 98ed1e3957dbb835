/**
 * The office calendar: Indonesia's national holidays and cuti bersama as data with their decrees,
 * the Ramadan spans, the office's own holidays and workdays, and dated periods of schedules.
 */
export type { CalendarHoliday, CalendarYear, HolidayKind } from './calendar-year.js';
export { CALENDAR_NAMES, CALENDAR_YEARS, RAMADAN, calendarDataEnd, calendarHolidays, isCalendarName, ramadanSpans, type CalendarName } from './builtin-calendars.js';
export { resolveCalendar, type HolidayEntry, type OfficeCalendar } from './resolve-calendar.js';
export { compilePeriods, type DatedPeriod, type PeriodConfig } from './compile-periods.js';
export { calendarOutlook, COVERAGE_DAYS, type CalendarOutlook } from './outlook.js';
export { calendarDays, type CalendarDay } from './calendar-days.js';
