import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, ERROR_CODES } from '../errors.js';
import { DEFAULT_CONFIG_YAML, loadConfigFile, parseConfigText } from './index.js';
import { EXAMPLE_FILE } from '../../test/fixtures/example.js';
import { configProblems, type ConfigProblem } from '../../test/kit/config-problems.js';

const EXAMPLE = EXAMPLE_FILE;

const problems = (text: string): ConfigProblem[] => configProblems(text);

test('the circular example loads unchanged', () => {
  const loaded = loadConfigFile(EXAMPLE, { now: Date.parse('2026-11-28T00:00:00Z') });
  assert.equal(loaded.policy.timezone, 'Asia/Jakarta');
  assert.deepEqual(loaded.policy.rules.map((r) => r.name), ['blokir-streaming-jam-kerja']);
  assert.deepEqual(loaded.settings.dns.upstreams.map((u) => u.label), ['udp://1.1.1.1:53', 'udp://8.8.8.8:53']);
  assert.deepEqual(loaded.settings.dns.listen, [{ host: '0.0.0.0', port: 53 }, { host: '::', port: 53 }]);
  assert.deepEqual(loaded.warnings, []);
  assert.ok(loaded.policy.services.some((s) => s.name === 'si-jaja' && s.domains === 1));
});

test('the built-in default loads', () => {
  const loaded = parseConfigText(DEFAULT_CONFIG_YAML, '/tmp/rambu.yaml');
  assert.deepEqual(loaded.settings.dns.listen, [{ host: '127.0.0.1', port: 1053 }]);
  assert.deepEqual(loaded.policy.rules.map((r) => r.name), ['blokir-doh', 'blokir-streaming-jam-kerja']);
});

test('an expired exemption is a warning with its line', () => {
  const text = readFileSync(EXAMPLE, 'utf8');
  const loaded = parseConfigText(text, 'p.yaml', { now: Date.parse('2027-04-01T00:00:00Z') });
  assert.equal(loaded.warnings.length, 1);
  assert.match(loaded.warnings[0]!, /^p\.yaml:37:\d+: exemptions\[0\]\.until: exemption "siaran-langsung-humas" expired/);
});

