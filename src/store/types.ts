/**
 * The storage interfaces. The SQLite back-end implements them today; a PostgreSQL back-end for the
 * shared state (users, sessions, exemptions, audit) and a columnar one for the query log can replace
 * it without touching callers, which is why every read and write returns a Promise even where SQLite
 * answers synchronously. Instants are epoch milliseconds throughout.
 */

/** `monitor`: answered as allowed, but a rule on trial (mode monitor, before startsOn) would have blocked it. */
export const QUERY_ACTIONS = ['block', 'allow', 'refused', 'ratelimited', 'error', 'monitor'] as const;
export type QueryAction = (typeof QUERY_ACTIONS)[number];

/** What the gateway did with one query, as the DNS server hands it to the log. */
export interface QueryLogEntry {
  /** Epoch ms the query arrived, on the server's clock. */
  time: number;
  /** Client address (IPv4-mapped IPv6 shown as IPv4). */
  client: string;
  /** Question name, lowercase, no trailing dot; `''` for the root or a query without a question. */
  name: string;
  /** Question type mnemonic, e.g. `AAAA`, or `TYPE<n>`. */
  type: string;
  action: QueryAction;
  service: string | null;
  rule: string | null;
  exemption: string | null;
  /** Response code sent, e.g. `NXDOMAIN`; `NONE` when the query was dropped. */
  rcode: string;
  /** Time from receiving the query to having the answer, ms. */
  latencyMs: number;
  /**
   * Label of the upstream that answered: for a cache hit (`cached`), the upstream whose answer was
   * cached; `stale` for an expired answer served while every upstream failed (RFC 8767); null when
   * no upstream was involved (block, refusal, local answer).
   */
  upstream: string | null;
  /** Whether the answer came from the cache. */
  cached: boolean;
}

/** A stored query-log row: the entry plus its id (names are stored lower-case, latency to the microsecond). */
export interface QueryLogRow extends QueryLogEntry {
  id: number;
  /** The gateway that answered: the shared log's column, or this gateway's name for the local log. */
  gateway?: string;
}

export interface QueryLogFilter {
  /** Exact gateway name (`storage.gatewayName`). */
  gateway?: string;
  /** Exact client address. */
  client?: string;
  /** Substring of the name, case-insensitive. */
  name?: string;
  service?: string;
  action?: QueryAction;
  /** Inclusive lower bound of `time`. */
  since?: number;
  /** Exclusive upper bound of `time`. */
  until?: number;
}

