/**
 * Keeps the answer index of `rambu serve`: takes the answers of the main thread's DNS server (an
 * {@link AnswerFeed}, read every 100 ms) and the batches of the other DNS threads, records them,
 * saves what changed to SQLite every few seconds, sweeps expired answers every minute, reloads the
 * live ones at start and reports the index's size on /metrics. All of it runs off the DNS path.
 */
import type { Database } from 'better-sqlite3';
import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';
import { AnswerFeed, forEachAnswer, type AnswerBatchData, type AnswerVisitor } from './answer-feed.js';
import type { AnswerEntry, AnswerIndex } from './answer-index.js';
import { SqliteAnswerStore } from './sqlite-answer-store.js';

export interface AnswerKeeperOptions {
  index: AnswerIndex;
  /** The store's database; null keeps the index in memory only. */
  db: Database | null;
  logger: Logger;
  registry?: Registry;
  /** @default Date.now */
  now?: () => number;
  /** How often the main thread's answers are read. @default 100 */
  feedMs?: number;
  /** How often changed answers are written. @default 2000 */
  saveMs?: number;
  /** How often expired answers are dropped from memory and disk. @default 60000 */
  sweepMs?: number;
  /** Changed answers waiting to be written; more are not saved (the index still has them). @default 200000 */
  maxPending?: number;
  /** Told of every recorded answer of a service (enforcement adds new addresses of a blocked one). */
  onRecorded?: (client: string, service: string) => void;
  /**
   * Keep the answers this gateway gave that changed (new, another name, a longer life) for
   * {@link AnswerKeeper.takeShared}: the shared store hands them to the other gateways. @default false
   */
  share?: boolean;
}

export interface AnswerKeeper {
  /** The main thread's DNS server's answer sink: one append. */
  /** True when the answer was kept for the index (see AnswerSink). */
  readonly onAnswer: (client: string, name: string, service: string | null, response: Uint8Array, time: number) => boolean;
  /** Record a batch from a DNS thread. */
  apply(batch: AnswerBatchData): void;
  /**
   * Also hand every answer recorded from now on to `listener`, a batch at a time (the main thread's
   * own answers copied out of its feed): for a reader that keeps its own copy of the index in another
   * thread (the flow collector). Returns the call that stops it. Nothing reads the batch after its
   * listeners, so a single listener may transfer its buffers to another thread.
   */
  subscribe(listener: (batch: AnswerBatchData) => void, onEntries?: (list: AnswerEntry[]) => void): () => void;
  /**
   * Up to `max` answers given here that changed and are not yet shared (with `share`), each once,
   * oldest change first. Answers taken in through {@link applyShared} are never among them.
   */
  takeShared(max: number): AnswerEntry[];
  /** Answers other gateways gave, as if given here (saved, told to enforcement and subscribers), but not shared back. */
  applyShared(entries: readonly AnswerEntry[]): number;
  /** Answers not kept for sharing because too many were waiting. */
  notShared(): number;
  /** Record what the main thread's feed holds and write what changed (tests, stop). */
  flush(): void;
  /** Answers that could not be saved or recorded for lack of room. */
  dropped(): number;
  /** Resolves with the number of saved answers reloaded, once they all are. */
  readonly ready: Promise<number>;
  /** Flush and stop the timers; the database stays open (the store closes it). */
  close(): void;
}

const KEY_SEP = '\u0000';
/** Rows a save writes in one transaction before it lets the event loop run. */
const SAVE_CHUNK = 2_000;
/** Answers of the main thread's feed that make it be read at the next free turn of the event loop. */
const FEED_BATCH = 2_000;
/** Saved answers reloaded per turn of the event loop at start. */
const LOAD_PAGE = 5_000;

