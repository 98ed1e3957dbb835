/**
 * Entry point of the thread that loads a config for `load-thread.ts`: reads the file (or takes the
 * text given), reads the files it names, validates and compiles it, puts a shared policy document
 * over it when asked, and posts back the final text with its compiled lists on shared memory, or the
 * problems found. The thread answers once and ends; its heap, with the loading's scratch, goes with it.
 */
import { setPriority } from 'node:os';
import { dirname } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { ConfigError } from '../errors.js';
import type { LoadedConfig } from './load.js';
import { loadConfigFileAsync, namedFiles, parseConfigTextAsync } from './load-async.js';
import type { LoadThreadReply, LoadThreadRequest } from './load-thread.js';
import { FILE_LIMITS, readNamedFile } from './named-file.js';
import { composeShared } from './shared-policy-text.js';

/**
 * The thread's nice value: it gives way to the thread that answers DNS when the two want the same
 * core, and still finishes on a busy machine (at nice 19 a reload could wait minutes).
 */
const LOADER_NICE = 10;

async function load(request: LoadThreadRequest): Promise<LoadThreadReply> {
  const { file, now } = request;
  const baseDir = dirname(file);
  try {
    let loaded: LoadedConfig = request.text === null
      ? await loadConfigFileAsync(file, { now })
      : await parseConfigTextAsync(request.text, file, { baseDir, now });
    if (request.shared !== null) loaded = composeShared(loaded, request.shared.text, request.shared.label);
    // The main thread compiles the checked config again over these lists; it reads only the small files.
    const files: [string, Uint8Array][] = [];
    for (const [path, limit] of namedFiles(loaded.text, baseDir)) {
      if (limit === FILE_LIMITS.blocklist) continue;
      files.push([path, await readNamedFile(path, limit)]);
    }
    // The index's arrays leave as plain, transferred buffers rather than the shared ones the compile
    // made: V8 counts those in the receiving thread's external memory and collects the previous
    // index on its own once it is garbage, while shared buffers count nowhere, and without a forced
    // full collection (a pause of the answering thread) eight reloads left eight indexes resident.
    // `Policy.lists()` moves them to shared memory again where DNS threads need them.
    const lists = loaded.policy.lists();
    const index = { ...lists.index, hashes: lists.index.hashes.slice(), setIds: lists.index.setIds.slice(), table: lists.index.table.slice() };
    return { ok: true, text: loaded.text, config: loaded.config, lists: { ...lists, index }, warnings: loaded.warnings, blocklists: loaded.blocklists, files };
  } catch (err) {
    if (err instanceof ConfigError) return { ok: false, issues: [...err.issues] };
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}

if (parentPort !== null) {
  const port = parentPort;
  // Process 0 is the calling thread on Linux; elsewhere this could lower the whole process.
  if (process.platform === 'linux') {
    try { setPriority(0, LOADER_NICE); } catch { /* not permitted: compile at the same priority */ }
  }
  const transfer = (reply: LoadThreadReply): ArrayBuffer[] => (reply.ok ? [reply.lists.index.hashes, reply.lists.index.setIds, reply.lists.index.table].map((a) => a.buffer as ArrayBuffer) : []);
  load(workerData as LoadThreadRequest).then((reply) => port.postMessage(reply, transfer(reply)), (err: unknown) => port.postMessage({ ok: false, error: String(err) } satisfies LoadThreadReply));
}
