/**
 * `rambu report traffic`: bytes, packets and flows by service, group or client over a time range,
 * from the flow aggregates in the data directory, as a table, JSON (`{"rows":[...]}`) or CSV.
 * `rambu report probes`: each critical service's availability and latency (p50, p95) the same way.
 */
import { ConfigError, formatIssue } from '../errors.js';
import { loadConfigFile } from '../config/index.js';
import { parseInstant } from '../policy/index.js';
import { openStore, TRAFFIC_KEYS, type ProbeSummary, type TrafficKey, type TrafficRange, type TrafficTotal } from '../store/index.js';
import { type CliIo, EXIT, write } from './cli-io.js';
import { formatTable } from './log-command.js';

const REPORTS = ['traffic', 'probes'];

function csvField(text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Rows as CSV with a header line. */
export function trafficCsv(rows: readonly TrafficTotal[]): string {
  return ['key,bytes,packets,flows', ...rows.map((r) => `${csvField(r.key)},${r.bytes},${r.packets},${r.flows}`)].join('\n') + '\n';
}

/** Probe summaries as CSV with a header line; empty cells for no latency. */
export function probesCsv(rows: readonly ProbeSummary[]): string {
  const cell = (v: number | null): string => (v === null ? '' : String(v));
  return ['key,probes,available,availability,p50Ms,p95Ms', ...rows.map((r) => `${csvField(r.key)},${r.probes},${r.available},${r.availability},${cell(r.p50Ms)},${cell(r.p95Ms)}`)].join('\n') + '\n';
}

function printProbes(rows: readonly ProbeSummary[], values: Record<string, string | boolean | undefined>, io: CliIo): void {
  if (values['json'] === true) io.stdout.write(`${JSON.stringify({ rows })}\n`);
  else if (values['csv'] === true) io.stdout.write(probesCsv(rows));
  else if (rows.length === 0) io.stdout.write('no probe results in that range\n');
  else {
    const ms = (v: number | null): string => (v === null ? '-' : v.toFixed(1));
    io.stdout.write(formatTable(['PROBE', 'PROBES', 'AVAILABLE', 'AVAILABILITY', 'P50 MS', 'P95 MS'], rows.map((r) => [
      r.key, String(r.probes), String(r.available), `${(r.availability * 100).toFixed(2)}%`, ms(r.p50Ms), ms(r.p95Ms),
    ])));
  }
}

/** Run `rambu report KIND ...`; resolves to the exit code. */
export async function runReport(kind: string | undefined, values: Record<string, string | boolean | undefined>, io: CliIo): Promise<number> {
  const str = (k: string): string | undefined => (typeof values[k] === 'string' ? values[k] as string : undefined);
  const fail = (message: string): number => { write(io.stderr, `rambu report: ${message}`); return EXIT.INVALID; };
  if (kind === undefined || !REPORTS.includes(kind)) return fail(`unknown report "${kind ?? ''}": expected ${REPORTS.join(', ')}`);
  const config = str('config');
  if (config === undefined) return fail('needs --config FILE');
  const by = str('by');
  if (kind === 'traffic' && (by === undefined || !(TRAFFIC_KEYS as readonly string[]).includes(by))) return fail(`invalid --by "${by ?? ''}": expected ${TRAFFIC_KEYS.join(', ')}`);
  if (kind === 'probes' && by !== undefined) return fail('probes are reported by probe name: --by does not apply');
  if (values['json'] === true && values['csv'] === true) return fail('--json and --csv exclude each other');
  const range: TrafficRange = {};
  for (const key of ['from', 'to'] as const) {
    const text = str(key);
    if (text === undefined) continue;
    const t = parseInstant(text);
    if (t === null) return fail(`invalid --${key} "${text}": expected ISO-8601 with an offset, such as 2026-03-02T07:00:00+07:00`);
    range[key] = t;
  }
  let loaded;
  try {
    loaded = loadConfigFile(config);
  } catch (err) {
    if (err instanceof ConfigError) { write(io.stderr, err.issues.map(formatIssue).join('\n')); return EXIT.INVALID; }
    throw err;
  }
  const store = openStore({ dir: loaded.settings.storage.path, pruneIntervalMs: 0 });
  let rows: TrafficTotal[];
  try {
    if (kind === 'probes') {
      printProbes(await store.probes.summary(range), values, io);
      return EXIT.OK;
    }
    rows = await store.flows.traffic(by as TrafficKey, range);
  } finally {
    await store.close();
  }
  if (values['json'] === true) {
    io.stdout.write(`${JSON.stringify({ rows: rows.map((r) => ({ key: r.key, bytes: r.bytes, packets: r.packets, flows: r.flows })) })}\n`);
  } else if (values['csv'] === true) {
    io.stdout.write(trafficCsv(rows));
  } else if (rows.length === 0) {
    io.stdout.write('no traffic recorded in that range\n');
  } else {
    const total = rows.reduce((n, r) => n + r.bytes, 0);
    io.stdout.write(formatTable([(by ?? '').toUpperCase(), 'BYTES', 'SHARE', 'PACKETS', 'FLOWS'], rows.map((r) => [
      r.key, String(r.bytes), total === 0 ? '-' : `${((r.bytes / total) * 100).toFixed(1)}%`, String(r.packets), String(r.flows),
    ])));
  }
  return EXIT.OK;
}
