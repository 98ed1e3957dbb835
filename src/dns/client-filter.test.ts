import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ERROR_CODES } from '../errors.js';
import { ClientFilter } from './client-filter.js';

test('the client filter matches CIDRs, single addresses and IPv4-mapped IPv6', () => {
  const f = new ClientFilter(['10.0.0.0/8', '192.168.1.7', 'fc00::/7']);
  assert.ok(f.allows('10.1.2.3'));
  assert.ok(f.allows('::ffff:10.1.2.3'));
  assert.ok(f.allows('192.168.1.7'));
  assert.ok(!f.allows('192.168.1.8'));
  assert.ok(f.allows('fd00::1'));
  assert.ok(!f.allows('2001:db8::1'));
  assert.throws(() => new ClientFilter(['10.0.0.0/33']), { code: ERROR_CODES.INVALID_ARGUMENT });
  assert.throws(() => new ClientFilter(['nope']), { code: ERROR_CODES.INVALID_ARGUMENT });
});
