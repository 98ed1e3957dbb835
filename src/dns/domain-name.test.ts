import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ERROR_CODES } from '../errors.js';
import { isSubdomain, nameLabels, normalizeName, readName } from './domain-name.js';
import { WireReader } from './wire-reader.js';
import { WireWriter } from './wire-writer.js';

test('a name with escapes round-trips through the wire', () => {
  for (const name of ['', 'example.com', 'a\\.b.example', 'x\\\\y.z', 'nul\\000byte.example', 'UPPER.Case']) {
    const w = new WireWriter();
    w.name(name, true);
    assert.equal(readName(new WireReader(w.finish())), name);
  }
});

test('a trailing dot is the same name', () => {
  assert.deepEqual(nameLabels('example.com.'), ['example', 'com']);
  assert.equal(normalizeName('WWW.YouTube.COM.'), 'www.youtube.com');
});

test('a second name points at the first', () => {
  const w = new WireWriter();
  w.name('www.example.com', true);
  w.name('mail.EXAMPLE.com', true);
  const out = w.finish();
  assert.equal(out.length, 17 + 5 + 2);
  const r = new WireReader(out, 17);
  assert.equal(readName(r), 'mail.example.com');
  assert.equal(r.pos, out.length);
});

test('a label of 64 bytes on the wire is malformed', () => {
  const buf = Buffer.concat([Buffer.from([64]), Buffer.alloc(64, 0x61), Buffer.from([0])]);
  assert.throws(() => readName(new WireReader(buf)), { code: ERROR_CODES.DNS_MALFORMED });
});

test('isSubdomain matches whole labels only', () => {
  assert.ok(isSubdomain('mask.icloud.com', 'mask.icloud.com'));
  assert.ok(isSubdomain('a.mask.icloud.com', 'mask.icloud.com'));
  assert.ok(!isSubdomain('nomask.icloud.com', 'mask.icloud.com'));
});
