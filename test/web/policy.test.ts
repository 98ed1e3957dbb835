import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseConfigText } from '../../src/config/index.js';
import { ConfigError, formatPath } from '../../src/errors.js';
import type { Policy } from '../../src/policy/index.js';
import { toPolicyExemptions } from '../../src/web/index.js';
import type { PolicyEditor } from '../../src/web/index.js';
import { authed, createTestApp } from './test-app.js';
import type { TestApp } from './test-app.js';

const errorCode = (body: string): string => (JSON.parse(body) as { error: { code: string } }).error.code;

const YAML = `timezone: Asia/Jakarta
holidays: ["2026-12-25"]
schedules:
  jam-kerja:
    - days: [mon, tue, wed, thu, fri]
      from: "07:00"
      to: "16:00"
groups:
  semua: ["0.0.0.0/0", "::/0"]
  diskominfo-humas: ["10.20.5.0/24"]
  ruang-rapat-walikota: ["10.20.9.17"]
services:
  si-jaja: ["sijaja.pasuruankota.go.id"]
rules:
  - name: blokir-streaming-jam-kerja
    block: [youtube, vidio, vimeo]
    groups: [semua]
    during: jam-kerja
exemptions:
  - name: siaran-langsung-humas
    groups: [diskominfo-humas]
    allow: [youtube]
    until: "2027-03-31T16:00:00+07:00"
    reason: "Live broadcast of city events"
`;

/** What the serve command does: validate with the config schema, keep the text, swap the policy. */
function memoryEditor(state: { text: string; base: Policy; onChange: (p: Policy) => void }): PolicyEditor {
  return {
    read: () => ({ text: state.text, file: '/etc/rambu/rambu.yaml' }),
    async write(text) {
      try {
        const loaded = parseConfigText(text, '/etc/rambu/rambu.yaml');
        state.text = text;
        state.base = loaded.policy;
        state.onChange(loaded.policy);
        return { ok: true };
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        return {
          ok: false,
          errors: err.issues.map((i) => ({
            ...(i.line === undefined ? {} : { line: i.line }), ...(i.column === undefined ? {} : { column: i.column }),
            path: formatPath(i.path), message: i.message,
          })),
        };
      }
    },
  };
}

