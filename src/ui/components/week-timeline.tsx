/**
 * A schedule as a week picture: seven rows Monday to Sunday, a 24-hour axis, a block for each range,
 * and a marker at the current moment in the policy's time zone.
 */
import type { TimeRange } from '../api-types.js';
import { useApp } from '../app-context.js';
import { t } from '../i18n.js';
import { DAY_KEYS, dayShort, describeRange, segmentsOf } from '../schedule-ranges.js';
import { clock, zonedParts } from '../time-format.js';
import { useWidth } from '../use-width.js';

const ROW = 22;
const GAP = 6;
const LEFT = 40;
const RIGHT = 12;
const TOP = 4;
const AXIS = 22;

export function WeekTimeline(props: { name: string; ranges: readonly TimeRange[]; now: number; holidayToday?: boolean }) {
  const { timezone, lang } = useApp();
  const [ref, width] = useWidth<HTMLDivElement>(640);
  const w = Math.max(240, width);
  const plotW = w - LEFT - RIGHT;
  const height = TOP + 7 * (ROW + GAP) + AXIS;
  const x = (minutes: number) => LEFT + (minutes / 1440) * plotW;
  const segments = segmentsOf(props.ranges);
  const now = zonedParts(props.now, timezone);
  const nowX = x(now.hour * 60 + now.minute);
  const nowY = TOP + now.weekday * (ROW + GAP);
  const every = plotW < 400 ? 6 : 3;
  const hours: number[] = [];
  for (let h = 0; h <= 24; h += every) hours.push(h);
  const summary = props.ranges.map((r) => describeRange(r, lang)).join('; ');

  return (
    <div class="timeline" ref={ref} data-testid={`timeline-${props.name}`}>
      <svg width={w} height={height} viewBox={`0 0 ${w} ${height}`} role="img"
        aria-label={t('policy.timeline.label', { name: props.name, ranges: summary })}>
        {hours.map((h) => (
          <g key={h}>
            <line class="grid grid-v" x1={x(h * 60)} x2={x(h * 60)} y1={TOP} y2={TOP + 7 * (ROW + GAP) - GAP} />
            <text class="axis" x={x(h * 60)} y={height - 6} text-anchor={h === 0 ? 'start' : h === 24 ? 'end' : 'middle'}>
              {clock(h, 0, lang)}
            </text>
          </g>
        ))}
        {DAY_KEYS.map((_, day) => {
          const label = dayShort(day, lang);
          const y = TOP + day * (ROW + GAP);
          return (
            <g key={label} class={day === now.weekday ? 'today' : undefined}>
              <text class="day-label" x={0} y={y + ROW / 2 + 4}>{label}</text>
              <rect class="day-track" x={LEFT} y={y} width={plotW} height={ROW} rx="3" />
            </g>
          );
        })}
        {segments.map((s) => {
          const y = TOP + s.day * (ROW + GAP);
          const label = `${clock(Math.floor(s.start / 60), s.start % 60, lang)}–${clock(Math.floor(s.end / 60), s.end % 60, lang)}`;
          const bw = x(s.end) - x(s.start);
          return (
            <g key={`${s.day}-${s.start}`}>
              <rect class={`block ${props.holidayToday === true && s.day === now.weekday ? 'block-holiday' : ''}`}
                x={x(s.start)} y={y} width={Math.max(1, bw)} height={ROW} rx="3">
                <title>{label}</title>
              </rect>
              {bw > 86 && <text class="block-label" x={x(s.start) + bw / 2} y={y + ROW / 2 + 4} text-anchor="middle">{label}</text>}
            </g>
          );
        })}
        <line class="now" x1={nowX} x2={nowX} y1={nowY - 3} y2={nowY + ROW + 3} />
        <circle class="now" cx={nowX} cy={nowY - 3} r="3">
          <title>{t('policy.timeline.now')}</title>
        </circle>
      </svg>
    </div>
  );
}
