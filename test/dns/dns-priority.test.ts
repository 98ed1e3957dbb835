/**
 * A DNS thread's short scheduler slice (src/dns/dns-priority.ts), read back from /proc: the calling
 * thread gets it, other threads keep theirs, and on Linux 6.12 or later it must take effect.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { DNS_SLICE_NS } from '../../src/dns/dns-priority.js';
import { kernelHasSlices, sliceIn } from './dns-test-kit.js';

const ownSlice = (): number => sliceIn('/proc/thread-self/sched');

/** Runs shortenSlice() in a new thread; its result and the slices /proc shows before and after. */
async function inWorker(): Promise<{ result: { kind: string; ns?: number; reason?: string }; before: number; after: number }> {
  const worker = new Worker(`
    const { parentPort } = require('node:worker_threads');
    Promise.all([
      import(${JSON.stringify(new URL('../../src/dns/dns-priority.js', import.meta.url).href)}),
      import(${JSON.stringify(new URL('./dns-test-kit.js', import.meta.url).href)}),
    ]).then(([m, kit]) => {
      const slice = () => kit.sliceIn('/proc/thread-self/sched');
      const before = slice();
      const result = m.shortenSlice();
      parentPort.postMessage({ result, before, after: slice() });
    });
  `, { eval: true });
  try {
    return await new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
  } finally {
    await worker.terminate();
  }
}

describe('DNS thread slice', { skip: process.platform !== 'linux' }, () => {
  it('the calling thread alone takes the 0.1 ms slice, where the kernel has per-thread slices', async () => {
    const main = ownSlice();
    const { result, before, after } = await inWorker();
    if (kernelHasSlices()) {
      assert.deepEqual(result, { kind: 'short', ns: DNS_SLICE_NS });
      assert.equal(after, DNS_SLICE_NS);
      assert.notEqual(before, DNS_SLICE_NS, 'the thread started with the default slice');
    } else {
      assert.equal(result.kind, 'unavailable');
      assert.equal(after, before);
    }
    assert.equal(ownSlice(), main, 'the other threads keep their slice');
  });
});
