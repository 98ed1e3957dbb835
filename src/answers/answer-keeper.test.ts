import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { encodeMessage, FLAG, RR_CLASS, RR_TYPE } from '../dns/index.js';
import { openStore } from '../store/index.js';
import { AnswerFeed, AnswerIndex, createAnswerKeeper, forEachAnswer, SqliteAnswerStore } from './index.js';

const T0 = Date.UTC(2026, 11, 2, 23, 59, 0);

function aResponse(name: string, address: string, ttl: number): Buffer {
  return encodeMessage({
    id: 1, flags: FLAG.QR | FLAG.RA, questions: [{ name, type: RR_TYPE.A, class: RR_CLASS.IN }],
    answers: [{ name, type: RR_TYPE.A, class: RR_CLASS.IN, ttl, data: address }], authorities: [], additionals: [],
  });
}

test('the keeper records the main thread and thread batches, saves them, and a new process reloads the live ones', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rambu-answers-'));
  try {
    const clock = { now: T0 };
    const logger = pino({ level: 'silent' });
    let store = openStore({ dir, pruneIntervalMs: 0 });
    const registry = new Registry();
    const first = new AnswerIndex({ graceMs: 60_000 });
    const keeper = createAnswerKeeper({ index: first, db: store.db, logger, registry, now: () => clock.now });
    keeper.onAnswer('10.0.0.5', 'rr1.googlevideo.com', 'youtube', aResponse('rr1.googlevideo.com', '142.250.1.1', 300), T0);
    const thread = new AnswerFeed();
    thread.push('10.0.0.6', 'docs.example.org', null, aResponse('docs.example.org', '192.0.2.7', 30), T0);
    thread.push('10.0.0.6', 'short.example.org', 'x', aResponse('short.example.org', '192.0.2.8', 0), T0);
    keeper.apply(thread.take()!);
    keeper.flush();
    assert.equal(first.lookup('10.0.0.5', '142.250.1.1', T0)?.service, 'youtube');
    assert.match(await registry.metrics(), /rambu_answer_index_entries 3/);
    keeper.close();
    await store.close();

    // 65 s later: the 0 s answer (grace 60 s) is gone, the others are back.
    clock.now = T0 + 65_000;
    store = openStore({ dir, pruneIntervalMs: 0 });
    const second = new AnswerIndex({ graceMs: 60_000 });
    const again = createAnswerKeeper({ index: second, db: store.db, logger, now: () => clock.now });
    assert.equal(await again.ready, 2);
    assert.deepEqual(second.lookup('10.0.0.5', '142.250.1.1', clock.now), { name: 'rr1.googlevideo.com', service: 'youtube', expires: T0 + 360_000 });
    assert.deepEqual(second.lookup('10.0.0.6', '192.0.2.7', clock.now), { name: 'docs.example.org', service: null, expires: T0 + 90_000 });
    assert.equal(second.lookupAny('192.0.2.8', clock.now), null);
    assert.equal(second.size, 2);
    again.close();
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a large saved index comes back page by page, and an answer given meanwhile wins over its saved one', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rambu-answers-'));
  try {
    const store = openStore({ dir, pruneIntervalMs: 0 });
    const rows = Array.from({ length: 12_001 }, (_, i) => ({
      client: `10.1.${i >> 8}.${i & 255}`, address: `198.51.${i >> 8}.${i & 255}`, name: `n${i}.example`, service: i % 2 === 0 ? 'video' : null, expires: T0 + 600_000 + (i % 7) * 1000,
    }));
    rows.push({ client: '10.9.9.9', address: '192.0.2.1', name: 'old.example', service: 'video', expires: T0 + 900_000 });
    new SqliteAnswerStore(store.db).save(rows);
    const index = new AnswerIndex();
    const keeper = createAnswerKeeper({ index, db: store.db, logger: pino({ level: 'silent' }), now: () => T0 });
    // Synchronously after start only the first page is in; a fresh answer arrives before the rest.
    assert.ok(index.size <= 5_000, `first page: ${index.size}`);
    index.add('10.9.9.9', '192.0.2.1', { name: 'new.example', service: null, expires: T0 + 300_000 }, T0);
    assert.equal(await keeper.ready, 12_002);
    assert.equal(index.size, 12_002);
    assert.equal(index.lookup('10.9.9.9', '192.0.2.1', T0)?.name, 'new.example');
    assert.deepEqual(index.lookup('10.1.46.224', '198.51.46.224', T0), { name: 'n12000.example', service: 'video', expires: T0 + 600_000 + (12000 % 7) * 1000 });
    keeper.close();
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a subscriber gets every answer recorded after it subscribed, the main thread\'s and the threads\', and a copy built from them answers alike', () => {
  const logger = pino({ level: 'silent' });
  const main = new AnswerIndex({ graceMs: 60_000 });
  const keeper = createAnswerKeeper({ index: main, db: null, logger, now: () => T0 });
  keeper.onAnswer('10.0.0.4', 'before.example', null, aResponse('before.example', '192.0.2.4', 300), T0);
  keeper.flush();
  const copy = new AnswerIndex({ graceMs: 60_000 });
  const unsubscribe = keeper.subscribe((batch) => forEachAnswer(batch, (client, name, service, bytes, start, end, time) => { copy.recordResponse(client, name, service, bytes, start, end, time); }));
  keeper.onAnswer('10.0.0.5', 'rr1.googlevideo.com', 'youtube', aResponse('rr1.googlevideo.com', '142.250.1.1', 300), T0);
  const thread = new AnswerFeed();
  thread.push('10.0.0.6', 'docs.example.org', null, aResponse('docs.example.org', '192.0.2.7', 30), T0);
  keeper.apply(thread.take()!);
  keeper.flush();
  assert.deepEqual(copy.lookup('10.0.0.5', '142.250.1.1', T0), main.lookup('10.0.0.5', '142.250.1.1', T0));
  assert.equal(copy.lookup('10.0.0.5', '142.250.1.1', T0)?.service, 'youtube');
  assert.equal(copy.lookup('10.0.0.6', '192.0.2.7', T0)?.name, 'docs.example.org');
  assert.equal(copy.lookup('10.0.0.4', '192.0.2.4', T0), null, 'recorded before the subscription: not sent');
  assert.equal(main.lookup('10.0.0.4', '192.0.2.4', T0)?.name, 'before.example');
  unsubscribe();
  keeper.onAnswer('10.0.0.7', 'late.example', null, aResponse('late.example', '192.0.2.9', 300), T0);
  keeper.flush();
  assert.equal(copy.lookup('10.0.0.7', '192.0.2.9', T0), null);
  assert.equal(main.lookup('10.0.0.7', '192.0.2.9', T0)?.name, 'late.example');
  keeper.close();
});

