import assert from 'node:assert/strict';
import { test } from 'node:test';
import { coversEveryClient, hostBitsFix } from './exemption-checks.js';

test('hostBitsFix: the network a CIDR with host bits probably meant', () => {
  const cases: [string, string | null][] = [
    ['1.2.3.4/0', '0.0.0.0/0'],
    ['10.20.5.17/24', '10.20.5.0/24'],
    ['10.20.5.0/24', null],
    ['10.20.5.17', null],
    ['10.20.5.17/32', null],
    ['2001:db8::1/32', '2001:db8::/32'],
    ['2001:db8::/32', null],
    ['not-an-address/8', null],
  ];
  for (const [given, meant] of cases) assert.equal(hostBitsFix(given), meant, given);
});

test('coversEveryClient: /0, or networks that add up to a whole family', () => {
  const cases: [string[], boolean][] = [
    [['0.0.0.0/0'], true],
    [['::/0'], true],
    [['10.0.0.0/8', '::/0'], true],
    [['0.0.0.0/1', '128.0.0.0/1'], true],
    [['0.0.0.0/2', '64.0.0.0/2', '128.0.0.0/1'], true],
    [['0.0.0.0/1'], false],
    [['0.0.0.0/1', '128.0.0.0/2'], false],
    [['0.0.0.0/1', '::/1', '8000::/2'], false],
    [['10.20.5.0/24', '10.20.9.17'], false],
    [[], false],
  ];
  for (const [networks, all] of cases) assert.equal(coversEveryClient(networks), all, networks.join(' '));
});