const BAD: [name: string, yaml: string, line: number, key: string, pattern: RegExp][] = [
  ['invalid YAML', 'rules: [\n  - a\n', 2, '', /invalid YAML/],
  ['typo of a top-level key', 'schedule:\n  x: []\n', 1, 'schedule', /unknown key "schedule": did you mean "schedules"/],
  ['unknown nested key', 'dns:\n  listen: ["127.0.0.1:53"]\n  upstream: ["udp://1.1.1.1:53"]\n', 3, 'dns.upstream', /unknown key "upstream"/],
  ['wrong type', 'groups:\n  a: "10.0.0.0/8"\n', 2, 'groups.a', /expected a list/],
  ['unknown service', 'rules:\n  - name: r\n    block: [youtub]\n', 3, 'rules.0.block.0', /unknown service or blocklist "youtub": did you mean "youtube"/],
  ['unknown group', 'rules:\n  - name: r\n    block: [youtube]\n    groups: [nobody]\n', 4, 'rules.0.groups.0', /unknown group "nobody"/],
  ['unknown schedule', 'rules:\n  - name: r\n    block: [youtube]\n    during: kerja\n', 4, 'rules.0.during', /unknown schedule "kerja"/],
  ['invalid CIDR', 'groups:\n  a: ["10.0.0.0/33"]\n', 2, 'groups.a.0', /invalid address or network "10.0.0.0\/33"/],
  ['invalid IPv6', 'groups:\n  a: ["fd00::zz"]\n', 2, 'groups.a.0', /invalid address or network/],
  ['25:00', 'schedules:\n  s:\n    - days: [mon]\n      from: "07:00"\n      to: "25:00"\n', 5, 's.0.to', /invalid time "25:00"/],
  ['7am', 'schedules:\n  s:\n    - days: [mon]\n      from: "7am"\n      to: "16:00"\n', 4, 's.0.from', /invalid time "7am"/],
  ['unknown time zone', 'timezone: Asia/Jakarat\n', 1, 'timezone', /unknown time zone "Asia\/Jakarat"/],
  ['empty days', 'schedules:\n  s:\n    - days: []\n      from: "07:00"\n      to: "16:00"\n', 3, 's.0.days', /must not be empty/],
  ['bad day', 'schedules:\n  s:\n    - days: [senin]\n      from: "07:00"\n      to: "16:00"\n', 3, 's.0.days.0', /expected one of mon, tue/],
  ['rule with no services', 'rules:\n  - name: r\n    block: []\n', 3, 'rules.0.block', /has no services/],
  ['rule with neither', 'rules:\n  - name: r\n', 2, 'rules.0', /has no services/],
  ['missing rule name', 'rules:\n  - block: [youtube]\n', 2, 'rules.0.name', /missing required key "name"/],
  ['bad holiday', 'holidays: ["2026-02-30"]\n', 1, 'holidays.0', /invalid date "2026-02-30"/],
  ['exemption until without offset', 'groups: { g: ["10.0.0.0/8"] }\nexemptions:\n  - name: e\n    groups: [g]\n    allow: [youtube]\n    until: "2027-01-01T10:00:00"\n    reason: x\n', 6, 'exemptions.0.until', /invalid instant/],
  ['exemption for nobody', 'exemptions:\n  - name: e\n    allow: [youtube]\n    until: "2027-01-01T10:00:00+07:00"\n    reason: x\n', 2, 'exemptions.0', /covers nobody/],
  ['bad upstream', 'dns:\n  upstreams: ["8.8.8.8"]\n', 2, 'dns.upstreams.0', /invalid upstream "8.8.8.8"/],
  ['bad block response', 'dns:\n  blockResponse: sinkhole\n', 2, 'dns.blockResponse', /invalid blockResponse "sinkhole"/],
  ['bad service domain', 'services:\n  s: ["exa mple.com"]\n', 2, 'services.s.0', /invalid domain "exa mple.com"/],
  ['duplicate key', 'timezone: Asia/Jakarta\ntimezone: UTC\n', 2, '', /invalid YAML: Map keys must be unique/],
];

for (const [name, yaml, line, key, pattern] of BAD) {
  test(`refused: ${name}`, () => {
    const found = problems(yaml);
    const hit = found.find((p) => pattern.test(p.message));
    assert.ok(hit !== undefined, `no problem matches ${pattern}: ${JSON.stringify(found)}`);
    assert.equal(hit.line, line, `line of ${JSON.stringify(hit)}`);
    assert.ok(hit.key.replace(/^schedules\./, '') === key || hit.key === key, `key ${hit.key} is not ${key}`);
  });
}

test('every problem is reported at once, each with its line', () => {
  const found = problems('timezone: Mars/Base\nschedule: {}\ngroups:\n  g: ["10.0.0.0/33"]\nrules:\n  - name: r\n    block: [youtub]\n    during: kerja\n');
  assert.deepEqual(found.map((p) => p.line), [1, 2, 4, 7, 8]);
});

test('blocklists load relative to the file, and an unreadable one is refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rambu-bl-'));
  writeFileSync(join(dir, 'ads.txt'), 'ads.example\n0.0.0.0 track.example\n');
  writeFileSync(join(dir, 'rambu.yaml'), 'blocklists:\n  iklan: ads.txt\nrules:\n  - name: r\n    block: [iklan]\n');
  const loaded = loadConfigFile(join(dir, 'rambu.yaml'));
  assert.equal(loaded.policy.decide('10.0.0.1', 'x.track.example', 0).action, 'block');
  assert.equal(loaded.policy.decide('10.0.0.1', 'x.track.example', 0).service, 'iklan');
  writeFileSync(join(dir, 'rambu.yaml'), 'blocklists:\n  iklan: missing.txt\n');
  assert.throws(() => loadConfigFile(join(dir, 'rambu.yaml')), (err: unknown) => err instanceof ConfigError && /cannot read blocklist/.test(err.message) && err.issues[0]?.line === 2);
});

