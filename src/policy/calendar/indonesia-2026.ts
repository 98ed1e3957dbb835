import type { CalendarYear } from './calendar-year.js';

/**
 * 2026: SKB Menteri Agama, Menteri Ketenagakerjaan and Menteri PANRB Nomor 1497 Tahun 2025, Nomor 2
 * Tahun 2025 and Nomor 5 Tahun 2025 tentang Hari Libur Nasional dan Cuti Bersama Tahun 2026:
 * 17 national holidays and 8 days of cuti bersama.
 */
export const INDONESIA_2026: CalendarYear = {
  year: 2026,
  decree: {
    numbers: 'SKB Nomor 1497 Tahun 2025, Nomor 2 Tahun 2025, Nomor 5 Tahun 2025',
    signed: '2025-09-19',
    note: 'Signed and announced at Kemenko PMK on 19 September 2025 by most reports; one secondary page dates the decree 19 November 2025, which could not be checked against the decree text. Dates read from the pages in sources',
  },
  holidays: [
    { date: '2026-01-01', name: 'Tahun Baru 2026 Masehi', kind: 'libur' },
    { date: '2026-01-16', name: 'Isra Mikraj Nabi Muhammad SAW', kind: 'libur' },
    { date: '2026-02-16', name: 'Cuti bersama Tahun Baru Imlek', kind: 'cuti' },
    { date: '2026-02-17', name: 'Tahun Baru Imlek 2577 Kongzili', kind: 'libur' },
    { date: '2026-03-18', name: 'Cuti bersama Hari Suci Nyepi', kind: 'cuti' },
    { date: '2026-03-19', name: 'Hari Suci Nyepi (Tahun Baru Saka 1948)', kind: 'libur' },
    { date: '2026-03-20', name: 'Cuti bersama Idulfitri 1447 H', kind: 'cuti' },
    { date: '2026-03-21', name: 'Idulfitri 1447 H', kind: 'libur' },
    { date: '2026-03-22', name: 'Idulfitri 1447 H', kind: 'libur' },
    { date: '2026-03-23', name: 'Cuti bersama Idulfitri 1447 H', kind: 'cuti' },
    { date: '2026-03-24', name: 'Cuti bersama Idulfitri 1447 H', kind: 'cuti' },
    { date: '2026-04-03', name: 'Wafat Yesus Kristus', kind: 'libur' },
    { date: '2026-04-05', name: 'Kebangkitan Yesus Kristus (Paskah)', kind: 'libur' },
    { date: '2026-05-01', name: 'Hari Buruh Internasional', kind: 'libur' },
    { date: '2026-05-14', name: 'Kenaikan Yesus Kristus', kind: 'libur' },
    { date: '2026-05-15', name: 'Cuti bersama Kenaikan Yesus Kristus', kind: 'cuti' },
    { date: '2026-05-27', name: 'Iduladha 1447 H', kind: 'libur' },
    { date: '2026-05-28', name: 'Cuti bersama Iduladha 1447 H', kind: 'cuti' },
    { date: '2026-05-31', name: 'Hari Raya Waisak 2570 BE', kind: 'libur' },
    { date: '2026-06-01', name: 'Hari Lahir Pancasila', kind: 'libur' },
    { date: '2026-06-16', name: 'Tahun Baru Islam 1448 H', kind: 'libur' },
    { date: '2026-08-17', name: 'Proklamasi Kemerdekaan', kind: 'libur' },
    { date: '2026-08-25', name: 'Maulid Nabi Muhammad SAW', kind: 'libur' },
    { date: '2026-12-24', name: 'Cuti bersama Kelahiran Yesus Kristus', kind: 'cuti' },
    { date: '2026-12-25', name: 'Kelahiran Yesus Kristus', kind: 'libur' },
  ],
  ramadan: {
    from: '2026-02-19',
    to: '2026-03-20',
    note: '1 Ramadan 1447 H = Thursday 19 February 2026 (sidang isbat of 17 February 2026). The last day assumes 1 Syawal on 21 March 2026 as decreed; the result of the sidang isbat of 19 March 2026 could not be verified from the sources at hand',
  },
  sources: [
    'https://disdiksmg.semarangkota.go.id/post-detail/resmi-daftar-hari-libur-nasional-dan-cuti-bersama-tahun-2026-berdasarkan-skb-3-menteri (decree numbers, 17 + 8 days)',
    'https://pembelajaranbermaknaid.blogspot.com/2025/11/skb-3-menteri-rilis-daftar-cuti-bersama.html (dates)',
    'https://mimbarjumat.com/2025/11/26/siap-siap-liburan-pemerintah-tetapkan-25-hari-libur-dan-cuti-bersama-di-2026 (signed 19 September 2025)',
    'https://news.okezone.com/read/2026/02/17/337/3202109/breaking-news-pemerintah-tetapkan-1-ramadhan-1447-hijriah-kamis-19-februari-2026 (1 Ramadan 1447 H)',
  ],
};