export interface QueryLogPageOptions {
  /** Rows per page. @default 100 */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

export interface QueryLogPage {
  /** Newest first. */
  rows: QueryLogRow[];
  /** Continue from here, or null when nothing older matches. */
  nextCursor: string | null;
  /** The page stopped at the scan bound before it was full; follow `nextCursor` for more. */
  partial: boolean;
  /** The log's schema is being upgraded in the background: no rows until it is done. */
  migrating?: boolean;
}

export interface QueryLogStats {
  /** Entries appended and not yet written: in memory, or on their way to the writer. */
  buffered: number;
  /** Entries dropped because the buffer was full. */
  dropped: number;
  /** Entries lost because a flush failed. */
  failed: number;
  /** Entries written since the store opened. */
  written: number;
}

export interface MinuteCount { minute: number; total: number; blocked: number }
export interface ServiceCount { service: string | null; count: number }
export interface ClientCount { client: string; count: number }

/** The DNS query log: appended from the hot path, read by the console and the CLI. */
export interface QueryLogStore {
  /** Buffer one entry; never waits on disk. Drops (and counts) when the buffer is full. */
  append(entry: QueryLogEntry): void;
  /** Write everything buffered now; resolves once all of it is written (or counted as failed). */
  flush(): Promise<void>;
  /** One page of rows matching `filter`, newest first. Throws StoreError `INVALID_CURSOR`. */
  query(filter: QueryLogFilter, options?: QueryLogPageOptions): Promise<QueryLogPage>;
  /** Delete rows (and aggregates) older than the retention period before `now`; returns rows deleted. */
  prune(now: number): Promise<number>;
  /** Query counts per minute in [since, until), minutes without queries omitted. */
  queriesPerMinute(since: number, until: number): Promise<MinuteCount[]>;
  /** Blocked queries per service in [since, until), largest first. */
  blockedByService(since: number, until: number): Promise<ServiceCount[]>;
  /** Blocked queries per client in [since, until), largest first (all clients unless `limit`). */
  blockedByClient(since: number, until: number, limit?: number): Promise<ClientCount[]>;
  /** Queries a rule on trial would have blocked ("would block"), per service in [since, until), largest first. */
  wouldBlockByService(since: number, until: number): Promise<ServiceCount[]>;
  stats(): QueryLogStats;
}

export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface User {
  username: string;
  role: Role;
  disabled: boolean;
  createdAt: number;
  updatedAt: number;
}

export interface UserStore {
  /** Throws StoreError `USER_EXISTS`. */
  create(input: { username: string; role: Role; password: string }): Promise<User>;
  get(username: string): Promise<User | null>;
  list(): Promise<User[]>;
  /** Returns null when there is no such user. */
  update(username: string, change: { role?: Role; password?: string; disabled?: boolean }): Promise<User | null>;
  delete(username: string): Promise<boolean>;
  /** The user when the password matches and the user is enabled; constant work for unknown names. */
  verify(username: string, password: string): Promise<User | null>;
  count(): Promise<number>;
  /** Enabled admins. */
  countAdmins(): Promise<number>;
}

export interface Session {
  username: string;
  csrfToken: string;
  createdAt: number;
  expiresAt: number;
}

/** Sessions are looked up by the id the client holds; only its SHA-256 is stored. */
export interface SessionStore {
  create(username: string, expiresAt: number): Promise<{ id: string; session: Session }>;
  /** The session, or null when unknown or expired at `now`. */
  get(id: string, now: number): Promise<Session | null>;
  delete(id: string): Promise<void>;
  /** End every session of `username` except `exceptId`. */
  deleteForUser(username: string, exceptId?: string): Promise<void>;
  pruneExpired(now: number): Promise<number>;
}

export const EXEMPTION_STATUSES = ['pending', 'active', 'expired', 'revoked'] as const;
export type ExemptionStatus = (typeof EXEMPTION_STATUSES)[number];

export interface ExemptionDraft {
  name: string;
  groups: string[];
  clients: string[];
  allow: string[];
  from: number | null;
  until: number;
  reason: string;
  createdBy: string;
}

/** An exemption granted from the console: audited, expiring, revoked rather than deleted. */
export interface Exemption extends ExemptionDraft {
  id: number;
  createdAt: number;
  revokedAt: number | null;
  revokedBy: string | null;
}

export interface ExemptionStore {
  create(draft: ExemptionDraft): Promise<Exemption>;
  get(id: number): Promise<Exemption | null>;
  /** Newest first; `status` is judged at `now`. */
  list(options: { now: number; status?: ExemptionStatus }): Promise<Exemption[]>;
  /** Not revoked and not expired at `now` (pending ones included: the policy checks `from`). */
  effective(now: number): Promise<Exemption[]>;
  /** The revoked exemption, or null when unknown; unchanged when already revoked. */
  revoke(id: number, by: string, at: number): Promise<Exemption | null>;
}

export interface AuditEntry {
  id: number;
  time: number;
  user: string;
  action: string;
  target: string;
  before: unknown;
  after: unknown;
}

export interface AuditStore {
  record(entry: { time: number; user: string; action: string; target: string; before: unknown; after: unknown }): Promise<AuditEntry>;
  /** Newest first. */
  list(options?: { limit?: number; cursor?: string; user?: string; action?: string }): Promise<{ entries: AuditEntry[]; nextCursor: string | null }>;
}

/** Every repository of one back-end. */
export interface Store {
  readonly queryLog: QueryLogStore;
  readonly users: UserStore;
  readonly sessions: SessionStore;
  readonly exemptions: ExemptionStore;
  readonly audit: AuditStore;
  /** Flush the query log and release the database. */
  close(): Promise<void>;
}

/** The status of an exemption at `now`. */
export function exemptionStatus(e: Pick<Exemption, 'from' | 'until' | 'revokedAt'>, now: number): ExemptionStatus {
  if (e.revokedAt !== null) return 'revoked';
  if (e.until <= now) return 'expired';
  if (e.from !== null && e.from > now) return 'pending';
  return 'active';
}