export function createAnswerKeeper(options: AnswerKeeperOptions): AnswerKeeper {
  const { index } = options;
  const now = options.now ?? Date.now;
  const log = options.logger.child({ subsystem: 'answers' });
  const maxPending = options.maxPending ?? 200_000;
  const store = options.db === null ? null : new SqliteAnswerStore(options.db);
  const feed = new AnswerFeed();
  // (client, address) keys whose entry changed since the last save; the values are read at save time.
  const pending = new Set<string>();
  let notSaved = 0;
  // The same for sharing: keys of answers given here that changed since the last take.
  const share = options.share === true;
  const sharePending = new Set<string>();
  let notShared = 0;

  // The saved answers come back a page at a time, a turn of the event loop between pages, so that
  // DNS answers from the first moment; an answer given meanwhile is newer and stays.
  let closed = false;
  const ready = new Promise<number>((resolve) => {
    if (store === null) { resolve(0); return; }
    const t0 = performance.now();
    let loaded = 0;
    let after: AnswerEntry | null = null;
    const page = (): void => {
      if (closed) { resolve(loaded); return; }
      let rows: AnswerEntry[] = [];
      try {
        const t = now();
        rows = store.loadPage(t, after, LOAD_PAGE);
        for (const e of rows) index.addIfAbsent(e.client, e.address, e, t);
      } catch (err) {
        log.error({ err }, 'cannot reload saved answers');
        rows = [];
      }
      loaded += rows.length;
      after = rows[rows.length - 1] ?? null;
      if (rows.length === LOAD_PAGE) { setImmediate(page); return; }
      if (loaded > 0) log.info({ answers: loaded, entries: index.size, ms: Math.round(performance.now() - t0) }, 'answer index reloaded');
      resolve(loaded);
    };
    page();
  });

  const changed: string[] = [];
  const onRecorded = options.onRecorded;
  const record: AnswerVisitor = (client, name, service, bytes, start, end, time) => {
    if (onRecorded !== undefined && service !== null) onRecorded(client, service);
    if (store === null && !share) {
      index.recordResponse(client, name, service, bytes, start, end, time);
      return;
    }
    changed.length = 0;
    index.recordResponse(client, name, service, bytes, start, end, time, changed);
    for (const address of changed) {
      const key = client + KEY_SEP + address;
      if (store !== null) {
        if (pending.size < maxPending) pending.add(key);
        else notSaved++;
      }
      if (share) {
        if (sharePending.size < maxPending) sharePending.add(key);
        else notShared++;
      }
    }
  };
  const listeners = new Set<(batch: AnswerBatchData) => void>();
  const entryListeners = new Set<(list: AnswerEntry[]) => void>();
  const apply = (batch: AnswerBatchData): void => {
    forEachAnswer(batch, record);
    for (const l of listeners) l(batch);
  };
  // The main thread's feed is read every FEED_MS, and as soon as the event loop is free once it
  // holds FEED_BATCH answers, so that a busy DNS thread does not fill it up in between.
  let feedQueued = false;
  const readFeed = (): void => {
    feedQueued = false;
    if (listeners.size === 0) { feed.drain(record); return; }
    const batch = feed.take();
    if (batch !== null) apply(batch);
  };
  // Takes keys (client KEY_SEP address) out of `keys`, oldest first, until `max` of them are still
  // live in the index; their entries as of `t`. Keys of answers that expired meanwhile just go.
  const takeLive = (keys: Set<string>, max: number, t: number): AnswerEntry[] => {
    const out: AnswerEntry[] = [];
    for (const key of keys) {
      if (out.length >= max) break;
      keys.delete(key);
      const at = key.indexOf(KEY_SEP);
      const client = key.slice(0, at);
      const address = key.slice(at + 1);
      const hit = index.lookup(client, address, t);
      if (hit !== null) out.push({ client, address, ...hit });
    }
    return out;
  };
  // Rows go in transactions of SAVE_CHUNK with a turn of the event loop between them, so that the
  // main thread, which answers DNS too, never stops for long. `all` (stop) writes everything at once.
  let saveQueued = false;
  const save = (all = false): void => {
    saveQueued = false;
    if (store === null || pending.size === 0) return;
    const rows = takeLive(pending, all ? Infinity : SAVE_CHUNK, now());
    try {
      store.save(rows);
    } catch (err) {
      notSaved += rows.length;
      log.error({ err, rows: rows.length }, 'cannot save answers');
    }
    if (pending.size > 0 && !all) {
      saveQueued = true;
      setImmediate(save);
    }
  };
  const sweep = (): void => {
    const t = now();
    const removed = index.sweep(t);
    let pruned = 0;
    try {
      pruned = store?.prune(t) ?? 0;
    } catch (err) {
      log.error({ err }, 'cannot prune saved answers');
    }
    log.debug({ removed, pruned, entries: index.size }, 'answer index swept');
  };

  const feedTimer = setInterval(readFeed, options.feedMs ?? 100);
  const saveTimer = setInterval(() => { readFeed(); if (!saveQueued) save(); }, options.saveMs ?? 2_000);
  const sweepTimer = setInterval(sweep, options.sweepMs ?? 60_000);
  for (const t of [feedTimer, saveTimer, sweepTimer]) t.unref();

  if (options.registry !== undefined) {
    new Gauge({
      name: 'rambu_answer_index_entries', help: 'Answers in the answer index: (client, address) pairs with their name, service and expiry',
      registers: [options.registry], collect() { this.set(index.size); },
    });
    new Gauge({
      name: 'rambu_answer_index_clients', help: 'Clients with answers in the answer index',
      registers: [options.registry], collect() { this.set(index.stats().clients); },
    });
    new Gauge({
      name: 'rambu_answer_index_not_kept', help: 'Answers of the main thread not recorded (its feed was full) or not saved (too many waiting, or a write failed)',
      registers: [options.registry], collect() { this.set(feed.dropped + notSaved); },
    });
    new Gauge({
      name: 'rambu_answer_index_evicted', help: 'Answers dropped from the answer index before they expired, to stay within its bounds',
      registers: [options.registry], collect() { this.set(index.stats().evicted); },
    });
  }

  return {
    onAnswer: (client, name, service, response, time) => {
      const kept = feed.push(client, name, service, response, time);
      if (feed.size >= FEED_BATCH && !feedQueued) {
        feedQueued = true;
        setImmediate(readFeed);
      }
      return kept;
    },
    apply,
    subscribe(listener, onEntries) {
      listeners.add(listener);
      if (onEntries !== undefined) entryListeners.add(onEntries);
      return () => {
        listeners.delete(listener);
        if (onEntries !== undefined) entryListeners.delete(onEntries);
      };
    },
    takeShared: (max) => takeLive(sharePending, max, now()),
    applyShared(entries) {
      const t = now();
      const learnt: AnswerEntry[] = [];
      for (const e of entries) {
        // An older copy of what this gateway knows better (a longer life for the same name) changes nothing.
        const hit = index.lookup(e.client, e.address, t);
        if (hit !== null && hit.expires >= e.expires && hit.name === e.name && hit.service === e.service) continue;
        if (!index.add(e.client, e.address, e, t)) continue;
        learnt.push(e);
        if (store !== null) {
          if (pending.size < maxPending) pending.add(e.client + KEY_SEP + e.address);
          else notSaved++;
        }
        if (onRecorded !== undefined && e.service !== null) onRecorded(e.client, e.service);
      }
      if (learnt.length > 0) for (const l of entryListeners) l(learnt);
      return learnt.length;
    },
    notShared: () => notShared,
    flush() {
      readFeed();
      save(true);
    },
    dropped: () => feed.dropped + notSaved,
    ready,
    close() {
      closed = true;
      listeners.clear();
      entryListeners.clear();
      clearInterval(feedTimer);
      clearInterval(saveTimer);
      clearInterval(sweepTimer);
      readFeed();
      save(true);
    },
  };
}
