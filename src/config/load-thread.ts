/**
 * The loader `rambu serve` reloads with: the config is read, validated and compiled in a thread of
 * its own (`load-thread-worker.ts`), and the main thread, which answers DNS, only takes the result.
 * Compiling a million-domain blocklist into the domain index takes seconds; done where DNS is
 * answered it would hold every answer for that long. The thread hands back the compiled index's
 * arrays (`Policy.lists()`, transferred, not copied) with the validated config, and the main thread
 * compiles that once more over them (`compileChecked`), which parses no text, reads no list and
 * takes a few milliseconds. A config that does not load throws the same
 * ConfigError, with the same files, lines and keys, as {@link loadConfigFileAsync} would.
 */
import { dirname, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { ConfigError, type ConfigIssue } from '../errors.js';
import type { PolicyLists } from '../policy/index.js';
import { compileChecked, type LoadedConfig } from './load.js';
import type { Config } from './schema.js';

const WORKER_URL = new URL('./load-thread-worker.js', import.meta.url);

/** What to load. */
export interface LoadThreadRequest {
  /** Absolute path of the config file. */
  file: string;
  /** The text to check instead of the file's (a console save); null: read the file. */
  text: string | null;
  /**
   * A shared policy document to put over the file (`composeShared`), with the name its problems
   * carry; null for none.
   */
  shared: { text: string; label: string } | null;
  /** Epoch ms for checks such as expired exemptions. */
  now: number;
}

/** The thread's answer: the final text and its compiled lists, or why it did not load. */
export type LoadThreadReply =
  | {
    ok: true;
    text: string;
    /** The text's value, validated. */
    config: Config;
    lists: PolicyLists;
    warnings: string[];
    blocklists: LoadedConfig['blocklists'];
    /** The small files the text names besides its lists (the upstream CA file), as read. */
    files: [string, Uint8Array][];
  }
  | { ok: false; issues: ConfigIssue[] }
  | { ok: false; error: string };

/** Options of {@link loadConfigInThread}. */
export interface LoadInThreadOptions {
  /** The text to check instead of the file's. @default null (read the file) */
  text?: string | null;
  /** A shared policy document to put over the file. @default null */
  shared?: { text: string; label: string } | null;
  /** Epoch ms for checks such as expired exemptions. @default Date.now() */
  now?: number;
}

/** Run one load in a new thread; resolves with its reply. The thread ends with it. */
function runLoadThread(request: LoadThreadRequest): Promise<LoadThreadReply> {
  return new Promise((resolveReply, reject) => {
    let reply: LoadThreadReply | null = null;
    const worker = new Worker(WORKER_URL, { workerData: request, stdout: false, stderr: false });
    worker.once('message', (message: LoadThreadReply) => { reply = message; resolveReply(message); });
    worker.once('error', (err) => { if (reply === null) reject(err); });
    worker.once('exit', (code) => { if (reply === null) reject(new Error(`the config loading thread ended without an answer (exit code ${code})`)); });
  });
}

/**
 * {@link loadConfigFileAsync} (or, with `text`, {@link parseConfigTextAsync} of that text), compiled
 * in another thread: the calling thread spends a few milliseconds on it however large the lists are.
 * Throws ConfigError.
 */
export async function loadConfigInThread(path: string, options: LoadInThreadOptions = {}): Promise<LoadedConfig> {
  const file = resolve(path);
  const reply = await runLoadThread({ file, text: options.text ?? null, shared: options.shared ?? null, now: options.now ?? Date.now() });
  if (!reply.ok) {
    if ('issues' in reply) throw new ConfigError(reply.issues);
    throw new Error(`config loading failed: ${reply.error}`);
  }
  // The checked config over the lists compiled in the thread: no text is parsed, no list read or indexed.
  return compileChecked(
    { file, text: reply.text, config: reply.config, warnings: reply.warnings, blocklists: reply.blocklists },
    { baseDir: dirname(file), now: options.now ?? Date.now(), lists: reply.lists, files: new Map(reply.files) },
  );
}
