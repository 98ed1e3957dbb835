/**
 * Single UDP queries to a target: how long it takes to give its first correct answer after start,
 * and whether blocked names get NXDOMAIN and allowed names resolve before anything is timed.
 */
import dgram from 'node:dgram';
import { encodeQuery, QTYPE, RCODE, summarizeResponse, type QTypeName, type ResponseSummary } from './dns-wire.js';
import { UPSTREAM_A, UPSTREAM_AAAA } from './upstream-answer.js';

export interface Endpoint { host: string; port: number }

let nextId = 1;

/** Sends one query and resolves with the response, or null after `timeoutMs`. */
export function query(endpoint: Endpoint, name: string, qtype: QTypeName, timeoutMs = 1000): Promise<ResponseSummary | null> {
  const id = nextId = (nextId % 0xfffe) + 1;
  const socket = dgram.createSocket(endpoint.host.includes(':') ? 'udp6' : 'udp4');
  return new Promise((resolve) => {
    const finish = (result: ResponseSummary | null): void => {
      clearTimeout(timer);
      socket.close();
      resolve(result);
    };
    const timer = setTimeout(finish, timeoutMs, null);
    socket.on('error', () => finish(null));
    socket.on('message', (msg) => {
      try {
        const summary = summarizeResponse(msg);
        if (summary.id === id) finish(summary);
      } catch {
        finish(null);
      }
    });
    socket.send(encodeQuery(id, name, QTYPE[qtype]), endpoint.port, endpoint.host);
  });
}

/** One expectation: `name`/`qtype` must be blocked (NXDOMAIN) or resolve to the upstream's address. */
export interface Expectation { name: string; qtype: QTypeName; blocked: boolean }

/** Says what is wrong with `response` for `expectation`, or null when it is right. */
export function judge(expectation: Expectation, response: ResponseSummary | null): string | null {
  const what = `${expectation.name} ${expectation.qtype}`;
  if (response === null) return `${what}: no answer`;
  if (expectation.blocked) {
    return response.rcode === RCODE.NXDOMAIN ? null : `${what}: expected NXDOMAIN (blocked), got rcode ${response.rcode}`;
  }
  if (response.rcode !== RCODE.NOERROR) return `${what}: expected NOERROR (allowed), got rcode ${response.rcode}`;
  const want = expectation.qtype === 'A' ? UPSTREAM_A : UPSTREAM_AAAA;
  const type = QTYPE[expectation.qtype];
  if (!response.answers.some((a) => a.type === type && a.data === want)) {
    return `${what}: expected an answer ${want}, got [${response.answers.map((a) => a.data).join(', ')}]`;
  }
  return null;
}

/** Queries every expectation once; returns the list of failures (empty when all are right). */
export async function checkAll(endpoint: Endpoint, expectations: Expectation[], timeoutMs = 1000): Promise<string[]> {
  const failures: string[] = [];
  for (const expectation of expectations) {
    const failure = judge(expectation, await query(endpoint, expectation.name, expectation.qtype, timeoutMs));
    if (failure !== null) failures.push(failure);
  }
  return failures;
}

/**
 * As checkAll, but a query left unanswered is asked again (twice, 3 s each) before it counts: on a
 * busy machine one lost datagram is not a wrong answer. A wrong answer counts at once.
 */
export async function checkAllPatiently(endpoint: Endpoint, expectations: Expectation[]): Promise<string[]> {
  const failures: string[] = [];
  for (const expectation of expectations) {
    let response = await query(endpoint, expectation.name, expectation.qtype, 1000);
    for (let retry = 0; response === null && retry < 2; retry++) response = await query(endpoint, expectation.name, expectation.qtype, 3000);
    const failure = judge(expectation, response);
    if (failure !== null) failures.push(failure);
  }
  return failures;
}

export interface WaitOptions {
  /** Give up after this long. */
  timeoutMs: number;
  /** Stop early (with the reason) when this returns a string, e.g. because the process exited. */
  abort: () => string | null;
}

/**
 * Polls until every probe in `first` is answered correctly. Resolves with the milliseconds since
 * `startedAt` (a performance.now() value), or rejects with the last failure.
 */
export async function waitForFirstAnswer(endpoint: Endpoint, first: Expectation[], startedAt: number, options: WaitOptions): Promise<number> {
  let last = 'no answer yet';
  while (performance.now() - startedAt < options.timeoutMs) {
    const aborted = options.abort();
    if (aborted !== null) throw new Error(`${aborted}; last probe: ${last}`);
    const failures = await checkAll(endpoint, first, 250).catch((err: Error) => [err.message]);
    if (failures.length === 0) return performance.now() - startedAt;
    last = failures[0]!;
    // A wrong answer (not a missing one) may be a list still loading; keep polling either way.
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no correct answer within ${options.timeoutMs / 1000} s; last probe: ${last}`);
}
