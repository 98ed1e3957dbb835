import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { AnswerIndex } from '../answers/index.js';
import { parseConfigText } from '../config/index.js';
import { createEnforcer, dedicatedNames, NeverTouch, type BlockPair, type EnforceBackend, type Timers } from './index.js';

const at = (iso: string): number => Date.parse(iso);
const CONFIG = `timezone: Asia/Jakarta
schedules:
  pagi: [{ days: [mon, tue, wed, thu, fri, sat, sun], from: "07:00", to: "08:00" }]
services:
  video: ["video.example"]
rules:
  - { name: r, block: [video], during: pagi }
`;

/** A clock and timers that only move when the test says so. */
function fakeTime(start: number): { now: () => number; timers: Timers; advance(ms: number): Promise<void> } {
  let t = start;
  let seq = 0;
  const pending = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => t,
    timers: {
      setTimeout: (fn, ms) => { pending.set(++seq, { at: t + ms, fn }); return seq; },
      clearTimeout: (h) => { pending.delete(h as number); },
    },
    async advance(ms) {
      const end = t + ms;
      for (;;) {
        const due = [...pending].filter(([, p]) => p.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
        if (due === undefined) break;
        pending.delete(due[0]);
        t = Math.max(t, due[1].at);
        due[1].fn();
        for (let i = 0; i < 20; i++) await Promise.resolve();
        await new Promise((r) => setImmediate(r));
      }
      t = end;
    },
  };
}

function recordingBackend(fail: { on: boolean }): EnforceBackend & { log: string[] } {
  const log: string[] = [];
  const fmt = (ps: readonly BlockPair[]): string => ps.map((p) => `${p.client}>${p.address}`).sort().join(',');
  return {
    name: 'test', log,
    async hold(ps) { if (fail.on) throw new Error('nft: Operation not permitted'); log.push(`hold ${fmt(ps)}`); },
    async cut(ps) { log.push(`cut ${fmt(ps)}`); return ps.length * 2; },
    async clear() { log.push('clear'); },
  };
}

test('the enforcer cuts at the boundary by its timer, holds while the block lasts, lifts after, clears on stop', async () => {
  const start = at('2026-11-30T06:59:00+07:00');
  const time = fakeTime(start);
  const policy = parseConfigText(CONFIG, 'c.yaml', { baseDir: '/tmp', now: start }).policy;
  const index = new AnswerIndex({ graceMs: 86_400_000 });
  index.record('10.0.0.5', 'cdn.video.example', 'video', ['198.51.100.10'], 300, start);
  index.record('10.0.0.6', 'office.example', null, ['198.51.100.11'], 300, start);
  const backend = recordingBackend({ on: false });
  const enforcer = createEnforcer({
    backend, index, policy: () => policy, spare: new NeverTouch(), dedicated: dedicatedNames(['video.example']),
    logger: pino({ level: 'silent' }), now: time.now, timers: time.timers,
  });
  await enforcer.start();
  assert.deepEqual(backend.log, ['hold '], 'a start at 06:59 holds nothing yet');
  assert.equal(enforcer.status().nextBoundary, at('2026-11-30T07:00:00+07:00'));
  await time.advance(59_000);
  assert.deepEqual(backend.log.slice(1), [], 'nothing before 07:00');
  await time.advance(1_100);
  assert.deepEqual(backend.log.slice(1, 3), ['hold 10.0.0.5>198.51.100.10', 'cut 10.0.0.5>198.51.100.10'], 'at 07:00 the pair is held, then cut');
  const st = enforcer.status();
  assert.equal(st.lastBoundary, at('2026-11-30T07:00:00+07:00'));
  assert.ok(st.lastCutMs !== null && st.lastCutMs < 1000, `cut ${st.lastCutMs} ms after the boundary`);
  assert.equal(st.connectionsCut, 2);
  assert.deepEqual(st.addresses, { video: 1 });
  assert.equal(st.running, true);

  // New answers for the blocked client join the hold (and are cut) soon after they arrive.
  index.record('10.0.0.5', 'cdn2.video.example', 'video', ['198.51.100.12'], 300, time.now());
  enforcer.noteAnswer('10.0.0.5', 'video');
  await time.advance(1_000);
  assert.ok(backend.log.includes('hold 10.0.0.5>198.51.100.10,10.0.0.5>198.51.100.12'), backend.log.join('\n'));
  assert.ok(backend.log.includes('cut 10.0.0.5>198.51.100.12'), 'only the new pair is cut');

  await time.advance(at('2026-11-30T08:00:00+07:00') - time.now() + 100);
  assert.equal(backend.log.at(-1), 'hold ', 'lifted at 08:00');
  await enforcer.stop();
  assert.equal(backend.log.at(-1), 'clear');
});

test('a back-end that fails is reported in the status, retried soon, and the next evaluation recovers', async () => {
  const start = at('2026-11-30T07:30:00+07:00');
  const time = fakeTime(start);
  const policy = parseConfigText(CONFIG, 'c.yaml', { baseDir: '/tmp', now: start }).policy;
  const index = new AnswerIndex();
  index.record('10.0.0.5', 'cdn.video.example', 'video', ['198.51.100.10'], 300, start);
  const fail = { on: true };
  const backend = recordingBackend(fail);
  const enforcer = createEnforcer({
    backend, index, policy: () => policy, spare: new NeverTouch(), dedicated: dedicatedNames([]),
    logger: pino({ level: 'silent' }), now: time.now, timers: time.timers,
  });
  await enforcer.start();
  assert.equal(enforcer.status().running, false);
  assert.match(enforcer.status().lastError ?? '', /Operation not permitted/);
  fail.on = false;
  await time.advance(9_000);
  assert.equal(enforcer.status().running, false, 'no retry before 10 s');
  await time.advance(1_500);
  assert.equal(enforcer.status().running, true, 'a failed evaluation is retried after 10 s');
  assert.equal(enforcer.status().lastError, null);
  assert.deepEqual(backend.log, ['hold ', 'cut 10.0.0.5>198.51.100.10'], 'a shared address is cut, not held');
  await enforcer.stop();
});

test('a stop waits at most 10 s for a back-end that never finishes removing its state', async () => {
  const start = at('2026-11-30T07:30:00+07:00');
  const time = fakeTime(start);
  const policy = parseConfigText(CONFIG, 'c.yaml', { baseDir: '/tmp', now: start }).policy;
  const backend: EnforceBackend = { name: 'test', hold: async () => undefined, cut: async () => 0, clear: () => new Promise<void>(() => undefined) };
  const enforcer = createEnforcer({
    backend, index: new AnswerIndex(), policy: () => policy, spare: new NeverTouch(), dedicated: dedicatedNames([]),
    logger: pino({ level: 'silent' }), now: time.now, timers: time.timers,
  });
  await enforcer.start();
  let stopped = false;
  const stopping = enforcer.stop().then(() => { stopped = true; });
  await new Promise((r) => setImmediate(r)); // the stop reaches the back-end and arms its deadline
  await time.advance(9_000);
  assert.equal(stopped, false, 'still waiting after 9 s');
  await time.advance(1_500);
  await stopping;
  assert.equal(enforcer.status().running, false);
});
