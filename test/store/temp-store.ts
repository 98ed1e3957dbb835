import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../src/store/index.js';
import type { OpenStoreOptions, QueryLogEntry, SqliteStore } from '../../src/store/index.js';

/** A store on a real SQLite file in a fresh temp dir; `cleanup` closes it and removes the dir. */
export function tempStore(options: Partial<OpenStoreOptions> = {}): { store: SqliteStore; dir: string; cleanup: () => Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), 'rambu-store-'));
  const store = openStore({ dir, pruneIntervalMs: 0, ...options });
  return { store, dir, cleanup: async () => { await store.close(); rmSync(dir, { recursive: true, force: true }); } };
}

export const T0 = Date.parse('2026-05-04T08:00:00+07:00');

export function entry(over: Partial<QueryLogEntry> = {}): QueryLogEntry {
  return {
    time: T0, client: '10.20.1.1', name: 'portal.pasuruankota.go.id', type: 'A', action: 'allow', service: null, rule: null,
    exemption: null, rcode: 'NOERROR', latencyMs: 1.25, upstream: 'udp://1.1.1.1:53', cached: false, ...over,
  };
}
