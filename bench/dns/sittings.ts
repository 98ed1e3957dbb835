/**
 * Several sittings in one report: each cell is the median over the sittings (a sitting's own value
 * being the median of its runs) with the lowest and highest beside it, and each target of the issue
 * gets a verdict, met or missed by how much, on the medians and in how many sittings. Pure functions
 * over plain samples, so that the arithmetic is tested apart from the processes that measured it.
 */

/** The figures a run gives; null where the run did not measure it. */
export const METRICS = [
  'qps', 'avgLatencyMs', 'fixedRateLatencyMs', 'p99LatencyMs', 'lost', 'rssMB', 'firstAnswerSeconds', 'otherDuring',
  'reloadSlowestMs', 'flowsPerSecond', 'flowsLost', 'flowDrops', 'fixedRateFlowsPerSecond',
] as const;
export type Metric = (typeof METRICS)[number];

/** One run of one target in one shape, in one sitting (1-based). */
export interface Sample {
  sitting: number;
  shape: string;
  target: string;
  values: Partial<Record<Metric, number | null>>;
}

/** A cell: the median over the sittings that measured it, and the range. */
export interface Spread { median: number; min: number; max: number; n: number }

/** One row of a shape's table. */
export interface SpreadRow {
  shape: string;
  target: string;
  /** Sittings in the report; `bySitting` has one entry each, null where the run is missing. */
  sittings: number;
  cells: Partial<Record<Metric, Spread>>;
  bySitting: Partial<Record<Metric, (number | null)[]>>;
}