test('the keeper tells enforcement of every recorded answer of a service, from every thread', () => {
  const told: string[] = [];
  const keeper = createAnswerKeeper({ index: new AnswerIndex(), db: null, logger: pino({ level: 'silent' }), onRecorded: (client, service) => told.push(`${client} ${service}`) });
  keeper.onAnswer('10.0.0.5', 'rr1.googlevideo.com', 'youtube', aResponse('rr1.googlevideo.com', '142.250.1.1', 300), T0);
  keeper.onAnswer('10.0.0.5', 'docs.example.org', null, aResponse('docs.example.org', '192.0.2.7', 300), T0);
  const thread = new AnswerFeed();
  thread.push('10.0.0.6', 'vidio.com', 'vidio', aResponse('vidio.com', '203.0.113.9', 300), T0);
  keeper.apply(thread.take()!);
  keeper.flush();
  keeper.close();
  assert.deepEqual(told.sort(), ['10.0.0.5 youtube', '10.0.0.6 vidio']);
});

test('with share, the keeper hands out each changed answer given here once, and takes in other gateways\' answers without handing them back', () => {
  const clock = { now: T0 };
  const logger = pino({ level: 'silent' });
  const index = new AnswerIndex({ graceMs: 60_000 });
  const recorded: string[] = [];
  const keeper = createAnswerKeeper({ index, db: null, logger, now: () => clock.now, share: true, onRecorded: (client, service) => recorded.push(`${client} ${service}`) });
  const entries: string[] = [];
  const off = keeper.subscribe(() => undefined, (list) => entries.push(...list.map((e) => `${e.client} ${e.address} ${e.name}`)));
  try {
    keeper.onAnswer('10.0.0.5', 'rr1.googlevideo.com', 'youtube', aResponse('rr1.googlevideo.com', '142.250.1.1', 300), T0);
    keeper.flush();
    assert.deepEqual(keeper.takeShared(10), [{ client: '10.0.0.5', address: '142.250.1.1', name: 'rr1.googlevideo.com', service: 'youtube', expires: T0 + 360_000 }]);
    assert.deepEqual(keeper.takeShared(10), [], 'each change once');
    // The same answer moments later (no news) is not shared again; a life longer by a minute or more is.
    clock.now = T0 + 5_000;
    keeper.onAnswer('10.0.0.5', 'rr1.googlevideo.com', 'youtube', aResponse('rr1.googlevideo.com', '142.250.1.1', 300), clock.now);
    keeper.flush();
    assert.deepEqual(keeper.takeShared(10), []);
    clock.now = T0 + 120_000;
    keeper.onAnswer('10.0.0.5', 'rr1.googlevideo.com', 'youtube', aResponse('rr1.googlevideo.com', '142.250.1.1', 300), clock.now);
    keeper.flush();
    assert.deepEqual(keeper.takeShared(10).map((e) => e.expires), [T0 + 480_000]);

    // Another gateway's answers: recorded, told to enforcement and subscribers, never shared back.
    const theirs = { client: '10.0.0.9', address: '203.0.113.4', name: 'www.netflix.com', service: 'netflix', expires: T0 + 600_000 };
    assert.equal(keeper.applyShared([theirs]), 1);
    assert.deepEqual(index.lookup('10.0.0.9', '203.0.113.4', clock.now), { name: 'www.netflix.com', service: 'netflix', expires: T0 + 600_000 });
    assert.deepEqual(recorded.slice(-1), ['10.0.0.9 netflix']);
    assert.deepEqual(entries, ['10.0.0.9 203.0.113.4 www.netflix.com']);
    assert.deepEqual(keeper.takeShared(10), []);
    // An older copy of what the index knows better changes nothing.
    assert.equal(keeper.applyShared([{ ...theirs, expires: T0 + 300_000 }]), 0);
    assert.equal(index.lookup('10.0.0.9', '203.0.113.4', clock.now)?.expires, T0 + 600_000);
    assert.equal(keeper.notShared(), 0);
  } finally {
    off();
    keeper.close();
  }
});