test('dns.upstreamCaFile: its certificates go on tls:// upstreams, the path relative to the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rambu-ca-'));
  const pem = readFileSync(new URL('../../../test/fixtures/upstream-tls-cert.pem', import.meta.url), 'utf8');
  const other = readFileSync(new URL('../../../test/fixtures/other-ca-cert.pem', import.meta.url), 'utf8');
  writeFileSync(join(dir, 'office-ca.pem'), `${pem}\n${other}`);
  writeFileSync(join(dir, 'rambu.yaml'), 'dns:\n  upstreams: ["tls://192.0.2.53#dns.test", "udp://192.0.2.53"]\n  upstreamCaFile: office-ca.pem\n');
  const [tls, udp] = loadConfigFile(join(dir, 'rambu.yaml')).settings.dns.upstreams;
  assert.equal(tls?.extraCa?.length, 2);
  assert.match(tls.extraCa[0]!, /^-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----$/);
  assert.ok(!tls.extraCa[0]!.includes('Test-only'), 'text around the certificates is left out');
  assert.equal(udp?.extraCa, undefined);
  writeFileSync(join(dir, 'rambu.yaml'), 'dns:\n  upstreams: ["tls://192.0.2.53#dns.test"]\n');
  assert.equal(loadConfigFile(join(dir, 'rambu.yaml')).settings.dns.upstreams[0]?.extraCa, undefined);
});

test('dns.upstreamCaFile: a missing, empty or corrupt file is refused, naming the file and key', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rambu-ca-'));
  const pem = readFileSync(new URL('../../../test/fixtures/upstream-tls-cert.pem', import.meta.url), 'utf8');
  writeFileSync(join(dir, 'empty.pem'), 'just a note\n');
  writeFileSync(join(dir, 'corrupt.pem'), pem.replace(/\n[A-Za-z0-9+/]{20}/, '\nAAAAAAAAAAAAAAAAAAAA'));
  const cases: [file: string, pattern: RegExp][] = [
    ['missing.pem', /cannot read the CA file ".*missing\.pem": ENOENT/],
    ['empty.pem', /no PEM certificate .* in the CA file ".*empty\.pem"/],
    ['corrupt.pem', /certificate 1 of the CA file ".*corrupt\.pem" is invalid/],
  ];
  for (const [file, pattern] of cases) {
    writeFileSync(join(dir, 'rambu.yaml'), `dns:\n  upstreams: ["tls://192.0.2.53"]\n  upstreamCaFile: ${file}\n`);
    assert.throws(() => loadConfigFile(join(dir, 'rambu.yaml')), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.code, ERROR_CODES.CONFIG_INVALID);
      const issue = err.issues.find((i) => pattern.test(i.message));
      assert.ok(issue !== undefined, `${file}: ${err.message}`);
      assert.deepEqual(issue.path, ['dns', 'upstreamCaFile']);
      assert.equal(issue.line, 3);
      assert.ok(issue.message.includes(join(dir, file)), issue.message);
      return true;
    });
  }
});

test('dns.cache.serveStale: one day by default, 0 turns it off, and it is bounded', () => {
  assert.equal(parseConfigText(DEFAULT_CONFIG_YAML, '/tmp/rambu.yaml').settings.dns.cache.serveStale, 86_400);
  const set = (value: string): string => `dns:\n  upstreams: ["udp://192.0.2.53:53"]\n  cache:\n    serveStale: ${value}\n`;
  const off = parseConfigText(set('0'), join(tmpdir(), 'rambu.yaml'));
  assert.equal(off.settings.dns.cache.serveStale, 0);
  assert.equal(off.settings.dns.cache.size, 100_000, 'the other cache keys keep their defaults');
  assert.equal(parseConfigText(set('259200'), join(tmpdir(), 'rambu.yaml')).settings.dns.cache.serveStale, 259_200);
  for (const bad of ['-1', '604801', '1.5']) {
    assert.ok(problems(set(bad)).some((p) => p.key === 'dns.cache.serveStale'), bad);
  }
});
