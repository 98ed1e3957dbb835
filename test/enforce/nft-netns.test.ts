/**
 * The nftables back-end against the real `nft`, inside a network namespace the test makes and
 * removes (also on failure): the table text applies atomically on an empty namespace, reads back
 * with `nft -j` as exactly the pairs it held, a second plan replaces the first, and a clean stop
 * leaves no table. Needs root (CI runs as root) and nftables (scripts/test.mjs installs it).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { spawnRunner } from '../../src/cli/enforce-service.js';
import { createNftBackend, NFT_LIST_ARGS, pairsFromNftJson, type CommandRunner } from '../../src/enforce/index.js';

// The runner rambu serve uses (a command that exits without reading its input is no EPIPE).
const run: CommandRunner = spawnRunner;

const isRoot = process.getuid?.() === 0;

test('table inet rambu through real nft in a network namespace: apply, read back, replace, remove', { skip: isRoot ? false : 'needs root (CI runs as root)' }, async () => {
  const ns = `rambu-nft-${process.pid}`;
  const made = await run('ip', ['netns', 'add', ns]);
  assert.equal(made.code, 0, made.stderr);
  try {
    const inNs: CommandRunner = (command, args, stdin) => run('ip', ['netns', 'exec', ns, command, ...args], stdin);
    const backend = createNftBackend(inNs);
    const read = async () => {
      const r = await inNs('nft', [...NFT_LIST_ARGS]);
      assert.equal(r.code, 0, r.stderr);
      return pairsFromNftJson(r.stdout).map((p) => `${p.client} ${p.address}`).sort();
    };

    await backend.hold([
      { client: '10.20.5.7', address: '142.250.4.136' }, { client: '10.20.5.8', address: '142.250.4.93' },
      { client: 'fd00::7', address: '2404:6800:4003:c00::5d' },
    ]);
    assert.deepEqual(await read(), ['10.20.5.7 142.250.4.136', '10.20.5.8 142.250.4.93', 'fd00::7 2404:6800:4003:c00::5d']);
    const rules = (await inNs('nft', ['list', 'chain', 'inet', 'rambu', 'forward'])).stdout;
    assert.match(rules, /ip saddr \. ip daddr @block4 meta l4proto tcp reject with tcp reset/);
    assert.match(rules, /ip6 saddr \. ip6 daddr @block6 meta l4proto udp drop/);

    await backend.hold([{ client: '10.20.5.9', address: '142.250.4.137' }]);
    assert.deepEqual(await read(), ['10.20.5.9 142.250.4.137'], 'the second plan replaces the first');
    await backend.hold([]);
    assert.deepEqual(await read(), []);

    await backend.clear();
    const gone = await inNs('nft', [...NFT_LIST_ARGS]);
    assert.notEqual(gone.code, 0, 'the table is gone after a clean stop');
    await backend.clear();
  } finally {
    await run('ip', ['netns', 'del', ns]);
  }
});