export function median(values: number[]): number {
  if (values.length === 0) throw new RangeError('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Median, lowest and highest of `values`; null when there are none. */
export function spread(values: readonly (number | null | undefined)[]): Spread | null {
  const present = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  if (present.length === 0) return null;
  return { median: median(present), min: Math.min(...present), max: Math.max(...present), n: present.length };
}

/** One row per shape and target, in the order first sampled; sittings numbered 1..`sittings`. */
export function summarizeSittings(samples: readonly Sample[], sittings: number): SpreadRow[] {
  const keys = [...new Map(samples.map((s) => [`${s.shape}\u0000${s.target}`, { shape: s.shape, target: s.target }])).values()];
  return keys.map(({ shape, target }) => {
    const mine = samples.filter((s) => s.shape === shape && s.target === target);
    const row: SpreadRow = { shape, target, sittings, cells: {}, bySitting: {} };
    for (const metric of METRICS) {
      const perSitting = Array.from({ length: sittings }, (_, i) => {
        const values = mine.filter((s) => s.sitting === i + 1).map((s) => s.values[metric]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
        return values.length === 0 ? null : median(values);
      });
      const cell = spread(perSitting);
      if (cell === null) continue;
      row.cells[metric] = cell;
      row.bySitting[metric] = perSitting;
    }
    return row;
  });
}

/** `value` with `digits` decimals and thousands separators; with its range when sittings differ. */
export function formatSpread(cell: Spread | undefined, digits = 0): string {
  if (cell === undefined) return '-';
  const f = (v: number): string => v.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  if (cell.n === 1 || f(cell.min) === f(cell.max)) return f(cell.median);
  return `${f(cell.median)} (${f(cell.min)}-${f(cell.max)})`;
}

/** What a goal compares: a row's metric against a bound, or against a peer's row. */
export interface Goal {
  metric: Metric;
  /** How the goal reads in the report. */
  label: string;
  /** `max`: at most the bound; `min`: at least. */
  direction: 'max' | 'min';
  /** A fixed bound, or `unbound` (that row's value), or `peers` (the highest of the peer rows, for `max`). */
  bound: number | 'unbound' | 'peers';
  unit: string;
  digits: number;
}

/** The targets, for every shape where the metric was measured. */
export const GOALS: readonly Goal[] = [
  { metric: 'qps', label: 'queries/s at least unbound\'s', direction: 'min', bound: 'unbound', unit: 'q/s', digits: 0 },
  { metric: 'fixedRateLatencyMs', label: 'average latency at the fixed rate at most unbound\'s', direction: 'max', bound: 'unbound', unit: 'ms', digits: 3 },
  { metric: 'rssMB', label: 'RSS at most 150 MB', direction: 'max', bound: 150, unit: 'MB', digits: 0 },
  { metric: 'firstAnswerSeconds', label: 'first answer within 2 s', direction: 'max', bound: 2, unit: 's', digits: 2 },
  { metric: 'lost', label: 'no more lost queries than the peers', direction: 'max', bound: 'peers', unit: 'queries', digits: 0 },
  { metric: 'reloadSlowestMs', label: 'slowest answer during reloads at most 50 ms', direction: 'max', bound: 50, unit: 'ms', digits: 1 },
];

export interface Verdict {
  shape: string;
  target: string;
  goal: string;
  /** The median measured, and what it was held against. */
  value: number;
  bound: number;
  met: boolean;
  /** How far off, in the goal's unit and (for bounds other than zero) in per cent of the bound; null when met. */
  missedBy: { amount: number; percent: number | null } | null;
  /** Sittings in which the goal held, of those where both sides were measured. */
  sittingsMet: number;
  sittingsMeasured: number;
  unit: string;
  digits: number;
}

function boundOf(goal: Goal, rows: readonly SpreadRow[], shape: string, peers: readonly string[], sitting: number | null): number | null {
  if (typeof goal.bound === 'number') return goal.bound;
  const valueOf = (row: SpreadRow | undefined): number | null => {
    if (row === undefined) return null;
    if (sitting === null) return row.cells[goal.metric]?.median ?? null;
    return row.bySitting[goal.metric]?.[sitting] ?? null;
  };
  if (goal.bound === 'unbound') return valueOf(rows.find((r) => r.shape === shape && r.target === 'unbound'));
  const values = peers.map((p) => valueOf(rows.find((r) => r.shape === shape && r.target === p))).filter((v): v is number => v !== null);
  return values.length === 0 ? null : Math.max(...values);
}

const holds = (goal: Goal, value: number, bound: number): boolean => (goal.direction === 'min' ? value >= bound : value <= bound);

/**
 * The verdict on each goal for each of `subjects` (rambu's rows) in every shape where both the row
 * and its bound were measured. `peers` are the rows a `peers` bound takes the highest of.
 */
export function verdicts(rows: readonly SpreadRow[], subjects: readonly string[], peers: readonly string[], goals: readonly Goal[] = GOALS): Verdict[] {
  const out: Verdict[] = [];
  for (const row of rows) {
    if (!subjects.includes(row.target)) continue;
    for (const goal of goals) {
      const cell = row.cells[goal.metric];
      const bound = boundOf(goal, rows, row.shape, peers, null);
      if (cell === undefined || bound === null) continue;
      const met = holds(goal, cell.median, bound);
      const amount = Math.abs(cell.median - bound);
      let sittingsMet = 0;
      let sittingsMeasured = 0;
      for (let i = 0; i < row.sittings; i++) {
        const v = row.bySitting[goal.metric]?.[i] ?? null;
        const b = boundOf(goal, rows, row.shape, peers, i);
        if (v === null || b === null) continue;
        sittingsMeasured++;
        if (holds(goal, v, b)) sittingsMet++;
      }
      out.push({
        shape: row.shape, target: row.target, goal: goal.label, value: cell.median, bound, met,
        missedBy: met ? null : { amount, percent: bound === 0 ? null : (amount / bound) * 100 },
        sittingsMet, sittingsMeasured, unit: goal.unit, digits: goal.digits,
      });
    }
  }
  return out;
}

/** `met` or `missed by 16 % (...)`, with the sittings in which it held. */
export function formatVerdict(v: Verdict): string {
  const f = (x: number): string => x.toLocaleString('en', { minimumFractionDigits: v.digits, maximumFractionDigits: v.digits });
  const sittings = v.sittingsMeasured > 1 ? ` (met in ${v.sittingsMet} of ${v.sittingsMeasured} sittings)` : '';
  if (v.missedBy === null) return v.sittingsMeasured > 1 ? `met (in ${v.sittingsMet} of ${v.sittingsMeasured} sittings)` : 'met';
  const percent = v.missedBy.percent === null ? '' : ` = ${v.missedBy.percent.toFixed(1)} %`;
  return `**missed** by ${f(v.missedBy.amount)} ${v.unit}${percent}${sittings}`;
}

/**
 * What a feature costs in queries/s: 1 - with / without, per sitting (where both rows were measured)
 * and over the medians. Null when either row is missing.
 */
export function costOf(rows: readonly SpreadRow[], shape: string, withIt: string, without: string): { median: number; perSitting: number[] } | null {
  const on = rows.find((r) => r.shape === shape && r.target === withIt);
  const off = rows.find((r) => r.shape === shape && r.target === without);
  const onQps = on?.cells.qps;
  const offQps = off?.cells.qps;
  if (onQps === undefined || offQps === undefined || offQps.median === 0) return null;
  const perSitting: number[] = [];
  for (let i = 0; i < on!.sittings; i++) {
    const a = on!.bySitting.qps?.[i] ?? null;
    const b = off!.bySitting.qps?.[i] ?? null;
    if (a !== null && b !== null && b > 0) perSitting.push(1 - a / b);
  }
  return { median: 1 - onQps.median / offQps.median, perSitting };
}
