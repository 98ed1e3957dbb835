/**
 * The shapes the console reads from the rambu HTTP API (docs/api.md). Instants arrive as ISO-8601
 * strings or epoch milliseconds; {@link toMs} in time-format.ts accepts both.
 */
export type Instant = string | number;

export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface User { username: string; role: Role }

export interface Session { user: User; csrfToken: string }

export interface RuleStatus {
  name: string;
  action: 'block' | 'allow';
  services: string[];
  groups: string[];
  during: string | null;
  /** `monitor`: the rule logs what it would block (before `startsOn`, when given). */
  mode?: 'enforce' | 'monitor';
  startsOn?: string | null;
  /** Whether the rule only monitors now. */
  monitoring?: boolean;
  active: boolean;
  until: Instant | null;
}

/** One day of the status page's calendar strip. */
export interface CalendarDay {
  date: string;
  weekday: string;
  holiday: boolean;
  holidayName: string | null;
  /** Each schedule the rules use: its ranges that day and the dated period that set them. */
  schedules: { name: string; period: string | null; ranges: { from: string; to: string }[] }[];
}

export interface Holiday { date: string; name?: string | null }

export interface TimeRange { days: string[]; from: string; to: string }

export interface ScheduleInfo {
  name: string;
  ranges: TimeRange[];
  /** Whether the schedule applies now (`GET /api/policy`). */
  active?: boolean;
  /** The schedule's next changes and the state each enters (`GET /api/policy`). */
  transitions?: { at: Instant; active: boolean }[];
  /** Dated periods whose ranges replace the weekly ones (Ramadan hours). */
  periods?: { name: string; from: string; to: string; ranges: TimeRange[] }[];
}

export interface NextChange { at: Instant; streamingBlocked?: boolean; rule?: string; active?: boolean }

/** `GET /api/status`: public, no login. */
export interface Status {
  timezone: string;
  now: Instant;
  /** Today in the policy's zone: `date` YYYY-MM-DD, `weekday` mon..sun. */
  today?: { date: string; weekday: string; holiday: boolean; holidayName?: string | null };
  rules: RuleStatus[];
  streamingBlocked: boolean;
  /** The earliest `until` of all rules. */
  nextChange: NextChange | Instant | null;
  /** Whether today is a holiday (older servers sent the list of today's holidays). */
  holidaysToday: boolean | (string | Holiday)[];
  schedules?: ScheduleInfo[];
  /** Today and the next 13 days. */
  days?: CalendarDay[];
  /** Firewall enforcement; null or absent when not configured. */
  enforcement?: Enforcement | null;
}

export interface Enforcement {
  backend: string;
  running: boolean;
  addresses: Record<string, number>;
  sharedAddresses: number;
  lastBoundary: Instant | null;
  lastCutMs: number | null;
  connectionsCut: number;
  nextBoundary: Instant | null;
  lastError: string | null;
}

export interface ServiceInfo {
  name: string;
  builtin?: boolean;
  kind?: 'service' | 'blocklist';
  domains: number | string[];
  sample?: string[];
  source?: string;
}

export interface GroupInfo { name: string; networks: string[] }

export interface RuleInfo { name: string; action: 'block' | 'allow'; services: string[]; groups: string[]; during: string | null; mode?: 'enforce' | 'monitor'; startsOn?: string | null }

/** `GET /api/policy`. */
export interface PolicyView {
  timezone: string;
  holidays: (string | Holiday)[];
  holidayNames?: Record<string, string>;
  calendars?: string[];
  calendarDataEnd?: string | null;
  schedules: ScheduleInfo[];
  groups: GroupInfo[];
  services: ServiceInfo[];
  rules: RuleInfo[];
  exemptions?: Exemption[];
  /** Whether the YAML editor is available (the server has a policy file). */
  editable?: boolean;
}

export interface Exemption {
  id?: number | string;
  name?: string;
  groups?: string[];
  clients?: string[];
  allow: string[];
  from?: Instant | null;
  until: Instant;
  reason: string;
  source?: 'config' | 'console';
  createdBy?: string | null;
  createdAt?: Instant | null;
  revokedBy?: string | null;
  revokedAt?: Instant | null;
  status?: string;
}

export interface QueryEntry {
  id?: number | string;
  time: Instant;
  client: string;
  name: string;
  type?: string | number;
  action: string;
  service?: string | null;
  rule?: string | null;
  exemption?: string | null;
  group?: string | null;
  groups?: string[];
  rcode?: string | number | null;
  latencyMs?: number | null;
  upstream?: string | null;
  cached?: boolean;
  /** The gateway that answered. */
  gateway?: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
  /** The server stopped looking before filling the page; `nextCursor` continues further back. */
  partial?: boolean;
  /** The query log's stored rows are being upgraded after an update: none show until it is done. */
  migrating?: boolean;
}

export interface AuditEntry {
  id?: number | string;
  time: Instant;
  user: string | null;
  action: string;
  target?: string | null;
  before: unknown;
  after: unknown;
  /** The server left out what only admins may read (policy texts, user records). */
  redacted?: boolean;
}

export interface UserRow {
  username: string;
  role: Role;
  disabled?: boolean;
  createdAt?: Instant | null;
  updatedAt?: Instant | null;
}

/** A count drawn as a bar; `key` is null for "in no group". */
export interface Count { key: string; count: number; note?: string | null }

export interface MinutePoint { at: number; total: number; blocked: number }

/** `GET /api/overview`. */
export interface OverviewResponse {
  timezone: string;
  day: { from: Instant; to: Instant };
  /** `wouldBlock`: answered as allowed, but a rule on trial would have blocked them. */
  totals: { queries: number; blocked: number; wouldBlock?: number };
  wouldBlockByService?: { service: string | null; count: number }[];
  blockedByService: { service: string | null; count: number }[];
  blockedByGroup: { group: string | null; count: number }[];
  topBlockedClients: { client: string; count: number; group?: string | null }[];
  /** The last 24 hours; minutes without queries are left out. */
  queriesPerMinute: { minute: Instant; total: number; blocked: number }[];
}

/** One problem in a policy YAML the server refused (`error.details` of 422 `POLICY_INVALID`). */
export interface PolicyIssue { line?: number; column?: number; path?: string; message: string }

/** `GET /api/gateways`: the gateways sharing this console's store. */
export interface GatewaysResponse {
  backend: 'sqlite' | 'postgres';
  self: string;
  gateways: {
    name: string;
    address: string;
    version: string;
    startedAt: Instant;
    lastSeen: Instant;
    queriesPerSecond: number;
    storeLagSeconds: number | null;
    self: boolean;
  }[];
}
