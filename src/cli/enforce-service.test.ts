import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import pino from 'pino';
import { Registry } from 'prom-client';
import { AnswerIndex } from '../answers/index.js';
import { parseConfigText } from '../config/index.js';
import type { CommandRunner } from '../enforce/index.js';
import { nextPolicyChange, startEnforceService } from './enforce-service.js';

const BASE = `timezone: Asia/Jakarta
dns:
  listen: ["10.0.1.1:53"]
  upstreams: ["udp://198.51.100.53:53", "tls://9.9.9.9:853#dns.quad9.net"]
rules:
  - { name: doh, block: [doh-bypass] }
`;

test('the nftables service holds its table with the DNS redirect, and removes it on stop', async () => {
  const loaded = parseConfigText(`${BASE}enforce:\n  backend: nftables\n  dnsRedirect: true\n`, join(tmpdir(), 'r.yaml'));
  const texts: string[] = [];
  const run: CommandRunner = async (command, _args, stdin) => {
    if (command === 'nft') texts.push(stdin ?? '');
    return { code: 0, stdout: '', stderr: '' };
  };
  const registry = new Registry();
  const service = startEnforceService({
    settings: loaded.settings, answers: new AnswerIndex(), policy: () => loaded.policy, ready: Promise.resolve(),
    registry, logger: pino({ level: 'silent' }), run,
  });
  assert.ok(service !== null);
  for (let i = 0; i < 50 && texts.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  const table = texts[0] ?? '';
  assert.match(table, /dnat ip to 10\.0\.1\.1:53/, 'redirected to the listen address');
  assert.match(table, /set dot_allowed4 \{[^}]*elements = \{ 9\.9\.9\.9 \}/, 'DoT only to the tls:// upstream');
  assert.match(table, /set doh_sources4 \{[^}]*elements = \{ 0\.0\.0\.0\/0 \}/, 'doh-bypass is blocked for every client');
  assert.match(table, /set doh4 \{[^}]*8\.8\.8\.8/, 'the catalog\'s resolver addresses');
  assert.equal(service.status().running, true);
  assert.match(await registry.metrics(), /^rambu_enforce_running\{backend="nftables"\} 1$/m);
  await service.stop();
  assert.equal(texts.at(-1), 'table inet rambu\ndelete table inet rambu\n');
});

test('a RouterOS back-end whose password file cannot be read is reported, never thrown', () => {
  const loaded = parseConfigText(`${BASE}enforce:\n  backend: routeros\n  routeros: { url: "https://192.168.88.1", username: rambu, passwordFile: no-such-password-file }\n`, join(tmpdir(), 'r.yaml'));
  const service = startEnforceService({
    settings: loaded.settings, answers: new AnswerIndex(), policy: () => loaded.policy, ready: Promise.resolve(),
    registry: new Registry(), logger: pino({ level: 'silent' }),
  });
  assert.equal(service?.status().backend, 'routeros');
  assert.equal(service?.status().running, false);
  assert.match(service?.status().lastError ?? '', /cannot read the RouterOS password file ".*no-such-password-file"/);
});

test('no enforce section: no service', () => {
  const loaded = parseConfigText(BASE, join(tmpdir(), 'r.yaml'));
  assert.equal(startEnforceService({ settings: loaded.settings, answers: new AnswerIndex(), policy: () => loaded.policy, ready: Promise.resolve(), registry: new Registry(), logger: pino({ level: 'silent' }) }), null);
});

test('the next policy change: a schedule range starting or ending, an exemption starting or ending', () => {
  const loaded = parseConfigText(`${BASE}schedules:\n  pagi: [{ days: [mon, tue, wed, thu, fri, sat, sun], from: "07:00", to: "12:00" }]\nexemptions:\n  - { name: e, clients: [10.0.1.9], allow: [youtube], from: "2026-12-07T09:00:00+07:00", until: "2026-12-07T09:30:00+07:00", reason: rapat }\n`, join(tmpdir(), 'r.yaml'));
  const at = (iso: string): number => Date.parse(iso);
  assert.equal(nextPolicyChange(loaded.policy, at('2026-12-07T06:59:00+07:00')), at('2026-12-07T07:00:00+07:00'));
  assert.equal(nextPolicyChange(loaded.policy, at('2026-12-07T07:00:00+07:00')), at('2026-12-07T09:00:00+07:00'));
  assert.equal(nextPolicyChange(loaded.policy, at('2026-12-07T09:10:00+07:00')), at('2026-12-07T09:30:00+07:00'));
  assert.equal(nextPolicyChange(loaded.policy, at('2026-12-07T09:30:00+07:00')), at('2026-12-07T12:00:00+07:00'));
  assert.equal(nextPolicyChange(parseConfigText(BASE, join(tmpdir(), 'r.yaml')).policy, at('2026-12-07T09:30:00+07:00')), null);
});
