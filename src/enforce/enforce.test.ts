import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AnswerIndex } from '../answers/index.js';
import { ERROR_CODES, RambuError } from '../errors.js';
import { blockPairs, createNftBackend, NeverTouch, type CommandRunner } from './index.js';

const T0 = Date.UTC(2026, 11, 3, 0, 0, 0);

test('never-touch spares loopback, link-local, multicast, private, own and extra addresses', () => {
  const spare = new NeverTouch({ own: ['203.0.113.1'], extra: ['198.51.100.0/28'] });
  for (const a of ['127.0.0.1', '0.0.0.0', '169.254.1.1', '224.0.0.251', '255.255.255.255', '10.1.2.3', '172.20.0.1', '192.168.1.1',
    '100.64.0.1', '::1', '::', 'fe80::1', 'ff02::fb', 'fd12::1', '::ffff:8.8.8.8', '203.0.113.1', '198.51.100.9', 'garbage']) {
    assert.ok(spare.spares(a), a);
  }
  for (const a of ['142.250.4.136', '203.0.113.2', '198.51.100.16', '2404:6800:4003:c00::5d']) assert.ok(!spare.spares(a), a);
  assert.ok(!new NeverTouch({ privateRanges: false }).spares('10.1.2.3'));
  assert.throws(() => new NeverTouch({ extra: ['nope'] }), RangeError);
});

test('block pairs come from the answer index per client and service, spared addresses left out', () => {
  const index = new AnswerIndex({ graceMs: 0 });
  index.record('10.0.0.5', 'rr1.googlevideo.com', 'youtube', ['142.250.4.136', '192.168.1.10', '2404:6800:4003:c00::5d'], 300, T0);
  index.record('10.0.0.5', 'docs.google.com', null, ['142.250.4.100'], 300, T0);
  index.record('10.0.0.6', 'rr2.googlevideo.com', 'youtube', ['142.250.4.137'], 300, T0);
  index.record('10.0.0.7', 'vidio.com', 'vidio', ['103.1.2.3'], 300, T0);
  const pairs = blockPairs(index, [{ client: '10.0.0.5', service: 'youtube' }, { client: '10.0.0.6', service: 'youtube' }, { client: '10.0.0.6', service: 'youtube' }], T0, new NeverTouch());
  assert.deepEqual(pairs.map((p) => `${p.client} ${p.address}`).sort(), [
    '10.0.0.5 142.250.4.136', '10.0.0.5 2404:6800:4003:c00::5d', '10.0.0.6 142.250.4.137',
  ]);
  assert.deepEqual(blockPairs(index, [{ client: '10.0.0.5', service: 'youtube' }], T0 + 301_000, new NeverTouch()), [], 'expired answers are not held');
});

test('the nftables back-end applies the ruleset with nft -f, cuts with conntrack and reports failures', async () => {
  const calls: string[] = [];
  let nftCode = 0;
  const run: CommandRunner = async (command, args, stdin) => {
    calls.push(`${command} ${args.join(' ')}${stdin === undefined ? '' : ` <<${stdin.split('\n')[0]}`}`);
    if (command === 'nft') return { code: nftCode, stdout: '', stderr: nftCode === 0 ? '' : 'Error: Could not process rule: Operation not permitted\n' };
    const matched = args.includes('tcp') && args.includes('10.0.0.5');
    return { code: matched ? 0 : 1, stdout: '', stderr: matched ? 'conntrack v1.4.8 (conntrack-tools): 2 flow entries have been deleted.\n' : 'conntrack v1.4.8 (conntrack-tools): 0 flow entries have been deleted.\n' };
  };
  const backend = createNftBackend(run);
  await backend.hold([{ client: '10.0.0.5', address: '142.250.4.136' }]);
  assert.equal(await backend.cut([{ client: '10.0.0.5', address: '142.250.4.136' }, { client: '10.0.0.6', address: '142.250.4.137' }]), 2);
  await backend.clear();
  assert.deepEqual(calls, [
    'nft -f - <<table inet rambu',
    'nft -f - <<add element inet rambu cut4 { 10.0.0.5 . 142.250.4.136 timeout 120s, 10.0.0.6 . 142.250.4.137 timeout 120s }',
    'conntrack -D -f ipv4 -p tcp -s 10.0.0.5 -d 142.250.4.136',
    'conntrack -D -f ipv4 -p udp -s 10.0.0.5 -d 142.250.4.136',
    'conntrack -D -f ipv4 -p tcp -s 10.0.0.6 -d 142.250.4.137',
    'conntrack -D -f ipv4 -p udp -s 10.0.0.6 -d 142.250.4.137',
    'nft -f - <<table inet rambu',
  ]);
  nftCode = 1;
  await assert.rejects(backend.hold([]), (err: unknown) => err instanceof RambuError && err.code === ERROR_CODES.ENFORCE_FAILED && /Operation not permitted/.test(err.message));
});
