import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { EXAMPLE_FILE } from '../fixtures/example.js';

const BIN = fileURLToPath(new URL('../../../bin/rambu.js', import.meta.url));
const EXAMPLE = EXAMPLE_FILE;

function rambu(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, TZ: 'America/New_York' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

test('--help and --version', () => {
  const help = rambu('--help');
  assert.equal(help.code, 0);
  assert.match(help.stdout, /rambu explain --config FILE --client IP/);
  assert.match(rambu('--version').stdout, /^rambu \d+\.\d+\.\d+/);
  assert.equal(rambu('frobnicate').code, 1);
  assert.equal(rambu('check').code, 1);
});

test('check accepts the circular and summarises it', () => {
  const r = rambu('check', '--config', EXAMPLE);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /time zone: Asia\/Jakarta/);
  assert.match(r.stdout, /youtube: \d+ domains/);
  assert.match(r.stdout, /si-jaja: 1 domain \(defined here\)/);
  assert.match(r.stdout, /1\. blokir-streaming-jam-kerja: block youtube, vidio, vimeo for semua during jam-kerja/);
  assert.match(r.stdout, /jam-kerja: mon,tue,wed,thu,fri 07:00-16:00/);
  assert.match(r.stdout, /\d{4}-\d{2}-\d{2} 07:00:00 WIB {2}starts/);
  assert.match(r.stdout, /siaran-langsung-humas: allow youtube for diskominfo-humas/);
});

test('check names the extra CA certificates of tls:// upstreams', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rambu-cli-'));
  const ca = fileURLToPath(new URL('../../../test/fixtures/upstream-tls-cert.pem', import.meta.url));
  const file = join(dir, 'rambu.yaml');
  writeFileSync(file, `dns:\n  upstreams: ["tls://192.0.2.53#dns.test"]\n  upstreamCaFile: ${JSON.stringify(ca)}\n`);
  const r = rambu('check', '--config', file);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /upstreams tls:\/\/192\.0\.2\.53/);
  assert.ok(r.stdout.includes(`tls:// upstreams also trust 1 CA certificate from ${ca}`), r.stdout);
  assert.doesNotMatch(rambu('check', '--config', EXAMPLE).stdout, /also trust/);
});

test('check refuses a broken file with every problem, file and line, exit 1', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rambu-cli-'));
  const file = join(dir, 'bad.yaml');
  writeFileSync(file, 'timezone: Asia/Jakarta\nschedules:\n  kerja:\n    - days: [mon]\n      from: "7am"\n      to: "25:00"\nrules:\n  - name: r\n    block: [youtub]\n    during: kerja\n');
  const r = rambu('check', '--config', file);
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`${file}:5:\\d+: schedules\\.kerja\\[0\\]\\.from: invalid time "7am"`));
  assert.match(r.stderr, new RegExp(`${file}:6:\\d+: schedules\\.kerja\\[0\\]\\.to: invalid time "25:00"`));
  assert.match(r.stderr, new RegExp(`${file}:9:\\d+: rules\\[0\\]\\.block\\[0\\]: unknown service or blocklist "youtub"`));
  assert.equal(rambu('check', '--config', join(dir, 'missing.yaml')).code, 1);
});

const EXPLAIN: [client: string, at: string, name: string, expected: object][] = [
  ['10.1.2.3', '2026-11-30T07:00:00+07:00', 'www.youtube.com', { action: 'block', service: 'youtube', rule: 'blokir-streaming-jam-kerja', exemption: null, until: '2026-11-30T16:00:00+07:00' }],
  ['10.1.2.3', '2026-11-30T06:59:59+07:00', 'www.youtube.com', { action: 'allow', service: 'youtube', rule: null, exemption: null, until: '2026-11-30T07:00:00+07:00' }],
  ['10.1.2.3', '2026-11-30T09:00:00Z', 'vidio.com', { action: 'allow', service: 'vidio', rule: null, exemption: null, until: '2026-12-01T07:00:00+07:00' }],
  ['10.20.5.10', '2026-11-30T10:00:00+07:00', 'm.youtube.com', { action: 'allow', service: 'youtube', rule: null, exemption: 'siaran-langsung-humas', until: '2027-03-31T16:00:00+07:00' }],
  ['fd00::1', '2026-12-25T10:00:00+07:00', 'vimeo.com', { action: 'allow', service: 'vimeo', rule: null, exemption: null, until: '2026-12-28T07:00:00+07:00' }],
  ['10.1.2.3', '2026-11-30T10:00:00+07:00', 'sijaja.pasuruankota.go.id', { action: 'allow', service: 'si-jaja', rule: null, exemption: null, until: null }],
];

for (const [client, at, name, expected] of EXPLAIN) {
  test(`explain --json ${client} ${name} at ${at}`, () => {
    const r = rambu('explain', '--config', EXAMPLE, '--client', client, '--at', at, name, '--json');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), expected);
  });
}

test('explain in words says what and why', () => {
  const r = rambu('explain', '--config', EXAMPLE, '--client', '10.1.2.3', '--at', '2026-11-30T10:00:00+07:00', 'www.youtube.com');
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^BLOCK www\.youtube\.com for 10\.1\.2\.3 at Mon 2026-11-30 10:00:00 WIB/);
  assert.match(r.stdout, /rule "blokir-streaming-jam-kerja" blocks youtube for semua during schedule "jam-kerja"/);
  assert.match(r.stdout, /until: Mon 2026-11-30 16:00:00 WIB/);
});

test('explain refuses bad input with exit 1', () => {
  assert.equal(rambu('explain', '--config', EXAMPLE, '--client', '10.1.2.300', 'youtube.com').code, 1);
  assert.equal(rambu('explain', '--config', EXAMPLE, '--client', '10.1.2.3', '--at', '2026-11-30T10:00:00', 'youtube.com').code, 1);
  assert.equal(rambu('explain', '--config', EXAMPLE, '--client', '10.1.2.3', '--at', 'tomorrow', 'youtube.com').code, 1);
  assert.equal(rambu('explain', '--config', EXAMPLE, '--client', '10.1.2.3', 'bad name!').code, 1);
  assert.equal(rambu('explain', '--config', EXAMPLE, '--client', '10.1.2.3').code, 1);
  assert.equal(rambu('explain', '--config', EXAMPLE, '--client', '10.1.2.3', '--bogus', 'x.com').code, 1);
});
