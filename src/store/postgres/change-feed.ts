import type { Logger } from 'pino';
import pg from 'pg';
import { CHANGE_CHANNEL } from './migrations.js';

/** What changed in the shared store; `resync` after the feed reconnected (changes may have been missed). */
export type SharedChange = 'users' | 'sessions' | 'exemptions' | 'policy' | 'resync';

export interface ChangeFeed {
  /** Call `listener` for every change any gateway (or tool) makes; returns the unsubscribe function. */
  subscribe(listener: (change: SharedChange) => void): () => void;
  /** Whether the feed is connected right now. */
  connected(): boolean;
  close(): Promise<void>;
}

const KNOWN = new Set<string>(['users', 'sessions', 'exemptions', 'policy']);

/**
 * LISTEN on a connection of its own (a pooled one would be handed to queries and lose the
 * subscription). When the connection drops, the feed retries with a growing delay, capped at
 * `maxRetryMs`, and says `resync` once it is back so that listeners re-read what they hold.
 */
export function createChangeFeed(config: pg.ClientConfig, options: { logger?: Logger; maxRetryMs?: number } = {}): ChangeFeed {
  const listeners = new Set<(change: SharedChange) => void>();
  const maxRetry = options.maxRetryMs ?? 5_000;
  let client: pg.Client | null = null;
  let up = false;
  let closed = false;
  let retry: NodeJS.Timeout | null = null;
  let delay = 250;
  let everConnected = false;

  const emit = (change: SharedChange): void => {
    for (const l of listeners) {
      try { l(change); } catch (err) { options.logger?.error({ err }, 'change listener failed'); }
    }
  };

  const schedule = (): void => {
    if (closed || retry !== null) return;
    retry = setTimeout(() => { retry = null; connect(); }, delay);
    retry.unref();
    delay = Math.min(delay * 2, maxRetry);
  };

  const connect = (): void => {
    const c = new pg.Client(config);
    client = c;
    const lost = (err?: Error): void => {
      if (client !== c) return;
      client = null;
      if (up) options.logger?.warn({ err: err?.message }, 'shared store change feed lost: retrying');
      up = false;
      c.end().catch(() => undefined);
      schedule();
    };
    c.on('error', lost);
    c.on('end', () => lost());
    c.on('notification', (msg) => {
      if (msg.channel === CHANGE_CHANNEL && msg.payload !== undefined && KNOWN.has(msg.payload)) emit(msg.payload as SharedChange);
    });
    c.connect()
      .then(() => c.query(`LISTEN ${CHANGE_CHANNEL}`))
      .then(() => {
        if (closed || client !== c) { c.end().catch(() => undefined); return; }
        up = true;
        delay = 250;
        if (everConnected) {
          options.logger?.info('shared store change feed back');
          emit('resync');
        }
        everConnected = true;
      })
      .catch((err: unknown) => lost(err as Error));
  };

  connect();
  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => { listeners.delete(listener); };
    },
    connected: () => up,
    async close() {
      closed = true;
      if (retry !== null) clearTimeout(retry);
      const c = client;
      client = null;
      up = false;
      listeners.clear();
      await c?.end().catch(() => undefined);
    },
  };
}
