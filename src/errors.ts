/**
 * The error catalogue. Every error rambu raises on purpose is a {@link RambuError} with a stable
 * `code`, except the store's own, which are a StoreError (src/store/store-error.ts); tests and
 * callers branch on the code, never on the message text. docs/errors.md lists them all.
 */
export const ERROR_CODES = {
  /** The configuration file is missing, unreadable, not YAML, or fails the schema. */
  CONFIG_INVALID: 'RAMBU_CONFIG_INVALID',
  /** A value given on the command line is invalid (an address, an instant, a flag). */
  INVALID_ARGUMENT: 'RAMBU_INVALID_ARGUMENT',
  /** A blocklist file could not be read. */
  BLOCKLIST_UNREADABLE: 'RAMBU_BLOCKLIST_UNREADABLE',
  /** A DNS message could not be decoded. */
  DNS_MALFORMED: 'RAMBU_DNS_MALFORMED',
  /** A DNS message could not be encoded (too long a name, too many records). */
  DNS_ENCODE: 'RAMBU_DNS_ENCODE',
  /** Every upstream failed or timed out. */
  UPSTREAM_FAILED: 'RAMBU_UPSTREAM_FAILED',
  /** No usable upstream resolver is configured or found in /etc/resolv.conf. */
  NO_UPSTREAM: 'RAMBU_NO_UPSTREAM',
  /** A listen address could not be bound. */
  LISTEN_FAILED: 'RAMBU_LISTEN_FAILED',
  /** The storage directory or database could not be opened. */
  STORAGE_FAILED: 'RAMBU_STORAGE_FAILED',
  /** The shared PostgreSQL store was migrated by a newer rambu; nothing was written. */
  STORAGE_SCHEMA_NEWER: 'RAMBU_STORAGE_SCHEMA_NEWER',
  /** The PostgreSQL database given holds another application's tables; nothing was written. */
  STORAGE_FOREIGN: 'RAMBU_STORAGE_FOREIGN',
  /** `rambu store migrate` found the shared database holding data of its own; nothing was written. */
  STORAGE_NOT_EMPTY: 'RAMBU_STORAGE_NOT_EMPTY',
  /** A flow export packet ends before a header, set or record it announces. */
  FLOW_TRUNCATED: 'RAMBU_FLOW_TRUNCATED',
  /** A flow export packet's length, count or set length contradicts the bytes received. */
  FLOW_LENGTH: 'RAMBU_FLOW_LENGTH',
  /** A flow export packet of a version other than NetFlow v5, v9 or IPFIX (10). */
  FLOW_VERSION: 'RAMBU_FLOW_VERSION',
  /** A flow template that cannot be used: ID below 256, no fields, a zero or impossible field length. */
  FLOW_TEMPLATE: 'RAMBU_FLOW_TEMPLATE',
  /** A firewall command of enforcement (nft, conntrack) failed. */
  ENFORCE_FAILED: 'RAMBU_ENFORCE_FAILED',
} as const;

export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

/** Base class of every deliberate rambu error. */
export class RambuError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RambuError';
    this.code = code;
  }
}

/** One problem found in a configuration file, located as precisely as the source allows. */
export interface ConfigIssue {
  /** Path of keys from the document root, e.g. `["rules", 0, "block", 1]`. */
  path: readonly (string | number)[];
  /** What is wrong, quoting the value. */
  message: string;
  /** File the problem is in, when known. */
  file?: string;
  /** 1-based line and column, when known. */
  line?: number;
  column?: number;
}

/** Format a key path the way users write it: `rules[0].block[1]`. */
export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? part : `.${part}`;
  }
  return out === '' ? '(root)' : out;
}

/** Format one issue as `file:line:col: key: message`. */
export function formatIssue(issue: ConfigIssue): string {
  const where = issue.file === undefined
    ? ''
    : issue.line === undefined ? `${issue.file}: ` : `${issue.file}:${issue.line}:${issue.column ?? 1}: `;
  return `${where}${formatPath(issue.path)}: ${issue.message}`;
}

/** A configuration that cannot be used; carries every issue found, not just the first. */
export class ConfigError extends RambuError {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    const head = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
    super(ERROR_CODES.CONFIG_INVALID, `invalid configuration, ${head}:\n${issues.map((i) => `  ${formatIssue(i)}`).join('\n')}`);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}
