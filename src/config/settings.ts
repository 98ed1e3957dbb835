/**
 * Runtime settings: the `dns`, `web`, `storage` and `log` sections of a config file with every
 * default applied and every string parsed. Subsystems take these, never the raw config.
 */
export type BlockResponse =
  | { kind: 'nxdomain' }
  | { kind: 'nullip' }
  | { kind: 'refused' }
  /** A block-page address: A queries get `v4`, AAAA get `v6`; the missing family gets NODATA. */
  | { kind: 'address'; v4: string | null; v6: string | null };

export interface HostPort { host: string; port: number }

export interface UpstreamSpec {
  protocol: 'udp' | 'tcp' | 'tls';
  host: string;
  port: number;
  /** TLS server name to verify, for tls:// upstreams. */
  serverName: string | null;
  /** The text the user wrote, for logs and metrics. */
  label: string;
  /**
   * For tls:// upstreams: PEM certificates (`dns.upstreamCaFile`) trusted in addition to the
   * default roots. Absent: the default roots only.
   */
  extraCa?: readonly string[];
}

export interface DnsSettings {
  listen: HostPort[];
  /** Empty when the config names none: the server then reads /etc/resolv.conf. */
  upstreams: UpstreamSpec[];
  blockResponse: BlockResponse;
  /** TTL and SOA minimum of block answers, seconds (0..10). */
  blockTtl: number;
  timeoutMs: number;
  /** `serveStale`: seconds an expired answer is kept to be served when no upstream answers; 0 for none. */
  cache: { size: number; minTtl: number; maxTtl: number; negativeMaxTtl: number; serveStale: number };
  /** CIDRs whose clients get answers; everyone else gets REFUSED. */
  allowFrom: string[];
  rateLimit: { qps: number; burst: number; action: 'refused' | 'drop' };
  workers: number;
  /** Batched UDP reads and answers through the native reader, when it was built. */
  udpBatch: boolean;
}

export interface WebSettings {
  enabled: boolean;
  listen: HostPort;
  secureCookies: boolean;
  /** Addresses and CIDRs of the reverse proxies whose X-Forwarded-For is believed; empty: none. */
  trustProxy: string[];
  sessionHours: number;
  /** Longest exemption an operator may create from the console, in days (admins are not bound). */
  maxExemptionDays: number;
}

export interface StorageSettings {
  /** Absolute data directory. */
  path: string;
  retentionDays: number;
  /** Where users, sessions, exemptions and the audit log live; the query log is always local. */
  backend: 'sqlite' | 'postgres';
  /** The shared store's postgres:// URL; null on sqlite. */
  url: string | null;
  /** Absolute path of the file holding the PostgreSQL password, or null. */
  passwordFile: string | null;
  /** This gateway's name in the shared store. */
  gatewayName: string;
}

/** The answer index's lifetime and bounds (see src/answers/). */
export interface AnswersSettings {
  enabled: boolean;
  graceSeconds: number;
  maxPerClient: number;
  maxEntries: number;
}

export interface FlowSettings {
  /** UDP address of the collector; null: no collector. */
  listen: HostPort | null;
  /** Networks allowed to send flows; null: any. */
  exporters: string[] | null;
  retentionDays: number;
  /** Configured sampling rates by exporter address or CIDR, in file order (the first match counts). */
  sampling: { exporter: string; rate: number }[];
}

export interface ProbeSettings {
  name: string;
  url: URL;
  intervalMs: number;
  timeoutMs: number;
  /** Status that counts as available; null: any 2xx or 3xx. */
  expectStatus: number | null;
}

/** The `enforce` section (see src/enforce/): how running streams are cut at the boundary. */
export interface EnforceSettings {
  backend: 'nftables' | 'routeros';
  dnsRedirect: boolean;
  /** Interfaces of the office clients; empty: any client dns.allowFrom admits. */
  lanInterfaces: string[];
  /** Networks never cut besides the built-in special ranges. */
  officeNetworks: string[];
  /** Spare the private and shared ranges. */
  privateRanges: boolean;
  /** Domain suffixes whose addresses are dedicated to their service, besides the catalog's. */
  dedicated: string[];
  /** The router's REST API, for backend routeros; the password file's path is absolute. */
  routeros: { url: string; username: string; passwordFile: string; caFile: string | null } | null;
}

export interface Settings {
  dns: DnsSettings;
  web: WebSettings;
  storage: StorageSettings;
  answers: AnswersSettings;
  log: { level: string };
  flows: FlowSettings;
  probes: ProbeSettings[];
  /** Null when the file has no `enforce` section. */
  enforce: EnforceSettings | null;
}

/** Networks answered by default: loopback, RFC 1918, RFC 6598 shared, link-local, RFC 4193 ULA. */
export const DEFAULT_ALLOW_FROM = [
  '127.0.0.0/8', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '169.254.0.0/16',
  '::1/128', 'fc00::/7', 'fe80::/10',
] as const;
