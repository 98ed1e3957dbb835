/**
 * The native addons are built (npm run build compiles them; the tests need gcc) and native/process.c
 * does what src/cli/collect-garbage.ts and src/store/writer-priority.ts rely on.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { addonPath, loadAddon, type ProcessAddon } from '../src/native-addons.js';

test('both addons are built and load', () => {
  for (const name of ['udp-batch', 'process'] as const) {
    assert.ok(existsSync(addonPath(name)), `${addonPath(name)} is missing: npm run build compiles it (needs gcc)`);
    const addon = loadAddon(name);
    assert.equal(addon.reason, null);
    assert.notEqual(addon.binding, null);
  }
});

test('the allocator settings take effect and bad arguments are refused', () => {
  const native = loadAddon<ProcessAddon>('process').binding!;
  assert.equal(native.fixMmapThreshold(128 * 1024), true);
  assert.throws(() => native.fixMmapThreshold(-1), TypeError);
  assert.throws(() => (native.fixMmapThreshold as unknown as () => boolean)(), TypeError);
  // Free some heap blocks, then hand their pages back.
  let blocks: Buffer[] = Array.from({ length: 20_000 }, (_, i) => Buffer.allocUnsafeSlow(1000 + (i % 50)));
  blocks = blocks.filter((_, i) => i % 2 === 0);
  assert.equal(typeof native.releaseFreeMemory(), 'boolean');
  assert.equal(blocks.length, 10_000);
});
