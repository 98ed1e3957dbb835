/** The record of one query that the server hands to `onQuery`: the query log's entry type. */
export type { QueryAction, QueryLogEntry } from '../store/index.js';
