/**
 * Flows: NetFlow v5, v9 (RFC 3954) and IPFIX (RFC 7011) decoding with templates per exporter and
 * domain, attribution of each flow to a client, group and service through the answer index, and
 * per-minute aggregates for the store; the UDP collector around them and its /metrics.
 */
export type { FlowRecord } from './flow-record.js';
export { absurdCounts } from './flow-record.js';
export { FlowDecoder, samplingRate, type FlowDecoderOptions } from './flow-decoder.js';
export type { ExporterCounters } from './exporter-counters.js';
export { decodeV5, type V5Header, type V5Packet } from './netflow-v5.js';
export { Attributor, OTHER, remotePrefix, type Attribution, type AttributorOptions } from './attributor.js';
export { MinuteAggregates, OVERFLOW_CLIENT, type TrafficAggregate, type RemoteAggregate } from './minute-aggregates.js';
export { FlowPipeline, type FlowPipelineOptions } from './flow-pipeline.js';
export { createFlowCollector, RECEIVE_BUFFER_BYTES, type FlowCollector, type FlowCollectorOptions, type FlowSink } from './flow-collector.js';
export { registerFlowMetrics, type FlowStats } from './flow-metrics.js';
export { parseUdpDrops, readSocketDrops } from './socket-drops.js';
export type { TemplateSnapshot } from './template-snapshot.js';
