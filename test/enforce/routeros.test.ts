/**
 * The RouterOS back-end against a fake RouterOS REST API on loopback (HTTPS with a certificate
 * made by openssl): address lists held with timeouts and rambu's comment, diffed so a second hold
 * sends only the difference, other entries never touched, connections of the pairs removed and
 * others kept, retries with backoff after 500s, clear errors after a refusal, garbage or a hang,
 * and the password in no log line.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, test } from 'node:test';
import { pino } from 'pino';
import { ERROR_CODES, RambuError } from '../../src/errors.js';
import type { BlockPair } from '../../src/enforce/index.js';
import { createRouterOsBackend, type RouterOsBackendOptions } from '../../src/enforce/routeros/index.js';
import { probeRouter } from '../../src/cli/enforce-check.js';
import { startFakeRouterOs, type FakeRouterOs } from './fake-routeros.js';

const PASSWORD = 'rahasia-router-9f3k';
const logs: string[] = [];
const logger = pino({ level: 'trace' }, new Writable({ write(chunk: Buffer, _enc, cb) { logs.push(chunk.toString()); cb(); } }));
const dir = mkdtempSync(join(tmpdir(), 'rambu-routeros-'));
const routers: FakeRouterOs[] = [];

after(async () => {
  for (const r of routers) await r.close();
  // Checked last, over every line every test logged: refusals, retries, timeouts included.
  const all = logs.join('');
  assert.ok(all.includes('trying again'), 'the retries were logged');
  assert.ok(!all.includes(PASSWORD), 'the password is in no log line');
  assert.ok(!all.includes(Buffer.from(`rambu:${PASSWORD}`).toString('base64')), 'nor its Basic form');
  assert.ok(!all.includes('wrong-password-77'), 'nor a wrong one');
});

let clock = Date.UTC(2026, 11, 7, 0, 0, 0);
const now = (): number => clock;

async function router(options: { ipv6?: boolean } = {}): Promise<FakeRouterOs> {
  const r = await startFakeRouterOs({ password: PASSWORD, now, ...options });
  routers.push(r);
  return r;
}

function backend(r: FakeRouterOs, extra: Partial<RouterOsBackendOptions> = {}) {
  let caFile: string | undefined;
  if (r.cert !== null) {
    caFile = join(dir, `ca-${routers.indexOf(r)}.pem`);
    writeFileSync(caFile, r.cert);
  }
  return createRouterOsBackend({
    url: r.url, username: 'rambu', password: PASSWORD, logger, now, refreshMs: 0, backoffMs: 20, requestTimeoutMs: 5000,
    ...(caFile === undefined ? {} : { caFile }), ...extra,
  });
}

const PAIRS: BlockPair[] = [
  { client: '10.20.5.7', address: '142.250.4.136', service: 'youtube' },
  { client: '10.20.5.8', address: '142.250.4.93', service: 'youtube' },
  { client: '10.20.5.7', address: '103.10.20.30', service: 'vidio' },
  { client: 'fd00::7', address: '2404:6800:4003:0c00::5d', service: 'youtube' },
];

function lists(r: FakeRouterOs, family: 'ip' | 'ipv6'): string[] {
  return r.entries(family).map((e) => `${e.list} ${e.address} ${e.comment ?? '-'}`).sort();
}

const isEnforceError = (pattern: RegExp) => (err: unknown): boolean => {
  assert.ok(err instanceof RambuError, String(err));
  assert.equal(err.code, ERROR_CODES.ENFORCE_FAILED);
  assert.match(err.message, pattern);
  return true;
};

test('hold fills the address lists with timeouts and rambu\'s comment, and leaves other entries alone', { timeout: 60_000 }, async () => {
  const r = await router();
  assert.ok(r.url.startsWith('https://') || r.cert === null);
  r.addEntry('ip', { list: 'kantor-server', address: '10.20.1.10', comment: 'rambu' });
  r.addEntry('ip', { list: 'rambu-youtube', address: '198.51.100.1', comment: 'added by hand' });
  r.addEntry('ip', { list: 'blokir-manual', address: '142.250.4.136' });
  const b = backend(r);
  assert.equal(b.name, 'routeros');
  await b.hold(PAIRS);
  assert.deepEqual(lists(r, 'ip'), [
    'blokir-manual 142.250.4.136 -',
    'kantor-server 10.20.1.10 rambu',
    'rambu-vidio 103.10.20.30 rambu',
    'rambu-vidio.clients 10.20.5.7 rambu',
    'rambu-youtube 142.250.4.136 rambu',
    'rambu-youtube 142.250.4.93 rambu',
    'rambu-youtube 198.51.100.1 added by hand',
    'rambu-youtube.clients 10.20.5.7 rambu',
    'rambu-youtube.clients 10.20.5.8 rambu',
  ]);
  assert.deepEqual(lists(r, 'ipv6'), ['rambu-youtube 2404:6800:4003:c00::5d/128 rambu', 'rambu-youtube.clients fd00::7/128 rambu']);
  for (const e of [...r.entries('ip'), ...r.entries('ipv6')].filter((x) => x.comment === 'rambu' && x.list.startsWith('rambu-'))) {
    assert.equal(e.expiresAt, clock + 3_600_000, `${e.list} ${e.address} has a one-hour timeout`);
  }

  // The same set again: read, nothing written.
  const mark = r.requests.length;
  await b.hold(PAIRS);
  assert.deepEqual(r.requests.slice(mark).map((q) => q.split('?')[0]), ['GET /rest/ip/firewall/address-list', 'GET /rest/ipv6/firewall/address-list']);
});

test('a second hold with a changed set adds and removes only the difference; half-spent timeouts are renewed', { timeout: 60_000 }, async () => {
  const r = await router();
  const b = backend(r);
  await b.hold(PAIRS);
  const ids = new Map(r.entries('ip').map((e) => [`${e.list} ${e.address}`, e.id]));

  const mark = r.requests.length;
  await b.hold([PAIRS[0]!, PAIRS[1]!, { client: '10.20.5.8', address: '142.250.4.190', service: 'youtube' }]);
  const writes = r.requests.slice(mark).filter((q) => !q.startsWith('GET'));
  const removed = [ids.get('rambu-vidio 103.10.20.30'), ids.get('rambu-vidio.clients 10.20.5.7')].map((id) => `DELETE /rest/ip/firewall/address-list/${id}`);
  assert.deepEqual(writes.filter((q) => q.includes('/ip/')).sort(), [...removed, 'PUT /rest/ip/firewall/address-list'].sort());
  assert.equal(writes.filter((q) => q.includes('/ipv6/')).length, 2, 'the two IPv6 entries go');
  assert.deepEqual(lists(r, 'ip'), [
    'rambu-youtube 142.250.4.136 rambu', 'rambu-youtube 142.250.4.190 rambu', 'rambu-youtube 142.250.4.93 rambu',
    'rambu-youtube.clients 10.20.5.7 rambu', 'rambu-youtube.clients 10.20.5.8 rambu',
  ]);
  assert.deepEqual(lists(r, 'ipv6'), []);
  assert.equal(r.entries('ip').find((e) => e.address === '142.250.4.136')!.id, ids.get('rambu-youtube 142.250.4.136'), 'kept entries are the same entries');

  // 40 minutes on, 20 are left of the hour: each entry gets a fresh timeout, nothing is re-added.
  clock += 40 * 60_000;
  const mark2 = r.requests.length;
  await b.hold([PAIRS[0]!, PAIRS[1]!, { client: '10.20.5.8', address: '142.250.4.190', service: 'youtube' }]);
  const writes2 = r.requests.slice(mark2).filter((q) => !q.startsWith('GET'));
  assert.equal(writes2.length, 5);
  assert.ok(writes2.every((q) => q.startsWith('PATCH /rest/ip/firewall/address-list/*')), writes2.join('\n'));
  assert.ok(r.entries('ip').every((e) => e.expiresAt === clock + 3_600_000));

  // Past the timeout without a hold the router drops them; the next hold puts them back.
  clock += 2 * 3_600_000;
  assert.deepEqual(r.entries('ip'), []);
  await b.hold([PAIRS[0]!]);
  assert.deepEqual(lists(r, 'ip'), ['rambu-youtube 142.250.4.136 rambu', 'rambu-youtube.clients 10.20.5.7 rambu']);
});

test('cut removes the TCP and UDP connections of the pairs and keeps the others', { timeout: 60_000 }, async () => {
  const r = await router();
  const b = backend(r);
  const cut = [
    r.addConnection('ip', { protocol: 'tcp', src: '10.20.5.7:51544', dst: '142.250.4.136:443' }),
    r.addConnection('ip', { protocol: 'udp', src: '10.20.5.7:60011', dst: '142.250.4.136:443' }),
    r.addConnection('ipv6', { protocol: 'udp', src: '[fd00::7]:5555', dst: '[2404:6800:4003:c00::5d]:443' }),
  ];
  const kept = [
    r.addConnection('ip', { protocol: 'tcp', src: '10.20.5.9:50000', dst: '142.250.4.136:443' }),
    r.addConnection('ip', { protocol: 'tcp', src: '10.20.5.7:50001', dst: '142.250.4.100:443' }),
    r.addConnection('ip', { protocol: 'tcp', src: '10.20.5.70:50002', dst: '142.250.4.136:443' }),
    r.addConnection('ip', { protocol: 'icmp', src: '10.20.5.7', dst: '142.250.4.136' }),
    r.addConnection('ipv6', { protocol: 'tcp', src: '[fd00::8]:5556', dst: '[2404:6800:4003:c00::5d]:443' }),
  ];
  assert.equal(await b.cut(PAIRS), 3);
  const left = [...r.connections('ip'), ...r.connections('ipv6')].map((c) => c.id).sort();
  assert.deepEqual(left, [...kept].sort());
  assert.ok(cut.every((id) => !left.includes(id)));
  assert.equal(await b.cut(PAIRS), 0, 'nothing left to cut');
  assert.equal(await b.cut([]), 0);
});

test('clear removes rambu\'s entries and nothing else', { timeout: 60_000 }, async () => {
  const r = await router();
  r.addEntry('ip', { list: 'kantor-server', address: '10.20.1.10', comment: 'rambu' });
  r.addEntry('ip', { list: 'rambu-youtube', address: '198.51.100.1', comment: 'added by hand' });
  const b = backend(r);
  await b.hold(PAIRS);
  await b.clear();
  assert.deepEqual(lists(r, 'ip'), ['kantor-server 10.20.1.10 rambu', 'rambu-youtube 198.51.100.1 added by hand']);
  assert.deepEqual(lists(r, 'ipv6'), []);
  await b.clear();
});

test('500s are retried with backoff and the hold still lands', { timeout: 60_000 }, async () => {
  const r = await router();
  const b = backend(r);
  const before = logs.length;
  r.fail('status500', 2, /^GET \/rest\/ip\/firewall\/address-list/);
  r.fail('status500', 1, /^PUT /);
  await b.hold([PAIRS[0]!]);
  assert.deepEqual(lists(r, 'ip'), ['rambu-youtube 142.250.4.136 rambu', 'rambu-youtube.clients 10.20.5.7 rambu']);
  assert.equal(r.requests.filter((q) => q.startsWith('GET /rest/ip/firewall/address-list')).length, 3);
  const retries = logs.slice(before).map((l) => JSON.parse(l) as { msg: string; attempt?: number; delayMs?: number }).filter((l) => l.msg.includes('trying again'));
  assert.equal(retries.length, 3);
  assert.deepEqual(retries.filter((l) => l.attempt === 2).length, 1, 'the GET waited twice: after attempt 1 and 2');
  assert.ok(retries.every((l) => typeof l.delayMs === 'number' && l.delayMs >= 0 && l.delayMs <= 20 * 2 ** ((l.attempt ?? 1) - 1)));

  // More 500s than attempts: a clear error, no crash.
  r.fail('status500', 10);
  await assert.rejects(b.hold(PAIRS), isEnforceError(/answered 500: Internal Server Error \(after 4 attempts\)/));
});

test('a refusal is reported at once, never retried', { timeout: 60_000 }, async () => {
  const r = await router();
  const b = backend(r, { password: 'wrong-password-77' });
  await assert.rejects(b.hold(PAIRS), isEnforceError(/refused user "rambu" \(401 Unauthorized\)/));
  assert.equal(r.requests.length, 1);
  await assert.rejects(b.cut(PAIRS), isEnforceError(/401/));
  const good = backend(r);
  r.fail('refuse', 1);
  await assert.rejects(good.clear(), isEnforceError(/refused/));
});

test('garbage and a hang become clear errors after bounded retries', { timeout: 60_000 }, async () => {
  const r = await router();
  const b = backend(r, { attempts: 3 });
  r.fail('garbage', 3);
  await assert.rejects(b.hold(PAIRS), isEnforceError(/not JSON: "<html><body>502 Bad Gateway<\/body><\/html>" \(after 3 attempts\)/));
  r.fail('garbage', 1);
  await b.hold(PAIRS);
  assert.equal(lists(r, 'ip').length, 6, 'one garbage reply is retried past');
  r.fail('shape', 1);
  await assert.rejects(b.clear(), isEnforceError(/GET \/ip\/firewall\/address-list at https?:\/\/127\.0\.0\.1:\d+\/rest answered with something other than a list of records: got object/));

  const slow = backend(r, { attempts: 2, requestTimeoutMs: 800 });
  r.fail('hang', 2);
  await assert.rejects(slow.cut(PAIRS), isEnforceError(/GET \/ip\/firewall\/connection timed out after 800 ms \(after 2 attempts\)/));
});

test('an untrusted certificate is a clear error; a router without IPv6 still takes IPv4 lists', { timeout: 60_000 }, async (t) => {
  const r = await router({ ipv6: false });
  if (r.cert !== null) {
    const untrusted = createRouterOsBackend({ url: r.url, username: 'rambu', password: PASSWORD, logger, refreshMs: 0 });
    await assert.rejects(untrusted.hold(PAIRS), isEnforceError(/enforce\.routeros\.caFile/));
  } else {
    t.diagnostic('openssl is missing: the fake router speaks HTTP, the certificate check is skipped');
  }
  const b = backend(r);
  await b.hold(PAIRS.slice(0, 3));
  assert.equal(lists(r, 'ip').length, 6);
  await assert.rejects(b.hold(PAIRS), isEnforceError(/has no \/ipv6\/firewall\/address-list/));
  assert.equal(await b.cut(PAIRS), 0);
  await b.clear();
  assert.deepEqual(lists(r, 'ip'), []);
  assert.throws(() => createRouterOsBackend({ url: `https://rambu:${PASSWORD}@192.0.2.1`, username: 'rambu', password: PASSWORD, logger }), (err: unknown) => err instanceof RangeError && !err.message.includes(PASSWORD));
});

test('while rambu runs, the last hold is re-applied on its own; a clean stop ends that', { timeout: 60_000 }, async () => {
  const r = await router();
  const b = backend(r, { refreshMs: 200 });
  await b.hold([PAIRS[0]!]);
  // The entries lapse behind rambu's back (a reboot of the router, say): the refresh puts them back.
  clock += 2 * 3_600_000;
  assert.deepEqual(r.entries('ip'), []);
  const deadline = Date.now() + 20_000;
  while (r.entries('ip').length < 2 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 50));
  assert.deepEqual(lists(r, 'ip'), ['rambu-youtube 142.250.4.136 rambu', 'rambu-youtube.clients 10.20.5.7 rambu']);
  await b.clear();
  const mark = r.requests.length;
  await new Promise((res) => setTimeout(res, 1000));
  assert.equal(r.requests.length, mark, 'no refresh after clear');
  assert.deepEqual(lists(r, 'ip'), []);
});

test('rambu check asks the router once: its answer, or a refusal without the password', async () => {
  const router = await startFakeRouterOs();
  routers.push(router);
  const r = { url: router.url, username: 'rambu', passwordFile: '-', caFile: null };
  const ca = router.cert ?? undefined;
  assert.deepEqual(await probeRouter(r, PASSWORD, ca), { ok: true, detail: `${router.url}/rest answers user "rambu"` });
  const refused = await probeRouter(r, 'kata-sandi-salah', ca);
  assert.equal(refused.ok, false);
  assert.match(refused.detail, /refused user "rambu" \(401 Unauthorized\)/);
  assert.doesNotMatch(refused.detail, /kata-sandi-salah/);
});
