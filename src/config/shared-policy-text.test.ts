import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError } from '../errors.js';
import { composeShared, parseConfigText, sharedPart } from './index.js';

const FILE = join(tmpdir(), 'rambu.yaml');
const LOCAL = `# gateway A
dns:
  listen: ["127.0.0.1:1053"]
  blockResponse: refused
timezone: Asia/Makassar
rules:
  - name: lokal
    block: [vimeo]
storage:
  path: data
`;

test('the shared part drops the local keys and keeps the rest as written', () => {
  const part = sharedPart(LOCAL);
  assert.doesNotMatch(part, /dns:|storage:|listen/);
  assert.match(part, /timezone: Asia\/Makassar/);
  assert.equal(part, '# gateway A\ntimezone: Asia/Makassar\nrules:\n  - name: lokal\n    block: [vimeo]\n', 'kept byte for byte');
  assert.equal(sharedPart('dns:\n  listen: ["127.0.0.1:53"]\n'), '');
});

test('a gateway runs the shared policy with its own local keys', () => {
  const local = parseConfigText(LOCAL, FILE);
  const shared = 'timezone: Asia/Jakarta\nrules:\n  - name: bersama\n    block: [youtube]\ndns:\n  blockResponse: nullip\n';
  const c = composeShared(local, shared, 'shared policy');
  assert.deepEqual(c.policy.rules.map((r) => r.name), ['bersama']);
  assert.equal(c.policy.timezone, 'Asia/Jakarta');
  assert.deepEqual(c.settings.dns.listen, [{ host: '127.0.0.1', port: 1053 }]);
  assert.deepEqual(c.settings.dns.blockResponse, { kind: 'refused' }, 'the file\'s dns section, not the document\'s');
});

test('a broken shared document is a ConfigError with its own line numbers', () => {
  const local = parseConfigText(LOCAL, FILE);
  assert.throws(() => composeShared(local, 'timezone: Asia/Jakarta\n\nrules:\n  - name: x\n    block: [youtub]\n', 'shared policy'), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.equal(err.issues[0]?.file, 'shared policy');
    assert.equal(err.issues[0]?.line, 5);
    return true;
  });
});
