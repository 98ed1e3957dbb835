/**
 * The flows-receiving row: while DNS is measured, a replayed export (bench/flows/sender.ts, a
 * process of its own) sends rambu's flow collector a steady number of flow records a second; what
 * rambu took and what the kernel dropped come from its /metrics, read before and after.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FlowFormat } from './options.js';
import { startProcess, stopProcess, treeCpuSeconds, type ManagedProcess } from './process-group.js';

export interface FlowFeedOptions {
  /** rambu's collector port on 127.0.0.1. */
  port: number;
  metricsUrl: string;
  format: FlowFormat;
  /** Records a second. */
  rate: number;
  repoRoot: string;
  logPath: string;
}

export interface FlowFeedResult {
  format: FlowFormat;
  rate: number;
  /** Records the sender sent, and over how long. */
  sent: number;
  seconds: number;
  /** Records rambu decoded and attributed meanwhile (rambu_flow_records). */
  received: number;
  /** Datagrams the kernel dropped at the collector's socket (rambu_flow_socket_drops). */
  socketDrops: number;
  /** CPU seconds the sender used while sending. */
  senderCpuSeconds: number;
}

interface FlowCounters { records: number; drops: number }

/** Sums rambu's flow counters out of a Prometheus text page. */
export function parseFlowCounters(text: string): FlowCounters {
  const records = [...text.matchAll(/^rambu_flow_records(?:\{[^}]*\})? (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
  return { records, drops: Number(/^rambu_flow_socket_drops(?:\{[^}]*\})? (\d+)/m.exec(text)?.[1] ?? 0) };
}

async function readCounters(url: string): Promise<FlowCounters> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return parseFlowCounters(await response.text());
}

/** How long the sender may take to build its packets and start. */
const SENDER_START_MS = 30_000;

/** The collector thread hands its counters over once a second. */
const COUNTER_SETTLE_MS = 2500;

export interface FlowFeed {
  /** Stops the sender and reads the counters again. */
  stop: () => Promise<FlowFeedResult>;
  /** CPU seconds of the sender so far. */
  cpuSeconds: () => number;
  /** Stops the sender, if it still runs, without reading anything (after a failure). */
  cancel: () => Promise<void>;
}

/** Starts the sender; it runs until `stop()`. */
export async function startFlowFeed(o: FlowFeedOptions): Promise<FlowFeed> {
  const before = await readCounters(o.metricsUrl);
  const script = join(o.repoRoot, 'dist', 'bench', 'flows', 'sender.js');
  const proc: ManagedProcess = startProcess('flow-sender', process.execPath, [script, String(o.port), o.format, String(o.rate), '3600'], { logPath: o.logPath });
  // The sender builds its packets first (a second or two on a busy machine): the DNS load starts
  // once it is sending, so that the whole load is measured with flows arriving.
  const since = performance.now();
  while (!readFileSync(o.logPath, 'utf8').includes('sending to ')) {
    if (proc.hasExited()) throw new Error(`the flow sender exited before sending; see ${o.logPath}`);
    if (performance.now() - since > SENDER_START_MS) {
      await stopProcess(proc);
      throw new Error(`the flow sender did not start sending within ${SENDER_START_MS / 1000} s; see ${o.logPath}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  // The sender's CPU from its first datagram on, not the building of its packets before.
  const cpuAtStart = treeCpuSeconds(proc.pid);
  let cpu = 0;
  const cpuSeconds = (): number => {
    if (!proc.hasExited()) cpu = Math.max(cpu, treeCpuSeconds(proc.pid) - cpuAtStart);
    return cpu;
  };
  return {
    cpuSeconds,
    cancel: () => stopProcess(proc),
    stop: async () => {
      cpuSeconds();
      await stopProcess(proc);
      const lines = readFileSync(o.logPath, 'utf8').trim().split('\n');
      const last = lines[lines.length - 1] ?? '';
      let report: { sent: number; seconds: number };
      try {
        report = JSON.parse(last) as { sent: number; seconds: number };
      } catch {
        throw new Error(`the flow sender reported nothing; see ${o.logPath}`);
      }
      await new Promise((resolve) => setTimeout(resolve, COUNTER_SETTLE_MS));
      const after = await readCounters(o.metricsUrl);
      return {
        format: o.format, rate: o.rate, sent: report.sent, seconds: report.seconds,
        received: after.records - before.records, socketDrops: after.drops - before.drops, senderCpuSeconds: cpu,
      };
    },
  };
}