describe('policy API on the real policy engine', () => {
  let t: TestApp;
  const state = { text: YAML, base: parseConfigText(YAML, 'x.yaml').policy, onChange: (_p: Policy) => {} };
  before(async () => {
    // Mirrors `rambu serve`: the console's exemptions are layered on the file's policy.
    const rebuild = async () => {
      t.policy.current = state.base.withConsoleExemptions(toPolicyExemptions(await t.store.exemptions.effective(t.clock.now)));
    };
    t = await createTestApp({ policyEditor: memoryEditor(state), onExemptionsChanged: () => { void rebuild(); } });
    state.onChange = () => { void rebuild(); };
    await rebuild();
  });
  after(async () => { await t.close(); });

  it('status: the circular\'s rule is active on a Monday morning until 16:00 WIB', async () => {
    const s = (await t.app.inject({ method: 'GET', url: '/api/status' })).json() as { streamingBlocked: boolean; nextChange: string; rules: { active: boolean }[] };
    assert.equal(s.streamingBlocked, true);
    assert.equal(s.nextChange, '2026-05-04T09:00:00.000Z');
    assert.equal(s.rules[0]?.active, true);
  });

  it('GET /api/policy describes schedules with their next transitions, groups, services, rules, exemptions', async () => {
    const v = await t.login('viewer');
    const res = await t.app.inject({ method: 'GET', url: '/api/policy', headers: { cookie: v.cookie } });
    assert.equal(res.statusCode, 200);
    const p = res.json() as {
      editable: boolean; schedules: { name: string; active: boolean; transitions: { at: string; active: boolean }[] }[];
      groups: { name: string }[]; services: { name: string; domains: number; sample: string[] }[]; exemptions: { name: string; source: string }[];
    };
    assert.equal(p.editable, true);
    assert.equal(p.schedules[0]?.active, true);
    assert.deepEqual(p.schedules[0]?.transitions.slice(0, 2), [
      { at: '2026-05-04T09:00:00.000Z', active: false }, { at: '2026-05-05T00:00:00.000Z', active: true },
    ]);
    assert.equal(p.schedules[0]?.transitions.length, 14);
    assert.deepEqual(p.groups.map((g) => g.name), ['semua', 'diskominfo-humas', 'ruang-rapat-walikota']);
    const youtube = p.services.find((s) => s.name === 'youtube');
    assert.ok(youtube !== undefined && youtube.domains > 3 && youtube.sample.length > 0);
    assert.deepEqual(p.exemptions.map((e) => [e.name, e.source]), [['siaran-langsung-humas', 'config']]);
  });

  it('an exemption from the console changes the decision at once, and revoking it changes it back', async () => {
    const op = await t.login('operator');
    const explain = async () => ((await t.app.inject({ method: 'GET', url: '/api/explain?client=10.20.7.8&name=www.youtube.com', headers: { cookie: op.cookie } })).json() as { action: string; exemption: string | null });
    assert.equal((await explain()).action, 'block');
    const res = await t.app.inject({
      method: 'POST', url: '/api/exemptions', headers: authed(op),
      payload: { name: 'rapat-paripurna', clients: ['10.20.7.8'], allow: ['youtube'], until: '2026-05-04T12:00:00+07:00', reason: 'Rapat paripurna' },
    });
    assert.equal(res.statusCode, 201, res.body);
    await new Promise((r) => setImmediate(r));
    const allowed = await explain();
    assert.equal(allowed.action, 'allow');
    assert.equal(allowed.exemption, 'rapat-paripurna');
    const id = (res.json() as { exemption: { id: number } }).exemption.id;
    assert.equal((await t.app.inject({ method: 'DELETE', url: `/api/exemptions/${id}`, headers: authed(op) })).statusCode, 200);
    await new Promise((r) => setImmediate(r));
    assert.equal((await explain()).action, 'block');
  });

  it('policy YAML: admins read it; invalid text is refused with locations; valid text is saved and audited', async () => {
    const op = await t.login('operator');
    const forbidden = await t.app.inject({ method: 'GET', url: '/api/policy/yaml', headers: { cookie: op.cookie } });
    assert.equal(forbidden.statusCode, 403);
    assert.equal(errorCode(forbidden.body), 'FORBIDDEN');
    const admin = await t.login('admin');
    const read = await t.app.inject({ method: 'GET', url: '/api/policy/yaml', headers: { cookie: admin.cookie } });
    assert.deepEqual(read.json(), { text: YAML, file: '/etc/rambu/rambu.yaml' });

    const broken = YAML.replace('block: [youtube, vidio, vimeo]', 'block: [youtube, no-such-service]');
    const bad = await t.app.inject({ method: 'PUT', url: '/api/policy/yaml', headers: authed(admin), payload: { text: broken } });
    assert.equal(bad.statusCode, 422);
    const body = bad.json() as { error: { code: string; details: { line?: number; path: string; message: string }[] } };
    assert.equal(body.error.code, 'POLICY_INVALID');
    assert.ok(body.error.details.length >= 1);
    assert.ok(body.error.details.some((d) => d.path.startsWith('rules[0].block') && typeof d.line === 'number'), JSON.stringify(body.error.details));
    assert.equal(state.text, YAML);

    const noCsrf = await t.app.inject({ method: 'PUT', url: '/api/policy/yaml', headers: { cookie: admin.cookie }, payload: { text: YAML } });
    assert.equal(noCsrf.statusCode, 403);

    const relaxed = YAML.replace('to: "16:00"', 'to: "15:00"');
    const ok = await t.app.inject({ method: 'PUT', url: '/api/policy/yaml', headers: authed(admin), payload: { text: relaxed } });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.deepEqual(ok.json(), { ok: true });
    await new Promise((r) => setImmediate(r));
    const s = (await t.app.inject({ method: 'GET', url: '/api/status' })).json() as { nextChange: string };
    assert.equal(s.nextChange, '2026-05-04T08:00:00.000Z');
    const audit = await t.store.audit.list({ action: 'policy.update' });
    assert.equal(audit.entries[0]?.user, 'admin');
    assert.equal(audit.entries[0]?.before, YAML);
    assert.equal(audit.entries[0]?.after, relaxed);
  });
});

describe('policy API without an editor', () => {
  it('answers POLICY_EDITOR_UNAVAILABLE and editable: false', async () => {
    const t = await createTestApp();
    try {
      const admin = await t.login('admin');
      const res = await t.app.inject({ method: 'GET', url: '/api/policy/yaml', headers: { cookie: admin.cookie } });
      assert.equal(res.statusCode, 404);
      assert.equal(errorCode(res.body), 'POLICY_EDITOR_UNAVAILABLE');
      const put = await t.app.inject({ method: 'PUT', url: '/api/policy/yaml', headers: authed(admin), payload: { text: 'x: 1' } });
      assert.equal(errorCode(put.body), 'POLICY_EDITOR_UNAVAILABLE');
      const p = (await t.app.inject({ method: 'GET', url: '/api/policy', headers: { cookie: admin.cookie } })).json() as { editable: boolean; services: unknown[] };
      assert.equal(p.editable, false);
      assert.equal(p.services.length, 4);
    } finally {
      await t.close();
    }
  });
});
