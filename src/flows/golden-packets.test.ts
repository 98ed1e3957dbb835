import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hex } from '../../test/flows/flow-packets.js';
import { FlowDecoder } from './flow-decoder.js';

// One packet of each format, written byte by byte from the RFC layouts.

const V5 = hex(`
  0005 0001          # version 5, 1 record
  00002710           # sysUptime 10000 ms
  5f5e1000 1dcd6500  # unix_secs 1600000000, unix_nsecs 500000000
  00000064           # flow_sequence 100
  00 01 0000         # engine type 0, engine id 1, not sampled
  c0a80a05 c6336407 00000000  # 192.168.10.5 -> 198.51.100.7, no next hop
  0001 0002                   # input, output interface
  0000000a 00003a98           # 10 packets, 15000 bytes
  00001f40 00002328           # first 8000, last 9000 (uptime ms)
  c350 01bb 00 18 06 00       # ports 50000 -> 443, pad, flags, TCP, tos
  0000 0000 18 18 0000        # AS numbers, masks, pad
`);

test('NetFlow v5 golden packet', () => {
  const [r, ...rest] = new FlowDecoder().decode(V5, '10.0.0.1', 0);
  assert.equal(rest.length, 0);
  assert.deepEqual(r, {
    src: '192.168.10.5', dst: '198.51.100.7', srcPort: 50000, dstPort: 443, protocol: 6, bytes: 15000, packets: 10,
    // export 1600000000.5 s; last was 1000 ms before export, first 1000 ms before last
    start: 1_599_999_998_500, end: 1_599_999_999_500,
  });
});

const V9 = hex(`
  0009 0002 000186a0 5f5e1000 00000001 00000000  # v9, 2 records, uptime 100000, 1600000000 s, seq 1, source 0
  0000 002c 0100 0009  # template flowset, 44 bytes: template 256, 9 fields
    0008 0004 000c 0004  # IPV4_SRC_ADDR, IPV4_DST_ADDR
    0001 0004 0002 0004  # IN_BYTES, IN_PKTS
    0016 0004 0015 0004  # FIRST_SWITCHED, LAST_SWITCHED
    0007 0002 000b 0002  # L4_SRC_PORT, L4_DST_PORT
    0004 0001            # PROTOCOL
  0100 0024            # data flowset of template 256, 36 bytes
    c0a80a05 c6336407 00001388 00000005  # 192.168.10.5 -> 198.51.100.7, 5000 bytes, 5 packets
    00015f90 00017318 c351 0050 06       # first 90000, last 95000, 50001 -> 80, TCP
    000000                               # padding
`);

test('NetFlow v9 golden packet', () => {
  const [r, ...rest] = new FlowDecoder().decode(V9, '10.0.0.1', 0);
  assert.equal(rest.length, 0);
  assert.deepEqual(r, {
    src: '192.168.10.5', dst: '198.51.100.7', srcPort: 50001, dstPort: 80, protocol: 6, bytes: 5000, packets: 5,
    start: 1_599_999_990_000, end: 1_599_999_995_000,
  });
});

const IPFIX = hex(`
  000a 0081 5f5e1000 00000000 00000001  # IPFIX, 129 bytes, export 1600000000, seq 0, domain 1
  0002 0030 0100 0009  # template set, 48 bytes: template 256, 9 fields
    001b 0010 001c 0010  # sourceIPv6Address, destinationIPv6Address
    0001 0004 0002 0002  # octetDeltaCount in 4 bytes, packetDeltaCount in 2 (reduced-size)
    0098 0008 0099 0008  # flowStartMilliseconds, flowEndMilliseconds
    0004 0001            # protocolIdentifier
    8001 0002 00007eff   # enterprise element 1 of PEN 32511, 2 bytes: skipped
    0052 ffff            # interfaceName, variable length
  0100 0041            # data set of template 256, 65 bytes
    20010db8000000000000000000000005  # 2001:db8::5
    20010db80000000000000000 00ab0001 # 2001:db8::ab:1
    0000c350 0028                     # 50000 bytes, 40 packets
    00000174876e8000 00000174876f6b5a # 1600000000000 ms, 1600000060250 ms
    11 abcd                           # UDP, enterprise field
    03 657468                         # "eth"
`);

test('IPFIX golden message: IPv6, reduced-size, enterprise and variable-length fields', () => {
  const [r, ...rest] = new FlowDecoder().decode(IPFIX, '10.0.0.1', 0);
  assert.equal(rest.length, 0);
  assert.deepEqual(r, {
    src: '2001:db8::5', dst: '2001:db8::ab:1', srcPort: 0, dstPort: 0, protocol: 17, bytes: 50000, packets: 40,
    start: 1_600_000_000_000, end: 1_600_000_060_250,
  });
});
