/** The collector's counters on /metrics, per exporter (bounded by the decoder's exporter limit). */
import { Gauge, type Registry } from 'prom-client';
import type { ExporterCounters } from './exporter-counters.js';

/** The collector's counters at one instant, as the collector's thread reports them. */
export interface FlowStats {
  /** Per exporter address (bounded by the decoder's exporter limit). */
  exporters: [string, ExporterCounters][];
  /** Packets from senders outside `flows.exporters`. */
  rejected: number;
  /** Packets from exporters past the decoder's limit. */
  overflow: number;
  /** Aggregate rows written to the store. */
  rowsWritten: number;
  /** Datagrams the kernel dropped on the socket (receive buffer full); null when unknown. */
  socketDrops: number | null;
  /** The socket's receive buffer as the kernel reports it. */
  receiveBufferBytes: number;
}

const PER_EXPORTER: [name: string, help: string, field: keyof Omit<ExporterCounters, 'errors'>][] = [
  ['rambu_flow_packets', 'Flow export packets received, by exporter', 'packets'],
  ['rambu_flow_records', 'Flow records decoded and attributed, by exporter', 'records'],
  ['rambu_flow_sequence_gaps', 'Times an exporter\'s sequence number skipped ahead (lost export packets)', 'sequenceGaps'],
  ['rambu_flow_sequence_missing', 'Units skipped in sequence gaps: flows (v5), packets (v9), data records (IPFIX)', 'sequenceMissing'],
  ['rambu_flow_held_sets', 'Data sets that arrived before their template and were held', 'buffered'],
  ['rambu_flow_no_template_sets', 'Held data sets dropped because their template never came', 'noTemplate'],
  ['rambu_flow_absurd_records', 'Flow records dropped because their byte or packet counts cannot be true', 'absurd'],
  ['rambu_flow_templates_refused', 'Templates refused because the exporter already holds the most allowed', 'templatesRefused'],
];

/** Register the flow gauges on `registry`; they read the collector's counters at scrape time. */
export function registerFlowMetrics(stats: () => FlowStats, registry: Registry): void {
  const counters = (): [string, ExporterCounters][] => stats().exporters;
  for (const [name, help, field] of PER_EXPORTER) {
    new Gauge({
      name, help, labelNames: ['exporter'], registers: [registry],
      collect() {
        this.reset();
        for (const [exporter, c] of counters()) this.set({ exporter }, c[field]);
      },
    });
  }
  new Gauge({
    name: 'rambu_flow_errors', help: 'Flow export packets or sets rejected, by exporter and error code', labelNames: ['exporter', 'code'], registers: [registry],
    collect() {
      this.reset();
      for (const [exporter, c] of counters()) for (const [code, n] of Object.entries(c.errors)) this.set({ exporter, code }, n);
    },
  });
  new Gauge({
    name: 'rambu_flow_rejected_packets', help: 'Flow export packets dropped before decoding: sender outside flows.exporters, or too many exporters',
    labelNames: ['reason'], registers: [registry],
    collect() {
      const s = stats();
      this.set({ reason: 'exporter_not_allowed' }, s.rejected);
      this.set({ reason: 'too_many_exporters' }, s.overflow);
    },
  });
  new Gauge({
    name: 'rambu_flow_aggregate_rows', help: 'Per-minute flow aggregate rows written to the store', registers: [registry],
    collect() { this.set(stats().rowsWritten); },
  });
  new Gauge({
    name: 'rambu_flow_socket_drops', help: 'Flow export datagrams the kernel dropped because the collector\'s receive buffer was full', registers: [registry],
    collect() { const n = stats().socketDrops; if (n !== null) this.set(n); },
  });
  new Gauge({
    name: 'rambu_flow_receive_buffer_bytes', help: 'The flow socket\'s receive buffer (SO_RCVBUF) as the kernel reports it', registers: [registry],
    collect() { this.set(stats().receiveBufferBytes); },
  });
}
