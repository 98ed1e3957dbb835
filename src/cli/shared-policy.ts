/**
 * `rambu serve` with `storage.backend: postgres`: the policy comes from the shared store's document,
 * so that a policy edit in any gateway's console reaches every gateway, while each gateway's file keeps
 * its local keys (listen addresses, upstreams, storage, log). The first gateway on an empty store
 * seeds the document from its file's policy keys.
 */
import type { Logger } from 'pino';
import { composeShared, type LoadedConfig, sharedPart } from '../config/index.js';
import { ConfigError } from '../errors.js';
import type { PostgresStore } from '../store/index.js';

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
  /** Read the document again; true when it changed. */
  refresh(): Promise<boolean>;
  /** Check `text` against this gateway's file, store it, and return what to apply; problems when it does not load. */
  save(text: string, user: string, local: LoadedConfig): Promise<{ ok: true; next: LoadedConfig } | { ok: false; errors: PolicyProblem[] }>;
}

/** Read (or seed from `local`) the shared policy document. */
export async function openSharedPolicy(shared: PostgresStore, local: LoadedConfig, logger: Logger): Promise<SharedPolicy> {
  const label = `shared policy (${shared.where})`;
  let doc = await shared.policy.get();
  if (doc === null) {
    doc = await shared.policy.seed(sharedPart(local.text), 'rambu');
    logger.info({ from: local.file, version: doc.version }, 'shared policy: seeded from this gateway\'s file');
  }
  let text = doc.text;
  return {
    label,
    text: () => text,
    compose: (loaded) => composeShared(loaded, text, label),
    async refresh() {
      const now = await shared.policy.get();
      if (now === null || now.text === text) return false;
      text = now.text;
      logger.info({ version: now.version, by: now.updatedBy, gateway: now.gateway }, 'shared policy changed');
      return true;
    },
    async save(next, user, loaded) {
      let composed: LoadedConfig;
      try {
        composed = composeShared(loaded, next, label);
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        return { ok: false, errors: toProblems(err) };
      }
      await shared.policy.put(next, user);
      text = next;
      return { ok: true, next: composed };
    },
  };
}
