import type { CalendarYear } from './calendar-year.js';

/**
 * 2025: SKB Menteri Agama, Menteri Ketenagakerjaan and Menteri PANRB Nomor 1017 Tahun 2024, Nomor 2
 * Tahun 2024 and Nomor 2 Tahun 2024 tentang Hari Libur Nasional dan Cuti Bersama Tahun 2025, signed
 * on 14 October 2024: 17 national holidays and 10 days of cuti bersama.
 */
export const INDONESIA_2025: CalendarYear = {
  year: 2025,
  decree: {
    numbers: 'SKB Nomor 1017 Tahun 2024, Nomor 2 Tahun 2024, Nomor 2 Tahun 2024',
    signed: '2024-10-14',
    note: 'Dates and names as published by the Cabinet Secretariat and Kemenko PMK; read from the pages in sources, not from the decree text itself',
  },
  holidays: [
    { date: '2025-01-01', name: 'Tahun Baru 2025 Masehi', kind: 'libur' },
    { date: '2025-01-27', name: 'Isra Mikraj Nabi Muhammad SAW', kind: 'libur' },
    { date: '2025-01-28', name: 'Cuti bersama Tahun Baru Imlek', kind: 'cuti' },
    { date: '2025-01-29', name: 'Tahun Baru Imlek 2576 Kongzili', kind: 'libur' },
    { date: '2025-03-28', name: 'Cuti bersama Hari Suci Nyepi', kind: 'cuti' },
    { date: '2025-03-29', name: 'Hari Suci Nyepi (Tahun Baru Saka 1947)', kind: 'libur' },
    { date: '2025-03-31', name: 'Idulfitri 1446 H', kind: 'libur' },
    { date: '2025-04-01', name: 'Idulfitri 1446 H', kind: 'libur' },
    { date: '2025-04-02', name: 'Cuti bersama Idulfitri 1446 H', kind: 'cuti' },
    { date: '2025-04-03', name: 'Cuti bersama Idulfitri 1446 H', kind: 'cuti' },
    { date: '2025-04-04', name: 'Cuti bersama Idulfitri 1446 H', kind: 'cuti' },
    { date: '2025-04-07', name: 'Cuti bersama Idulfitri 1446 H', kind: 'cuti' },
    { date: '2025-04-18', name: 'Wafat Yesus Kristus', kind: 'libur' },
    { date: '2025-04-20', name: 'Kebangkitan Yesus Kristus (Paskah)', kind: 'libur' },
    { date: '2025-05-01', name: 'Hari Buruh Internasional', kind: 'libur' },
    { date: '2025-05-12', name: 'Hari Raya Waisak 2569 BE', kind: 'libur' },
    { date: '2025-05-13', name: 'Cuti bersama Hari Raya Waisak', kind: 'cuti' },
    { date: '2025-05-29', name: 'Kenaikan Yesus Kristus', kind: 'libur' },
    { date: '2025-05-30', name: 'Cuti bersama Kenaikan Yesus Kristus', kind: 'cuti' },
    { date: '2025-06-01', name: 'Hari Lahir Pancasila', kind: 'libur' },
    { date: '2025-06-06', name: 'Iduladha 1446 H', kind: 'libur' },
    { date: '2025-06-09', name: 'Cuti bersama Iduladha 1446 H', kind: 'cuti' },
    { date: '2025-06-27', name: 'Tahun Baru Islam 1447 H', kind: 'libur' },
    { date: '2025-08-17', name: 'Proklamasi Kemerdekaan', kind: 'libur' },
    { date: '2025-09-05', name: 'Maulid Nabi Muhammad SAW', kind: 'libur' },
    { date: '2025-12-25', name: 'Kelahiran Yesus Kristus', kind: 'libur' },
    { date: '2025-12-26', name: 'Cuti bersama Kelahiran Yesus Kristus', kind: 'cuti' },
  ],
  ramadan: {
    from: '2025-03-01',
    to: '2025-03-30',
    note: '1 Ramadan 1446 H = Saturday 1 March 2025 (sidang isbat of 28 February 2025); Idulfitri on 31 March 2025 as decreed, so the last day of Ramadan is 30 March',
  },
  sources: [
    'https://menpan.go.id/site/berita-foto/penandatanganan-skb-hari-libur-nasional-dan-cuti-bersama-2025 (signing on 14 October 2024)',
    'https://rasikapekalongan.com/cek-libur-nasional-dan-cuti-bersama-tahun-2025 (decree numbers, citing the Cabinet Secretariat)',
    'https://radarbandung.id/2024/10/15/berikut-data-fakta-libur-dan-cuti-2025 (list, citing Kemenko PMK)',
    'https://onews.id/alasan-pemerintah-tetapkan-1-ramadan-1446-h-pada-1-maret-2025 (1 Ramadan 1446 H)',
  ],
};
