import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseUdpDrops } from './socket-drops.js';

const TABLE = `   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  100: 0100007F:0807 00000000:0000 07 00000000:00000000 00:00000000 00000000  1000        0 4242 2 0000000000000000 17
  101: 00000000:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 4243 2 0000000000000000 3
`;

test('the drops of the line bound to the port', () => {
  assert.equal(parseUdpDrops(TABLE, 2055), 17);
  assert.equal(parseUdpDrops(TABLE, 53), 3);
});

test('null when no socket has the port', () => {
  assert.equal(parseUdpDrops(TABLE, 9995), null);
  assert.equal(parseUdpDrops('', 2055), null);
});
