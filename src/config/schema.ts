/**
 * The one schema of a rambu configuration file. The TypeScript types come from it; the loader
 * validates every file against it (unknown keys are errors) before the policy compiler checks meaning
 * (times, addresses, names that refer to each other). docs/configuration.md documents every key.
 */
import { Type, type Static } from '@sinclair/typebox';

const Strict = { additionalProperties: false } as const;

export const DAY_NAMES = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

const NameList = (description: string) => Type.Array(Type.String({ minLength: 1 }), { description });

export const TimeRangeSchema = Type.Object({
  days: Type.Array(Type.Union(DAY_NAMES.map((d) => Type.Literal(d))), { minItems: 1, description: 'Days the range starts on' }),
  from: Type.String({ description: 'Start, HH:MM, inclusive' }),
  to: Type.String({ description: 'End, HH:MM, exclusive; "24:00" is the end of the day; earlier than from crosses midnight' }),
}, Strict);

export const RuleSchema = Type.Object({
  name: Type.String({ minLength: 1 }),
  block: Type.Optional(NameList('Services or blocklists to block')),
  allow: Type.Optional(NameList('Services or blocklists to allow')),
  groups: Type.Optional(NameList('Groups the rule applies to; default: every client')),
  during: Type.Optional(Type.String({ minLength: 1, description: 'Schedule name; absent: always' })),
  mode: Type.Optional(Type.Union([Type.Literal('enforce'), Type.Literal('monitor')], { description: 'monitor: log what the rule would block and answer as if allowed; default enforce' })),
  startsOn: Type.Optional(Type.String({ description: 'YYYY-MM-DD in the policy time zone: monitor before this date, enforce from it' })),
}, Strict);

export const ExemptionSchema = Type.Object({
  name: Type.String({ minLength: 1 }),
  groups: Type.Optional(NameList('Groups the exemption covers')),
  clients: Type.Optional(NameList('Single addresses or CIDRs the exemption covers')),
  allow: NameList('Services or blocklists allowed'),
  from: Type.Optional(Type.String({ description: 'ISO-8601 instant the exemption starts; default: at once' })),
  until: Type.String({ description: 'ISO-8601 instant the exemption ends (exclusive)' }),
  reason: Type.String({ minLength: 1 }),
}, Strict);

export const BlocklistSchema = Type.Union([
  Type.String({ minLength: 1, description: 'Path of the list file, relative to the config file' }),
  Type.Object({ path: Type.String({ minLength: 1 }), description: Type.Optional(Type.String()) }, Strict),
]);

/** Dated ranges that replace a schedule's weekly ranges on the days from..to (or each Ramadan). */
export const PeriodSchema = Type.Object({
  name: Type.Optional(Type.String({ minLength: 1 })),
  span: Type.Optional(Type.String({ description: '"ramadan": every Ramadan the built-in calendar knows' })),
  from: Type.Optional(Type.String({ description: 'First day, YYYY-MM-DD' })),
  to: Type.Optional(Type.String({ description: 'Last day, YYYY-MM-DD, inclusive' })),
  ranges: Type.Array(TimeRangeSchema, { description: 'Ranges on those days; empty: none' }),
}, Strict);

/** A schedule: its weekly ranges, or `{ weekly, periods }`. */
export const ScheduleConfigSchema = Type.Union([
  Type.Array(TimeRangeSchema, { minItems: 1 }),
  Type.Object({ weekly: Type.Array(TimeRangeSchema, { minItems: 1 }), periods: Type.Optional(Type.Array(PeriodSchema)) }, Strict),
]);

export const HolidaySchema = Type.Union([
  Type.String({ description: 'A date YYYY-MM-DD or a built-in calendar: indonesia, indonesia-libur-nasional' }),
  Type.Object({ date: Type.String(), name: Type.Optional(Type.String()) }, Strict),
]);

