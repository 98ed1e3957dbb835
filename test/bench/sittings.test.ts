/** The DNS benchmark's sittings arithmetic: medians and ranges per cell, verdicts, feature costs. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { costOf, formatSpread, formatVerdict, median, spread, summarizeSittings, verdicts, type Sample } from '../../bench/dns/sittings.js';

const sample = (sitting: number, target: string, values: Sample['values'], shape = 'default'): Sample => ({ sitting, shape, target, values });

test('median of odd and even counts, and of none', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.throws(() => median([]), RangeError);
});

test('spread skips missing values and gives null for none', () => {
  assert.deepEqual(spread([5, null, 1, 9, undefined]), { median: 5, min: 1, max: 9, n: 3 });
  assert.equal(spread([null, undefined]), null);
});

test('a sitting with two runs counts once, with the median of its runs', () => {
  const rows = summarizeSittings([
    sample(1, 'rambu', { qps: 100 }), sample(1, 'rambu', { qps: 200 }),
    sample(2, 'rambu', { qps: 120 }),
    sample(3, 'rambu', { qps: 300 }),
  ], 3);
  assert.equal(rows.length, 1);
  assert.deepEqual(rows[0]!.bySitting.qps, [150, 120, 300]);
  assert.deepEqual(rows[0]!.cells.qps, { median: 150, min: 120, max: 300, n: 3 });
  assert.equal(rows[0]!.cells.fixedRateLatencyMs, undefined);
});

test('rows keep the order first measured, per shape', () => {
  const rows = summarizeSittings([
    sample(1, 'rambu', { qps: 1 }), sample(1, 'unbound', { qps: 2 }), sample(1, 'rambu', { qps: 3 }, 'deep-queue'),
  ], 1);
  assert.deepEqual(rows.map((r) => `${r.shape}/${r.target}`), ['default/rambu', 'default/unbound', 'deep-queue/rambu']);
});

test('formatSpread shows the range only when the sittings differ', () => {
  assert.equal(formatSpread({ median: 124769, min: 120000, max: 130500, n: 3 }), '124,769 (120,000-130,500)');
  assert.equal(formatSpread({ median: 1.5, min: 1.5, max: 1.5, n: 3 }, 2), '1.50');
  assert.equal(formatSpread(undefined), '-');
});

test('queries/s against unbound: missed by how much, and in how many sittings it held', () => {
  const rows = summarizeSittings([
    sample(1, 'rambu', { qps: 84 }), sample(2, 'rambu', { qps: 110 }), sample(3, 'rambu', { qps: 80 }),
    sample(1, 'unbound', { qps: 100 }), sample(2, 'unbound', { qps: 100 }), sample(3, 'unbound', { qps: 100 }),
  ], 3);
  const [v] = verdicts(rows, ['rambu'], ['unbound', 'dnsmasq']);
  assert.ok(v);
  assert.equal(v.met, false);
  assert.equal(v.value, 84);
  assert.equal(v.bound, 100);
  assert.deepEqual(v.missedBy, { amount: 16, percent: 16 });
  assert.equal(v.sittingsMet, 1);
  assert.equal(v.sittingsMeasured, 3);
  assert.match(formatVerdict(v), /missed\*\* by 16 q\/s = 16\.0 % \(met in 1 of 3 sittings\)/);
});

test('fixed bounds: RSS over 150 MB misses by the excess, a first answer within 2 s is met', () => {
  const rows = summarizeSittings([sample(1, 'rambu', { rssMB: 171, firstAnswerSeconds: 1.58 })], 1);
  const out = verdicts(rows, ['rambu'], ['unbound']);
  const rss = out.find((v) => v.goal.startsWith('RSS'));
  const first = out.find((v) => v.goal.startsWith('first answer'));
  assert.equal(rss?.missedBy?.amount, 21);
  assert.ok(Math.abs(rss.missedBy.percent! - 14) < 1e-9);
  assert.equal(first?.met, true);
  assert.equal(formatVerdict(first!), 'met');
});

test('lost queries are held against the worst peer, and a bound of zero has no percentage', () => {
  const rows = summarizeSittings([
    sample(1, 'rambu', { lost: 12 }), sample(1, 'unbound', { lost: 0 }), sample(1, 'dnsmasq', { lost: 0 }),
    sample(1, 'rambu', { lost: 1455 }, 'deep-queue'), sample(1, 'unbound', { lost: 1535 }, 'deep-queue'), sample(1, 'dnsmasq', { lost: 900 }, 'deep-queue'),
  ], 1);
  const out = verdicts(rows, ['rambu'], ['unbound', 'dnsmasq']).filter((v) => v.goal.startsWith('no more lost'));
  assert.equal(out.length, 2);
  assert.deepEqual(out[0]!.missedBy, { amount: 12, percent: null });
  assert.equal(out[1]!.met, true);
  assert.equal(out[1]!.bound, 1535);
});

test('no verdict where the row or its bound was not measured', () => {
  const rows = summarizeSittings([sample(1, 'rambu', { qps: 5, fixedRateLatencyMs: 0.05 })], 1);
  assert.deepEqual(verdicts(rows, ['rambu'], ['unbound']), []);
});

test('a feature\'s cost per sitting and over the medians', () => {
  const rows = summarizeSittings([
    sample(1, 'rambu', { qps: 75 }), sample(2, 'rambu', { qps: 90 }),
    sample(1, 'rambu, answer index off', { qps: 100 }), sample(2, 'rambu, answer index off', { qps: 100 }),
  ], 2);
  const cost = costOf(rows, 'default', 'rambu', 'rambu, answer index off');
  assert.ok(cost);
  assert.ok(Math.abs(cost.median - 0.175) < 1e-9);
  assert.deepEqual(cost.perSitting.map((c) => Math.round(c * 100)), [25, 10]);
  assert.equal(costOf(rows, 'default', 'rambu', 'rambu, lean'), null);
});
