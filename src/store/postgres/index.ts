/**
 * The shared store on PostgreSQL: users, sessions, exemptions and the audit log that every gateway
 * of an office reads and writes, the registry of those gateways, and a feed of changes (LISTEN/NOTIFY)
 * so that a change made on one gateway is in force on the others at once.
 */
export { clientConfig, openPostgresStore, describeUrl } from './open-postgres-store.js';
export type { PostgresStore, PostgresStoreOptions } from './open-postgres-store.js';
export type { SharedChange } from './change-feed.js';
export type { GatewayBeat, GatewayRecord } from './gateway-registry.js';
export { GatewayRegistry } from './gateway-registry.js';
export { CHANGE_CHANNEL, SHARED_SCHEMA_VERSION } from './migrations.js';
export type { PgPolicyDocument, SharedPolicy } from './pg-policy.js';
export { deferredPostgresStore, openFailedUnreachable } from './deferred-store.js';
export { PgQueryLogReader } from './pg-query-log.js';
export { startLogShipper } from './log-shipper.js';
export type { LogShipper, ShipperStats } from './log-shipper.js';
export { LocalLogSource, prepareLocalLog, readMark, shipBatch, SHIP_BATCH } from './log-shipping.js';
export type { ShipState } from './log-shipping.js';
export { startAnswerSharing, shipAnswers, readAnswers, SHARE_BATCH } from './answer-sharing.js';
export type { AnswerSharing, AnswerSharingOptions, AnswerSharingStats, AnswerSource, SharedAnswer } from './answer-sharing.js';
export { SharedFlowStore } from './pg-flows.js';
export type { SharedFlowStoreOptions } from './pg-flows.js';
export { migrateFromSqlite } from './migrate-from-sqlite.js';
export type { MigrateReport } from './migrate-from-sqlite.js';
