import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ERROR_CODES } from '../errors.js';
import { formatIPv6, parseIPv6, unmapIPv4 } from './ip-address.js';

test('IPv6 text follows RFC 5952', () => {
  const cases = ['::', '::1', '2001:db8::1', '2001:db8:0:1:1:1:1:1', 'fe80::1:0:0:1', '::ffff:1.2.3.4'];
  const expect = ['::', '::1', '2001:db8::1', '2001:db8:0:1:1:1:1:1', 'fe80::1:0:0:1', '::ffff:102:304'];
  assert.deepEqual(cases.map((c) => formatIPv6(parseIPv6(c), 0)), expect);
  assert.throws(() => parseIPv6('1::2::3'), { code: ERROR_CODES.DNS_ENCODE });
});

test('an IPv4-mapped IPv6 client address reads as IPv4', () => {
  assert.equal(unmapIPv4('::ffff:10.1.2.3'), '10.1.2.3');
  assert.equal(unmapIPv4('::1'), '::1');
});
