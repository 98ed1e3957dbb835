import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { NamedFileError, readNamedFile, readNamedFileSync } from './named-file.js';

describe('reading a file the config names', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'rambu-named-'));
    writeFileSync(join(dir, 'list.txt'), 'a.example\nb.example\n');
    execFileSync('mkfifo', [join(dir, 'pipe')]);
    mkdirSync(join(dir, 'folder'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const readers = [
    ['async', (p: string, limit: number) => readNamedFile(p, limit)],
    ['sync', async (p: string, limit: number) => readNamedFileSync(p, limit)],
  ] as const;

  for (const [name, read] of readers) {
    it(`${name}: reads a regular file whole, up to the bound exactly`, async () => {
      assert.equal((await read(join(dir, 'list.txt'), 1000)).toString(), 'a.example\nb.example\n');
      assert.equal((await read(join(dir, 'list.txt'), 20)).length, 20);
    });

    it(`${name}: refuses a FIFO at once, without waiting for a writer`, async () => {
      await assert.rejects(read(join(dir, 'pipe'), 1000), (err: unknown) => err instanceof NamedFileError && err.code === 'NOT_REGULAR_FILE' && /FIFO/.test(err.message));
    });

    it(`${name}: refuses devices and directories`, async () => {
      await assert.rejects(read('/dev/zero', 1000), /character device/);
      await assert.rejects(read(join(dir, 'folder'), 1000), /a directory/);
    });

    it(`${name}: refuses a file above the bound, and says why a missing one cannot be read`, async () => {
      await assert.rejects(read(join(dir, 'list.txt'), 19), (err: unknown) => err instanceof NamedFileError && err.code === 'FILE_TOO_LARGE');
      await assert.rejects(read(join(dir, 'missing.txt'), 1000), (err: unknown) => err instanceof NamedFileError && err.code === 'ENOENT');
    });
  }

  it('async: a large file is read in chunks, whole', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024 + 17, 0x61);
    writeFileSync(join(dir, 'big.txt'), big);
    assert.ok((await readNamedFile(join(dir, 'big.txt'), big.length)).equals(big));
  });
});
