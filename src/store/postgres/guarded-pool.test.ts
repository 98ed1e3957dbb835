import assert from 'node:assert/strict';
import { test } from 'node:test';
import type pg from 'pg';
import { StoreError } from '../store-error.js';
import { guardPool, isUnreachable } from './guarded-pool.js';

const withCode = (code: string, message = 'x'): Error => Object.assign(new Error(message), { code });

test('unreachable: socket errors, connection exceptions, shutdowns and pg connect timeouts; not a refused query', () => {
  for (const e of [withCode('ECONNREFUSED'), withCode('ETIMEDOUT'), withCode('08006'), withCode('57P01'), withCode('57P03'),
    new Error('timeout exceeded when trying to connect'), new Error('Connection terminated unexpectedly')]) {
    assert.equal(isUnreachable(e), true, e.message);
  }
  for (const e of [withCode('23505'), withCode('42P01'), withCode('28P01'), new Error('syntax error')]) {
    assert.equal(isUnreachable(e), false, (e as { code?: string }).code ?? e.message);
  }
});

test('the guarded pool turns an unreachable server into STORE_UNAVAILABLE naming the store, and passes other errors on', async () => {
  let fail: Error = withCode('ECONNREFUSED', 'connect ECONNREFUSED 10.20.0.10:5432');
  const pool = { query: async () => { throw fail; } } as unknown as pg.Pool;
  const db = guardPool(pool, 'rambu@10.20.0.10:5432/rambu');
  await assert.rejects(db.query('SELECT 1'), (err: unknown) =>
    err instanceof StoreError && err.code === 'STORE_UNAVAILABLE' && err.message.includes('rambu@10.20.0.10:5432/rambu'));
  fail = withCode('23505', 'duplicate key');
  await assert.rejects(db.query('SELECT 1'), (err: unknown) => err === fail);
});
