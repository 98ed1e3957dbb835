/**
 * Reading the files a configuration names (its blocklists, its CA file, the config file itself).
 * A console save or a file change can point them anywhere, so each is opened only when it is a
 * regular file (a FIFO would block the reader until someone writes to it, a device such as
 * /dev/zero never ends) and read up to a size bound. The asynchronous reader reads in chunks on
 * libuv's thread pool, so DNS and the console keep answering while a large list is read.
 */
import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { open, stat } from 'node:fs/promises';

/** Size bounds of the files a configuration names, in bytes. docs/configuration.md states them. */
export const FILE_LIMITS = {
  /** One blocklist file: 64 MiB, about 2.5 million domains one a line. */
  blocklist: 64 * 1024 * 1024,
  /** `dns.upstreamCaFile`: 1 MiB, four times a full public root bundle. */
  caFile: 1024 * 1024,
  /** The config file itself. */
  config: 4 * 1024 * 1024,
} as const;

const CHUNK = 1024 * 1024;
// O_NONBLOCK: opening a FIFO that has no writer returns at once instead of waiting for one.
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY;

/** Why a file is refused, for the message: what it is instead of a regular file. */
function kindOf(st: Stats): string {
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isDirectory()) return 'a directory';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** An error whose message says why the file was refused; `code` mirrors Node's for unreadable files. */
export class NamedFileError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'NamedFileError';
    this.code = code;
  }
}

function check(st: Stats, limit: number): void {
  if (!st.isFile()) throw new NamedFileError('NOT_REGULAR_FILE', `is ${kindOf(st)}: only regular files are read`);
  if (st.size > limit) throw new NamedFileError('FILE_TOO_LARGE', `is ${st.size} bytes, above the limit of ${limit} bytes`);
}

function tooLarge(limit: number): NamedFileError {
  return new NamedFileError('FILE_TOO_LARGE', `is larger than the limit of ${limit} bytes`);
}

function describe(err: unknown): Error {
  if (err instanceof NamedFileError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  return new NamedFileError(code ?? 'EIO', (err as Error).message);
}

/**
 * Read a regular file of at most `limit` bytes, asynchronously in chunks. Throws {@link NamedFileError}
 * when the path is not a regular file, is larger than `limit` (also when it grows while being read), or
 * cannot be read (the message is then the system's code, such as ENOENT).
 */
export async function readNamedFile(path: string, limit: number): Promise<Buffer> {
  try {
    check(await stat(path), limit);
    const handle = await open(path, OPEN_FLAGS);
    try {
      // Again on the open file: the path may have been replaced between stat and open.
      const st = await handle.stat();
      check(st, limit);
      const chunks: Buffer[] = [];
      let total = 0;
      for (;;) {
        const want = Math.min(CHUNK, limit + 1 - total);
        const buffer = Buffer.allocUnsafe(Math.max(1, want));
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
        if (bytesRead === 0) break;
        total += bytesRead;
        if (total > limit) throw tooLarge(limit);
        chunks.push(bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead));
      }
      return Buffer.concat(chunks, total);
    } finally {
      await handle.close();
    }
  } catch (err) {
    throw describe(err);
  }
}

/** {@link readNamedFile} for the command-line tools, which serve nothing while they read. */
export function readNamedFileSync(path: string, limit: number): Buffer {
  try {
    check(statSync(path), limit);
    const fd = openSync(path, OPEN_FLAGS);
    try {
      check(fstatSync(fd), limit);
      const chunks: Buffer[] = [];
      let total = 0;
      for (;;) {
        const buffer = Buffer.allocUnsafe(Math.max(1, Math.min(CHUNK, limit + 1 - total)));
        const n = readSync(fd, buffer, 0, buffer.length, null);
        if (n === 0) break;
        total += n;
        if (total > limit) throw tooLarge(limit);
        chunks.push(n === buffer.length ? buffer : buffer.subarray(0, n));
      }
      return Buffer.concat(chunks, total);
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    throw describe(err);
  }
}
