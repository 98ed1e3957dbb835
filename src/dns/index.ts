/**
 * The DNS gateway: wire codec, UDP/TCP server, upstream forwarding, cache, blocking with
 * schedule-aware TTLs. Other folders import only from here.
 */
export { createDnsServer } from './dns-server.js';
export type { DnsServer, DnsServerOptions, SharedUdpSocket } from './dns-server.js';
export type { QueryLogEntry, QueryAction } from './query-log-entry.js';
export { createDnsStats, registerDnsMetrics, LatencySamples } from './dns-stats.js';
export type { DnsStats } from './dns-stats.js';
export type { UpstreamHealth } from './forwarder.js';
export { BYPASS_SIGNAL_NAMES, BYPASS_SERVICE } from './query-handler.js';
export type { AnswerSink } from './query-handler.js';
export { parseResolvConf, upstreamsFromResolvConf } from './resolv-conf.js';
export { decodeMessage, encodeMessage, readHeader, HEADER_SIZE } from './message-codec.js';
export type { DnsMessage, DecodedMessage, Question, ResourceRecord, EncodeOptions } from './message-codec.js';
export type { RecordData, SoaData, MxData, SrvData } from './record-data.js';
export { characterStrings } from './record-data.js';
export { readEdns, makeOpt, EDNS_DO, MIN_UDP_SIZE, DEFAULT_UDP_SIZE } from './edns.js';
export type { Edns } from './edns.js';
export { RR_TYPE, RR_CLASS, typeName, typeFromName } from './rr-types.js';
export { FLAG, OPCODE, RCODE, rcodeName, rcodeOf, opcodeOf } from './rcodes.js';
export { normalizeName, isSubdomain, MAX_NAME_LENGTH, MAX_LABEL_LENGTH } from './domain-name.js';
export { addDnsStats, emptyDnsStatsSnapshot, snapshotDnsStats, sumDnsStatsInto } from './dns-stats-snapshot.js';
export type { DnsStatsSnapshot } from './dns-stats-snapshot.js';