export const DnsSchema = Type.Object({
  listen: Type.Optional(Type.Array(Type.String(), { minItems: 1, description: 'host:port to answer on, UDP and TCP; IPv6 in brackets' })),
  upstreams: Type.Optional(Type.Array(Type.String(), { minItems: 1, description: 'udp://host:port, tcp://host:port or tls://host:port[#servername]' })),
  blockResponse: Type.Optional(Type.String({ description: 'nxdomain | nullip | refused | an IPv4/IPv6 address of a block page' })),
  blockTtl: Type.Optional(Type.Integer({ minimum: 0, maximum: 10, description: 'TTL and SOA minimum of block answers, seconds' })),
  timeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 30000, description: 'Total time an upstream query may take before SERVFAIL' })),
  cache: Type.Optional(Type.Object({
    size: Type.Optional(Type.Integer({ minimum: 0, description: 'Maximum cached answers; 0 disables the cache' })),
    minTtl: Type.Optional(Type.Integer({ minimum: 0 })),
    maxTtl: Type.Optional(Type.Integer({ minimum: 1 })),
    negativeMaxTtl: Type.Optional(Type.Integer({ minimum: 0 })),
    serveStale: Type.Optional(Type.Integer({ minimum: 0, maximum: 604_800, description: 'Seconds past expiry an answer is kept, to be served stale when no upstream answers (RFC 8767); 0 disables' })),
  }, Strict)),
  allowFrom: Type.Optional(Type.Array(Type.String(), { description: 'Client networks that get answers; default: loopback and private networks' })),
  rateLimit: Type.Optional(Type.Object({
    qps: Type.Optional(Type.Number({ minimum: 0, description: 'Sustained queries per second per client; 0 disables' })),
    burst: Type.Optional(Type.Integer({ minimum: 1 })),
    action: Type.Optional(Type.Union([Type.Literal('refused'), Type.Literal('drop')])),
  }, Strict)),
  workers: Type.Optional(Type.Integer({ minimum: 1, maximum: 64, description: 'DNS threads reading the same sockets' })),
  udpBatch: Type.Optional(Type.Boolean({ description: 'Read and answer UDP in batches (recvmmsg/sendmmsg) where the native reader is built; default true' })),
  upstreamCaFile: Type.Optional(Type.String({ minLength: 1, description: 'PEM file of CA certificates trusted for tls:// upstreams besides the default roots; relative to the config file' })),
}, Strict);

export const WebSchema = Type.Object({
  listen: Type.Optional(Type.String({ description: 'host:port of the console; default 127.0.0.1:8080' })),
  enabled: Type.Optional(Type.Boolean()),
  secureCookies: Type.Optional(Type.Boolean({ description: 'Mark the session cookie Secure (behind TLS)' })),
  trustProxy: Type.Optional(Type.Union([Type.Boolean(), Type.Array(Type.String({ minLength: 1 }))], { description: 'Addresses or CIDRs of the reverse proxies whose X-Forwarded-For is believed; true is refused' })),
  sessionHours: Type.Optional(Type.Integer({ minimum: 1, maximum: 720 })),
  maxExemptionDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3660, description: 'Longest exemption an operator may create from the console, days; default 31' })),
}, Strict);

export const StorageSchema = Type.Object({
  path: Type.Optional(Type.String({ description: 'Data directory; relative to the config file' })),
  retentionDays: Type.Optional(Type.Integer({ minimum: 1, description: 'Days of query log kept' })),
  backend: Type.Optional(Type.Union([Type.Literal('sqlite'), Type.Literal('postgres')], { description: 'Where users, sessions, exemptions and the audit log live' })),
  url: Type.Optional(Type.String({ description: 'postgres://user@host:port/database of the shared store' })),
  passwordFile: Type.Optional(Type.String({ description: 'File holding the PostgreSQL password; relative to the config file' })),
  gatewayName: Type.Optional(Type.String({ description: "This gateway's name in the shared store; default the host name" })),
}, Strict);

export const AnswersSchema = Type.Object({
  enabled: Type.Optional(Type.Boolean({ description: 'Keep the answer index (flow attribution and enforcement need it); default: true when flows.listen or enforce is set' })),
  graceSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 604800, description: 'Seconds an answer is remembered past its TTL (open connections outlive it); default 3600' })),
  maxPerClient: Type.Optional(Type.Integer({ minimum: 1, description: 'Answers remembered per client; default 2000' })),
  maxEntries: Type.Optional(Type.Integer({ minimum: 1, description: 'Answers remembered in total; default 1000000' })),
}, Strict);

export const LogSchema = Type.Object({
  level: Type.Optional(Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)))),
}, Strict);

export const FlowsSchema = Type.Object({
  listen: Type.Optional(Type.String({ description: 'host:port of the NetFlow v5/v9/IPFIX collector (UDP), such as "0.0.0.0:2055"; absent: no collector' })),
  exporters: Type.Optional(Type.Array(Type.String(), { description: 'Addresses or CIDRs allowed to send flows; default: any' })),
  retentionDays: Type.Optional(Type.Integer({ minimum: 1, description: 'Days of flow aggregates kept' })),
  sampling: Type.Optional(Type.Array(Type.Object({
    exporter: Type.String({ minLength: 1, description: 'Address or CIDR of the exporter that samples' }),
    rate: Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'One packet in this many is sampled: bytes and packets are multiplied by it' }),
  }, Strict), { description: 'Sampling rates of exporters that sample without saying so in options data; a rate the exporter announces wins' })),
}, Strict);

