/**
 * The next 14 days as the office lives them: holidays with their names, weekends, and each day's
 * blocking hours with the period that set them (Ramadan hours), not only the weekly pattern.
 */
import type { CalendarDay } from '../api-types.js';
import { useApp } from '../app-context.js';
import { t } from '../i18n.js';
import { formatDayLabel, localClock } from '../time-format.js';

/** How a period is named to staff: the built-in Ramadan span by its name, others as configured. */
export function periodLabel(name: string): string {
  return name === 'ramadan' ? t('status.period.ramadan') : name;
}

/** "08.00–15.00" for every range of every schedule of the day. */
export function dayRanges(day: CalendarDay, lang: 'id' | 'en'): string[] {
  return day.schedules.flatMap((s) => s.ranges.map((r) => `${localClock(r.from, lang)}–${localClock(r.to, lang)}`));
}

export function CalendarStrip(props: { days: readonly CalendarDay[] }) {
  const { lang } = useApp();
  return (
    <ol class="calendar-strip" data-testid="calendar-strip">
      {props.days.map((day, i) => {
        const ranges = dayRanges(day, lang);
        const period = day.schedules.find((s) => s.period !== null)?.period ?? null;
        const kind = day.holiday ? 'day-holiday' : ranges.length === 0 ? 'day-free' : period !== null ? 'day-period' : 'day-work';
        return (
          <li key={day.date} class={`strip-day ${kind} ${i === 0 ? 'strip-today' : ''}`} data-date={day.date} data-kind={kind}>
            <span class="strip-date">{formatDayLabel(day.date, lang)}</span>
            {day.holiday
              ? <span class="strip-what">{day.holidayName ?? t('status.strip.holiday')}</span>
              : ranges.length === 0
                ? <span class="strip-what muted">{t('status.strip.free')}</span>
                : <span class="strip-what">{ranges.join(', ')}{period !== null && <span class="strip-period"> · {periodLabel(period)}</span>}</span>}
          </li>
        );
      })}
    </ol>
  );
}
