/**
 * The answer index: which addresses the gateway gave each client, for which name and service, for
 * how long. Fed by the DNS threads, read by flow attribution and firewall enforcement. Other
 * folders import only from here; readers need only the {@link AnswerLookup} type.
 */
export type { AnswerHit, AnswerLookup } from './answer-lookup.js';
export { AnswerIndex, DEFAULT_GRACE_MS, DEFAULT_MAX_ENTRIES, DEFAULT_MAX_PER_CLIENT } from './answer-index.js';
export type { AnswerEntry, AnswerIndexOptions, AnswerIndexStats } from './answer-index.js';
export { AnswerFeed, batchTransferList, forEachAnswer } from './answer-feed.js';
export type { AnswerBatchData, AnswerFeedOptions, AnswerVisitor } from './answer-feed.js';
export { DEFAULT_REPEAT_SLOTS, DEFAULT_REPEAT_WINDOW_MS, RepeatFilter } from './repeat-filter.js';
export type { RepeatFilterOptions } from './repeat-filter.js';
export { AddressValues, MAX_ADDRESSES, readAddresses, readAddressValues, readAnswerBatch } from './read-answers.js';
export type { ReadAnswer } from './read-answers.js';
export { createAnswerKeeper } from './answer-keeper.js';
export type { AnswerKeeper, AnswerKeeperOptions } from './answer-keeper.js';
export { SqliteAnswerStore } from './sqlite-answer-store.js';
export { ipv4Value } from './address-table.js';