export const ProbeSchema = Type.Object({
  name: Type.String({ minLength: 1, description: 'Name of the critical service, as reports show it' }),
  url: Type.String({ minLength: 1, description: 'http:// or https:// URL requested' }),
  interval: Type.Optional(Type.Integer({ minimum: 5, maximum: 86_400, description: 'Seconds between requests; default 60' })),
  timeout: Type.Optional(Type.Integer({ minimum: 1, maximum: 120, description: 'Seconds a request may take in all; default 10' })),
  expectStatus: Type.Optional(Type.Integer({ minimum: 100, maximum: 599, description: 'HTTP status that counts as available; default any 2xx or 3xx' })),
}, Strict);

export const EnforceSchema = Type.Object({
  backend: Type.Union([Type.Literal('nftables'), Type.Literal('routeros')], { description: 'nftables: rambu runs on the Linux router and owns table inet rambu; routeros: rambu drives a MikroTik router through its REST API' }),
  dnsRedirect: Type.Optional(Type.Boolean({ description: "Redirect clients' DNS (UDP/TCP 53) to other resolvers to rambu, reject DNS over TLS (TCP 853) except to rambu's upstreams and, where doh-bypass is blocked, HTTPS to known DoH resolvers; default false" })),
  lanInterfaces: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 15 }), { description: 'Interfaces the office clients are on: DNS is redirected only from them; default: from any client that dns.allowFrom admits' })),
  officeNetworks: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: "The office's own networks (public servers included): never cut, whatever an upstream answers" })),
  privateRanges: Type.Optional(Type.Boolean({ description: 'Never cut the private and shared ranges (RFC 1918, RFC 6598, RFC 4193); default true' })),
  dedicated: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: "Domain suffixes whose addresses serve only their service, besides the catalog's: they get standing rejects, not only the cut at the boundary" })),
  routeros: Type.Optional(Type.Object({
    url: Type.String({ minLength: 1, description: "https:// URL of the router's REST API (RouterOS v7), such as https://192.168.88.1" }),
    username: Type.String({ minLength: 1, description: 'RouterOS user with the rights to change firewall address lists and connections' }),
    passwordFile: Type.String({ minLength: 1, description: "File holding that user's password; relative to the config file" }),
    caFile: Type.Optional(Type.String({ minLength: 1, description: "PEM file of the CA that signed the router's certificate; relative to the config file" })),
  }, Strict)),
}, Strict);

export const ConfigSchema = Type.Object({
  timezone: Type.Optional(Type.String({ description: 'IANA time zone of schedules; default Asia/Jakarta' })),
  holidays: Type.Optional(Type.Array(HolidaySchema)),
  workdays: Type.Optional(Type.Array(Type.String(), { description: 'Built-in holidays worked anyway (a holiday moved after the sighting), YYYY-MM-DD' })),
  schedules: Type.Optional(Type.Record(Type.String(), ScheduleConfigSchema)),
  groups: Type.Optional(Type.Record(Type.String(), Type.Array(Type.String(), { minItems: 1 }))),
  services: Type.Optional(Type.Record(Type.String(), Type.Array(Type.String(), { minItems: 1 }))),
  blocklists: Type.Optional(Type.Record(Type.String(), BlocklistSchema)),
  rules: Type.Optional(Type.Array(RuleSchema)),
  exemptions: Type.Optional(Type.Array(ExemptionSchema)),
  dns: Type.Optional(DnsSchema),
  web: Type.Optional(WebSchema),
  storage: Type.Optional(StorageSchema),
  answers: Type.Optional(AnswersSchema),
  log: Type.Optional(LogSchema),
  flows: Type.Optional(FlowsSchema),
  probes: Type.Optional(Type.Array(ProbeSchema)),
  enforce: Type.Optional(EnforceSchema),
}, Strict);

export type Config = Static<typeof ConfigSchema>;
export type TimeRangeConfig = Static<typeof TimeRangeSchema>;
export type PeriodConfig = Static<typeof PeriodSchema>;
export type RuleConfig = Static<typeof RuleSchema>;
export type ExemptionConfig = Static<typeof ExemptionSchema>;
export type DnsConfig = Static<typeof DnsSchema>;
export type WebConfig = Static<typeof WebSchema>;
export type StorageConfig = Static<typeof StorageSchema>;
export type FlowsConfig = Static<typeof FlowsSchema>;
export type ProbeConfig = Static<typeof ProbeSchema>;
export type EnforceConfig = Static<typeof EnforceSchema>;
export type DayName = (typeof DAY_NAMES)[number];
