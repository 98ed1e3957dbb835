/**
 * The Information Elements the collector reads (IANA "IPFIX Information Elements" registry, RFC 7012;
 * NetFlow v9 field types 1-79 of RFC 3954 section 8 share these numbers). Every other element is
 * skipped by its length.
 */
export const IE = {
  octetDeltaCount: 1,
  packetDeltaCount: 2,
  protocolIdentifier: 4,
  sourceTransportPort: 7,
  sourceIPv4Address: 8,
  destinationTransportPort: 11,
  destinationIPv4Address: 12,
  flowEndSysUpTime: 21,
  flowStartSysUpTime: 22,
  postOctetDeltaCount: 23,
  postPacketDeltaCount: 24,
  sourceIPv6Address: 27,
  destinationIPv6Address: 28,
  /** v9 SAMPLING_INTERVAL: one packet in N sampled. */
  samplingInterval: 34,
  /** v9 FLOW_SAMPLER_RANDOM_INTERVAL. */
  samplerRandomInterval: 50,
  octetTotalCount: 85,
  packetTotalCount: 86,
  flowStartSeconds: 150,
  flowEndSeconds: 151,
  flowStartMilliseconds: 152,
  flowEndMilliseconds: 153,
  flowStartMicroseconds: 154,
  flowEndMicroseconds: 155,
  flowStartNanoseconds: 156,
  flowEndNanoseconds: 157,
  systemInitTimeMilliseconds: 160,
  samplingPacketInterval: 305,
  samplingPacketSpace: 306,
  samplingSize: 309,
  samplingPopulation: 310,
} as const;

/** Field length meaning "variable length" in IPFIX templates (RFC 7011 section 7). */
export const VARIABLE_LENGTH = 65535;

/**
 * Elements whose value is an address and must have exactly this length; every element the collector
 * reads as a number may use reduced-size encoding (RFC 7011 6.2) of 1 to 8 bytes.
 */
export const ADDRESS_LENGTH: ReadonlyMap<number, number> = new Map([
  [IE.sourceIPv4Address, 4], [IE.destinationIPv4Address, 4],
  [IE.sourceIPv6Address, 16], [IE.destinationIPv6Address, 16],
]);

/** Timestamps in NTP format: exactly 8 bytes. */
export const NTP_TIMESTAMP: ReadonlySet<number> = new Set([
  IE.flowStartMicroseconds, IE.flowEndMicroseconds, IE.flowStartNanoseconds, IE.flowEndNanoseconds,
]);
