/** bench:dns options: the existing defaults stay, --final fills in the final sittings, bad values are refused. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseFlowCounters } from '../../bench/dns/flow-feed.js';
import { parseOptions } from '../../bench/dns/options.js';

test('without new flags the defaults are those of one full sitting, as before', () => {
  const o = parseOptions([])!;
  assert.equal(o.sittings, 1);
  assert.deepEqual(o.shapes, ['default']);
  assert.deepEqual(o.rambuSetups, ['shipped']);
  assert.deepEqual(o.otherShapeSetups, ['shipped']);
  assert.equal(o.seconds, 20);
  assert.equal(o.queriesPerClient, 50);
  assert.equal(o.idleWaitSeconds, 120);
});

test('--final: every shape, every setup in the default shape, shipped and flows elsewhere, three sittings, shorter runs', () => {
  const o = parseOptions(['--final'])!;
  assert.equal(o.sittings, 3);
  assert.equal(o.domains, 1_000_000);
  assert.deepEqual(o.shapes, ['default', 'deep-queue', 'many-clients']);
  assert.deepEqual(o.rambuSetups, ['shipped', 'flows', 'no-answers', 'no-collector', 'lean']);
  assert.deepEqual(o.otherShapeSetups, ['shipped', 'flows']);
  assert.equal(o.seconds, 6);
  assert.equal(o.flowRate, 20_000);
  assert.equal(o.deepClients, 8);
  assert.equal(o.deepOutstanding, 500);
});

test('--final takes explicit options over its own', () => {
  const o = parseOptions(['--final', '--sittings', '1', '--seconds', '3', '--shapes', 'deep-queue'])!;
  assert.equal(o.sittings, 1);
  assert.equal(o.seconds, 3);
  assert.deepEqual(o.shapes, ['deep-queue']);
});

test('refused: --quick with --final, an unknown setup, format or shape', () => {
  assert.throws(() => parseOptions(['--quick', '--final']), RangeError);
  assert.throws(() => parseOptions(['--rambu-setups', 'shipped,fast']), /Unknown rambu setup "fast"/);
  assert.throws(() => parseOptions(['--flow-format', 'sflow']), /Unknown flow format "sflow"/);
  assert.throws(() => parseOptions(['--shapes', 'deep']), /Unknown shape "deep"/);
  assert.throws(() => parseOptions(['--sittings', '0']), /--sittings must be a positive integer/);
});

test('flow counters summed over exporters, drops read, absent counters zero', () => {
  const text = [
    '# HELP rambu_flow_records Flow records decoded and attributed, by exporter',
    'rambu_flow_records{exporter="127.0.0.1"} 40000',
    'rambu_flow_records{exporter="10.0.0.1"} 2',
    'rambu_flow_records_other 7',
    'rambu_flow_socket_drops 3',
  ].join('\n');
  assert.deepEqual(parseFlowCounters(text), { records: 40002, drops: 3 });
  assert.deepEqual(parseFlowCounters(''), { records: 0, drops: 0 });
});
