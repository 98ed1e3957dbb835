/**
 * Storage: the repository interfaces (query log, users, sessions, exemptions, audit) and their SQLite
 * back-end in one WAL database under the data directory; with `storage.backend: postgres`, the shared
 * repositories (users, sessions, exemptions, audit) on PostgreSQL instead (postgres/).
 */
export type {
  AuditEntry, AuditStore, ClientCount, Exemption, ExemptionDraft, ExemptionStatus, ExemptionStore, MinuteCount,
  QueryAction, QueryLogEntry, QueryLogFilter, QueryLogPage, QueryLogPageOptions, QueryLogRow, QueryLogStats,
  QueryLogStore, Role, ServiceCount, Session, SessionStore, Store, User, UserStore,
} from './types.js';
export { EXEMPTION_STATUSES, QUERY_ACTIONS, ROLES, exemptionStatus } from './types.js';
export { StoreError, STORE_ERROR_CODES } from './store-error.js';
export type { StoreErrorCode } from './store-error.js';
export { DATABASE_FILE, openStore } from './open-store.js';
export type { OpenStoreOptions, SqliteStore } from './open-store.js';
export type { SqliteQueryLog, SqliteQueryLogOptions } from './sqlite-query-log.js';
export { BatchEncoder } from './query-log-batch.js';
export type { EncodedBatch } from './query-log-batch.js';
export { SqliteFlowStore, TRAFFIC_KEYS } from './sqlite-flows.js';
export type { FlowMinuteRow, FlowRemoteRow, FlowStore, TrafficKey, TrafficRange, TrafficTotal } from './sqlite-flows.js';
export { SqliteProbeStore, percentile } from './sqlite-probes.js';
export type { ProbeRow, ProbeStore, ProbeSummary } from './sqlite-probes.js';
export { SCHEMA_VERSION } from './migrations.js';
export { openGatewayStore, queryRate } from './open-gateway-store.js';
export type { GatewayStore, OpenGatewayStoreOptions, StorageChoice } from './open-gateway-store.js';
export { describeUrl, GatewayRegistry, openPostgresStore, SHARED_SCHEMA_VERSION } from './postgres/index.js';
export { clientConfig, migrateFromSqlite, SharedFlowStore, startAnswerSharing } from './postgres/index.js';
export type { AnswerSharing, AnswerSharingStats, MigrateReport, ShipperStats } from './postgres/index.js';
export type { GatewayQueryLog } from './shared-query-log.js';
export type { GatewayBeat, GatewayRecord, PgPolicyDocument, PostgresStore, PostgresStoreOptions, SharedChange, SharedPolicy } from './postgres/index.js';
export { hashPassword, verifyPassword } from './password.js';
export { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, USERNAME_PATTERN } from './account-rules.js';
