/**
 * `rambu serve` with `storage.backend: postgres`: the policy comes from the shared store's document,
 * so that a policy edit in any gateway's console reaches every gateway, while each gateway's file keeps
 * its local keys (listen addresses, upstreams, storage, log). The first gateway on an empty store
 * seeds the document from its file's policy keys.
 */
import type { Logger } from 'pino';
import { composeShared, type LoadedConfig, sharedPart } from '../config/index.js';
import { ConfigError } from '../errors.js';
import { StoreError, type PostgresStore } from '../store/index.js';
import type { SharedSnapshot } from './shared-snapshot.js';

/** One problem of a policy text, as the console's editor shows it. */
export interface PolicyProblem { line?: number; column?: number; path: string; message: string }

/** Problems of a ConfigError in the editor's shape. */
export function toProblems(err: ConfigError): PolicyProblem[] {
  return err.issues.map((i) => ({ ...(i.line === undefined ? {} : { line: i.line }), ...(i.column === undefined ? {} : { column: i.column }), path: i.path.join('.'), message: i.message }));
}

export interface SharedPolicy {
  /** What the console's editor shows and the audit log names. */
  readonly label: string;
  /** The document as last read. */
  text(): string;
  /** `local` (the gateway's file, loaded) under the shared document. Throws ConfigError. */
  compose(local: LoadedConfig): LoadedConfig;
  /** The document to put over the file as `composeShared` takes it, or null while there is none (the file's policy runs). */
  document(): { text: string; label: string } | null;
  /** Read the document again; true when it changed. */
  refresh(): Promise<boolean>;
  /**
   * Check `text` against this gateway's file, store it, and return what to apply; problems when it
   * does not load. `compose` puts a document over the file (as `composeShared` does, possibly in
   * another thread); throws ConfigError.
   */
  save(text: string, user: string, compose: (document: { text: string; label: string }) => Promise<LoadedConfig>): Promise<{ ok: true; next: LoadedConfig } | { ok: false; errors: PolicyProblem[] }>;
}

/**
 * Read (or seed from `local`) the shared policy document. While the store is unreachable, the
 * snapshot's document stands in (or, with none, the file's own policy) until `refresh` reads it.
 */
export async function openSharedPolicy(shared: PostgresStore, local: LoadedConfig, logger: Logger, snapshot: SharedSnapshot): Promise<SharedPolicy> {
  const label = `shared policy (${shared.where})`;
  const read = async (): Promise<string> => {
    let doc = await shared.policy.get();
    if (doc === null) {
      doc = await shared.policy.seed(sharedPart(local.text), 'rambu');
      logger.info({ from: local.file, version: doc.version }, 'shared policy: seeded from this gateway\'s file');
    }
    snapshot.setPolicyText(doc.text);
    return doc.text;
  };
  let text: string | null;
  try {
    text = await read();
  } catch (err) {
    if (!(err instanceof StoreError && err.code === 'STORE_UNAVAILABLE')) throw err;
    text = snapshot.policyText;
    logger.warn({ snapshot: text !== null }, 'shared store unreachable: running the last known shared policy (or this file\'s)');
  }
  return {
    label,
    text: () => text ?? sharedPart(local.text),
    compose: (loaded) => (text === null ? loaded : composeShared(loaded, text, label)),
    document: () => (text === null ? null : { text, label }),
    async refresh() {
      const now = await read();
      if (now === text) return false;
      text = now;
      logger.info('shared policy changed');
      return true;
    },
    async save(next, user, compose) {
      let composed: LoadedConfig;
      try {
        composed = await compose({ text: next, label });
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        return { ok: false, errors: toProblems(err) };
      }
      await shared.policy.put(next, user);
      text = next;
      snapshot.setPolicyText(next);
      return { ok: true, next: composed };
    },
  };
}
