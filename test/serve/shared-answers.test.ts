/**
 * The answer index and the flow aggregates on the shared store, with two `rambu serve` processes on
 * loopback and one PostgreSQL: a client asks gateway B for www.youtube.com, and gateway A, which it
 * never asked, learns that answer within seconds, so a NetFlow v5 download from the address B gave,
 * sent to A's collector, is youtube on A's /api/traffic and on B's too (the `gateway` filter picks
 * the collecting gateway's sums). While PostgreSQL is stopped B answers and A goes on with what it
 * knows; an answer B gave meanwhile reaches A once PostgreSQL is back.
 */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { after, before, test } from 'node:test';
import { v5Packet } from '../flows/flow-packets.js';
import { digShort } from '../e2e/kit/dig.js';
import { UPSTREAM_ANSWER } from '../e2e/kit/fake-upstream.js';
import { flowPort, startProduct, type Product } from '../e2e/kit/product.js';
import { startPostgres, type TestPostgres } from '../kit/postgres.js';
import { until } from '../kit/until.js';

const ADMIN_PASSWORD = 'satu-jawaban-dua-gerbang';
const POLICY = 'groups:\n  semua: ["127.0.0.0/8"]\n';

interface Session { cookie: string }
interface TrafficRow { key: string; bytes: number; packets: number; flows: number }

async function logIn(product: Product): Promise<Session> {
  const res = await fetch(new URL('api/session', product.url), {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
  });
  assert.equal(res.status, 200);
  return { cookie: (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '' };
}

async function traffic(product: Product, session: Session, query = ''): Promise<TrafficRow[]> {
  const res = await fetch(new URL(`api/traffic?by=service${query}`, product.url), { headers: { cookie: session.cookie } });
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json() as { rows: TrafficRow[] }).rows;
}

async function metric(product: Product, pattern: RegExp): Promise<number | null> {
  const text = await (await fetch(new URL('metrics', product.url))).text();
  const m = pattern.exec(text);
  return m === null ? null : Number(m[1]);
}

async function sendFlow(port: number, bytes: number): Promise<void> {
  const packet = v5Packet({ uptime: 60_000, secs: Math.floor(Date.now() / 1000), sequence: 0 }, [
    { src: UPSTREAM_ANSWER, dst: '127.0.0.1', packets: 3000, bytes, first: 1000, last: 59_000 },
  ]);
  const s = createSocket('udp4');
  await new Promise<void>((r, j) => s.send(packet, port, '127.0.0.1', (e) => (e ? j(e) : r())));
  s.close();
}

let pg: TestPostgres;
const products: Product[] = [];
before(async () => { pg = await startPostgres(); });
after(async () => {
  await Promise.allSettled(products.map((p) => p.stop()));
  await pg?.destroy();
});

test('an answer gateway B gave attributes the flows gateway A collects, on both consoles', { timeout: 240_000 }, async (t) => {
  await pg.createDatabase('answers');
  const storage = (name: string) => ({ backend: 'postgres', url: pg.url('answers'), gatewayName: name });
  const a = await startProduct({ adminPassword: ADMIN_PASSWORD, policy: `${POLICY}flows:\n  listen: "127.0.0.1:0"\n`, storage: storage('gw-a') });
  products.push(a);
  const b = await startProduct({ adminPassword: ADMIN_PASSWORD, policy: POLICY, addAdmin: false, storage: storage('gw-b') });
  products.push(b);
  const port = await flowPort(a);
  const onA = await logIn(a);
  const onB = await logIn(b);

  // The client asks B only.
  assert.deepEqual(await digShort(b.dnsPort, 'www.youtube.com'), [UPSTREAM_ANSWER]);
  const outputs = (): string => `${a.output()}\n${b.output()}`;
  const receivedBy = async (p: Product): Promise<number> => (await metric(p, /^rambu_answer_index_shared_rows\{state="received"\} (\d+)$/m)) ?? 0;
  const received = await until(async () => { const n = await receivedBy(a); return n >= 1 ? n : null; }, 15_000, 250,
    () => `A takes in the answer B gave: ${outputs()}`);
  assert.ok(received >= 1);
  assert.ok(((await metric(b, /^rambu_answer_index_shared_rows\{state="shipped"\} (\d+)$/m)) ?? 0) >= 1, 'B counts what it shipped');
  assert.ok(((await metric(a, /^rambu_answer_index_entries (\d+)$/m)) ?? 0) >= 1, 'the answer is in A\'s index');

  // The router's flows go to A's collector: attributed to youtube through B's answer.
  await sendFlow(port, 4_200_000);
  let lastA: TrafficRow[] = [];
  const onAService = await until(async () => {
    lastA = await traffic(a, onA);
    return lastA.find((r) => r.key === 'youtube') ?? null;
  }, 20_000, 250,
    () => `the flow is youtube on A: ${JSON.stringify(lastA)}`);
  assert.equal(onAService.bytes, 4_200_000);
  assert.equal(lastA.find((r) => r.key === 'other'), undefined, JSON.stringify(lastA));
  // B's console sums every gateway's flows; the gateway filter picks the collecting one.
  let lastB: TrafficRow[] = [];
  const onBService = await until(async () => {
    lastB = await traffic(b, onB);
    return lastB.find((r) => r.key === 'youtube') ?? null;
  }, 15_000, 250,
    () => `A's flow is on B's console: ${JSON.stringify(lastB)}`);
  assert.equal(onBService.bytes, 4_200_000);
  assert.equal((await traffic(b, onB, '&gateway=gw-a')).find((r) => r.key === 'youtube')?.bytes, 4_200_000);
  assert.deepEqual(await traffic(b, onB, '&gateway=gw-b'), []);
  const rows = await pg.sql('answers', 'SELECT gateway, client, address, name, service FROM answers ORDER BY id');
  assert.deepEqual(rows.rows, [{ gateway: 'gw-b', client: '127.0.0.1', address: UPSTREAM_ANSWER, name: 'www.youtube.com', service: 'youtube' }]);

  // PostgreSQL stops: B answers and keeps the new answer; A goes on alone. Once it is back, A learns it.
  await pg.stop();
  assert.deepEqual(await digShort(b.dnsPort, 'www.netflix.com'), [UPSTREAM_ANSWER]);
  await new Promise((r) => setTimeout(r, 2_000));
  await pg.start();
  await until(async () => { const n = await receivedBy(a); return n > received ? n : null; }, 30_000, 250,
    () => `A takes in the answer B gave during the outage: ${outputs()}`);
  await sendFlow(port, 1_000_000);
  const netflix = await until(async () => {
    lastA = await traffic(a, onA);
    return lastA.find((r) => r.key === 'netflix') ?? null;
  }, 20_000, 250,
    () => `the flow is netflix on A: ${JSON.stringify(lastA)}`);
  assert.equal(netflix.bytes, 1_000_000);
  t.diagnostic(`A: ${JSON.stringify(lastA)}`);
});
