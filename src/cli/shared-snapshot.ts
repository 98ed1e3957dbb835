/**
 * A gateway on the shared store keeps the last shared state it read (the policy document and the
 * console's exemptions) in a local file, so that when PostgreSQL is down it keeps answering with it,
 * also across a restart: fail static, neither closed nor open.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { StoreError, type Exemption, type ExemptionStore } from '../store/index.js';

/** The snapshot's file name in the data directory. */
export const SNAPSHOT_FILE = 'shared-snapshot.json';

interface SnapshotFile { savedAt: number; policyText: string | null; exemptions: Exemption[] }

export interface SharedSnapshot {
  /** The policy document last read, or null. */
  policyText: string | null;
  /** Remember the policy document (written with the next save). */
  setPolicyText(text: string): void;
  /** The exemptions in force at `now`: the store's, or the last known ones while it is unreachable. */
  effective(now: number): Promise<Exemption[]>;
}

const unreachable = (err: unknown): boolean => err instanceof StoreError && err.code === 'STORE_UNAVAILABLE';

/** Read the snapshot in `dir` (none, or unreadable: empty) and keep it up to date from `exemptions`. */
export function openSharedSnapshot(dir: string, exemptions: ExemptionStore, logger: Logger): SharedSnapshot {
  const file = join(dir, SNAPSHOT_FILE);
  let state: SnapshotFile = { savedAt: 0, policyText: null, exemptions: [] };
  try {
    state = JSON.parse(readFileSync(file, 'utf8')) as SnapshotFile;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') logger.warn({ file, err: (err as Error).message }, 'shared snapshot unreadable: ignored');
  }
  let saved = JSON.stringify(state);
  let offline = false;
  const save = (): void => {
    const json = JSON.stringify({ ...state, savedAt: 0 });
    if (json === saved) return;
    saved = json;
    // Atomic replace: a crash leaves the old snapshot or the new one.
    const tmp = `${file}.${process.pid}.tmp`;
    try {
      writeFileSync(tmp, JSON.stringify({ ...state, savedAt: Date.now() }), { mode: 0o640 });
      renameSync(tmp, file);
    } catch (err) {
      logger.warn({ file, err: (err as Error).message }, 'cannot write the shared snapshot');
    }
  };
  return {
    get policyText() { return state.policyText; },
    setPolicyText(text) {
      state = { ...state, policyText: text };
      save();
    },
    async effective(now) {
      try {
        const list = await exemptions.effective(now);
        if (offline) logger.info('shared store reachable: exemptions re-read');
        offline = false;
        state = { ...state, exemptions: list };
        save();
        return list;
      } catch (err) {
        if (!unreachable(err)) throw err;
        if (!offline) logger.warn({ err: (err as Error).message }, 'shared store unreachable: keeping the last known exemptions');
        offline = true;
        return state.exemptions.filter((e) => e.revokedAt === null && e.until > now);
      }
    },
  };
}
