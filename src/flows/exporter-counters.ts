/** What the collector counts for each exporter, exposed on /metrics and in logs. */
export interface ExporterCounters {
  /** Export packets received (decoded or not). */
  packets: number;
  /** Flow records decoded and passed on. */
  records: number;
  /** Packets or sets rejected, by RambuError code (RAMBU_FLOW_*). */
  errors: Record<string, number>;
  /** Times the sequence number skipped ahead. */
  sequenceGaps: number;
  /** Units skipped over in those gaps: flows (v5), packets (v9) or data records (IPFIX). */
  sequenceMissing: number;
  /** Data sets that arrived before their template and were held. */
  buffered: number;
  /** Held data sets whose template never came (dropped at expiry or to stay within the buffer). */
  noTemplate: number;
  /** Records dropped because their counts cannot be true. */
  absurd: number;
  /** Templates refused because the domain already holds the most it may. */
  templatesRefused: number;
}

export function emptyCounters(): ExporterCounters {
  return { packets: 0, records: 0, errors: {}, sequenceGaps: 0, sequenceMissing: 0, buffered: 0, noTemplate: 0, absurd: 0, templatesRefused: 0 };
}
