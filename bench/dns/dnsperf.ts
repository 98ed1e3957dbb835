/**
 * Runs dnsperf against a target and reads its summary: queries per second, latency, lost queries
 * and the response codes (the NXDOMAIN share is a cross-check that blocking held under load).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Endpoint } from './probe.js';
import { startProcess, stopProcess } from './process-group.js';

export interface DnsperfLoad {
  /** -c: simulated clients (source ports). */
  clients: number;
  /** -T: dnsperf threads. */
  threads: number;
  /** -q: queries outstanding at once. */
  outstanding: number;
  /** -l: seconds to run; null runs the file once (-n 1). */
  seconds: number | null;
  /** -t: seconds before an unanswered query counts as lost. */
  timeout: number;
  /** -Q: queries per second at most; null sends as fast as answers come back. */
  maxQps?: number | null;
}

export interface DnsperfResult {
  sent: number;
  completed: number;
  lost: number;
  qps: number;
  avgLatencyMs: number;
  minLatencyMs: number;
  maxLatencyMs: number;
  stddevLatencyMs: number;
  runSeconds: number;
  rcodes: Record<string, number>;
  args: string[];
}

function numberAfter(text: string, label: string): number {
  const match = new RegExp(`${label}:?\\s+([0-9.]+)`).exec(text);
  if (!match) throw new Error(`dnsperf output has no "${label}"`);
  return Number(match[1]);
}

/** Reads dnsperf's statistics block. */
export function parseDnsperf(text: string, args: string[]): DnsperfResult {
  const latency = /Average Latency \(s\):\s+([0-9.]+) \(min ([0-9.]+), max ([0-9.]+)\)/.exec(text);
  if (!latency) throw new Error('dnsperf output has no "Average Latency"');
  const rcodes: Record<string, number> = {};
  const codes = /Response codes:\s+(.*)/.exec(text)?.[1] ?? '';
  for (const match of codes.matchAll(/([A-Z]+) (\d+)/g)) rcodes[match[1]!] = Number(match[2]);
  return {
    sent: numberAfter(text, 'Queries sent'),
    completed: numberAfter(text, 'Queries completed'),
    lost: numberAfter(text, 'Queries lost'),
    qps: numberAfter(text, 'Queries per second'),
    avgLatencyMs: Number(latency[1]) * 1000,
    minLatencyMs: Number(latency[2]) * 1000,
    maxLatencyMs: Number(latency[3]) * 1000,
    stddevLatencyMs: numberAfter(text, 'Latency StdDev \\(s\\)') * 1000,
    runSeconds: numberAfter(text, 'Run time \\(s\\)'),
    rcodes,
    args,
  };
}

/** Runs dnsperf once over `queryFile`; its full output is kept at `logPath`. */
export async function runDnsperf(dnsperf: string, endpoint: Endpoint, queryFile: string, load: DnsperfLoad, logPath: string): Promise<DnsperfResult> {
  const args = [
    '-s', endpoint.host, '-p', String(endpoint.port), '-d', queryFile,
    '-c', String(load.clients), '-T', String(load.threads), '-q', String(load.outstanding),
    '-t', String(load.timeout),
    ...(load.seconds === null ? ['-n', '1'] : ['-l', String(load.seconds)]),
    ...(load.maxQps ? ['-Q', String(load.maxQps)] : []),
  ];
  writeFileSync(logPath, `# dnsperf ${args.join(' ')}\n`);
  const proc = startProcess('dnsperf', dnsperf, args, { logPath });
  const limitMs = ((load.seconds ?? 600) + load.timeout + 30) * 1000;
  const timer = setTimeout(() => void stopProcess(proc), limitMs);
  const code = await proc.exited;
  clearTimeout(timer);
  const text = readFileSync(logPath, 'utf8');
  if (code !== 0) throw new Error(`dnsperf exited with ${code}; see ${logPath}`);
  return parseDnsperf(text, args);
}
