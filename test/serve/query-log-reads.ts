/** The query log as a user reads it from a running gateway: the API, `rambu log --json`, the overview, /metrics. */
import assert from 'node:assert/strict';

/** A row as the API and the CLI show it, with its time back in epoch ms. */
export interface Row {
  id: number;
  time: number;
  client: string;
  name: string;
  type: string;
  action: string;
  service: string | null;
  rule: string | null;
  exemption: string | null;
  rcode: string;
  latencyMs: number;
  upstream: string | null;
  cached: boolean;
  /** The gateway that answered (its storage.gatewayName, by default the host name). */
  gateway?: string;
}

function toRow(r: Record<string, unknown>): Row {
  return { ...(r as unknown as Row), time: Date.parse(r['time'] as string) };
}

/** Rows of `rambu log --json`, oldest first. */
export function logRows(stdout: string): Row[] {
  return stdout.trim().split('\n').filter((l) => l !== '').map((l) => toRow(JSON.parse(l) as Record<string, unknown>));
}

export interface Session { cookie: string }

export async function login(url: string, password: string): Promise<Session> {
  const res = await fetch(`${url}api/session`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  const cookie = /rambu_session=[^;]+/.exec(res.headers.get('set-cookie') ?? '')?.[0];
  assert.ok(cookie !== undefined, 'no session cookie');
  return { cookie };
}

async function getJson(url: string, session: Session): Promise<Record<string, unknown>> {
  const res = await fetch(url, { headers: { cookie: session.cookie } });
  assert.equal(res.status, 200, await res.clone().text());
  return await res.json() as Record<string, unknown>;
}

/** Every row of `GET /api/queries`, page by page, oldest first. */
export async function apiRows(url: string, session: Session): Promise<Row[]> {
  const rows: Row[] = [];
  let cursor: string | null = null;
  do {
    const page = await getJson(`${url}api/queries?limit=500${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`, session);
    rows.push(...(page['items'] as Record<string, unknown>[]).map(toRow));
    cursor = page['nextCursor'] as string | null;
  } while (cursor !== null);
  return rows.reverse();
}

/** `rambu_query_log_rows{state="..."}` from /metrics text. */
export function readMetric(text: string, state: string): number {
  const m = new RegExp(`^rambu_query_log_rows\\{state="${state}"\\} (\\S+)$`, 'm').exec(text);
  assert.ok(m?.[1] !== undefined, `no rambu_query_log_rows{state="${state}"} in /metrics`);
  return Number(m[1]);
}

/**
 * Waits until /metrics counts at least `rows` written query-log rows (the writer runs at idle
 * priority: on a busy machine it may be seconds behind); returns the count.
 */
export async function writtenAtLeast(url: string, rows: number, timeoutMs = 30_000): Promise<number> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const written = readMetric(await (await fetch(`${url}metrics`)).text(), 'written');
    if (written >= rows || Date.now() > end) return written;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * /metrics once nothing waits for the query-log writer any more (`buffered` 0; the DNS threads'
 * own batches leave within 100 ms, so wait that long after the traffic first).
 */
export async function settledMetrics(url: string, timeoutMs = 30_000): Promise<string> {
  const end = Date.now() + timeoutMs;
  let text = await (await fetch(`${url}metrics`)).text();
  while (readMetric(text, 'buffered') > 0 && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 100));
    text = await (await fetch(`${url}metrics`)).text();
  }
  assert.equal(readMetric(text, 'buffered'), 0, 'the query-log writer caught up');
  return text;
}

function counts<T>(items: readonly T[], key: (item: T) => string | null): Map<string, number> {
  const out = new Map<string, number>();
  for (const item of items) {
    const k = key(item);
    if (k !== null) out.set(k, (out.get(k) ?? 0) + 1);
  }
  return out;
}

/** The overview's aggregates of today equal what the rows of today add up to; `groupOf` gives a client's group. */
export async function overviewMatches(url: string, session: Session, rows: readonly Row[], groupOf: (client: string) => string | null): Promise<void> {
  const o = await getJson(`${url}api/overview`, session);
  const from = Date.parse((o['day'] as { from: string }).from);
  const today = rows.filter((r) => r.time >= from);
  const blocked = today.filter((r) => r.action === 'block');
  const wouldBlock = today.filter((r) => r.action === 'monitor');
  assert.deepEqual(o['totals'], { queries: today.length, blocked: blocked.length, wouldBlock: wouldBlock.length });
  const wouldByService = new Map((o['wouldBlockByService'] as { service: string | null; count: number }[]).filter((s) => s.service !== null && s.service !== '').map((s) => [s.service as string, s.count]));
  assert.deepEqual(wouldByService, counts(wouldBlock, (r) => r.service));
  const byService = new Map((o['blockedByService'] as { service: string | null; count: number }[]).filter((s) => s.service !== null && s.service !== '').map((s) => [s.service as string, s.count]));
  assert.deepEqual(byService, counts(blocked, (r) => r.service));
  const byGroup = new Map((o['blockedByGroup'] as { group: string | null; count: number }[]).map((g) => [g.group ?? '(none)', g.count]));
  assert.deepEqual(byGroup, counts(blocked, (r) => groupOf(r.client) ?? '(none)'));
  const top = o['topBlockedClients'] as { client: string; count: number }[];
  const perClient = counts(blocked, (r) => r.client);
  for (const t of top) assert.equal(t.count, perClient.get(t.client), `blocked for ${t.client}`);
  const perMinute = new Map<string, { total: number; blocked: number }>();
  for (const r of today) {
    const minute = new Date(Math.floor(r.time / 60_000) * 60_000).toISOString();
    const m = perMinute.get(minute) ?? { total: 0, blocked: 0 };
    m.total++;
    if (r.action === 'block') m.blocked++;
    perMinute.set(minute, m);
  }
  const shown = new Map((o['queriesPerMinute'] as { minute: string; total: number; blocked: number }[]).filter((m) => Date.parse(m.minute) >= from).map((m) => [m.minute, { total: m.total, blocked: m.blocked }]));
  assert.deepEqual(shown, perMinute);
}
