/**
 * The state of one query on the query handler's full path: the decoded message, its question and
 * EDNS, and what a local answer or a query-log entry needs of it.
 */
import type { Policy } from '../policy/index.js';
import { normalizeName } from './domain-name.js';
import { MIN_UDP_SIZE, type Edns } from './edns.js';
import type { LocalQuery } from './local-answer.js';
import type { DecodedMessage, Question } from './message-codec.js';
import { MAX_MESSAGE_SIZE } from './wire-writer.js';

export type Transport = 'udp' | 'tcp';

/** What a query-log entry says about the query itself. */
export interface LogSubject {
  t0: number;
  time: number;
  client: string;
  name: string;
  /** The question type, or -1 when there is no question. */
  type: number;
}

/** One query in flight through the full pipeline. */
export interface QueryContext extends LogSubject {
  packet: Buffer;
  msg: DecodedMessage;
  question: Question | null;
  edns: Edns | null;
  local: LocalQuery;
  /** The policy the query was decided under, once it was. */
  policy: Policy | null;
}

/**
 * The largest answer for a query over `transport` whose EDNS UDP size is `ednsSize` (-1 without
 * EDNS): 512 bytes without EDNS (RFC 1035), the client's size within 512..`maxUdpSize` with it, a
 * whole message over TCP.
 */
export function answerSizeLimit(transport: Transport, ednsSize: number, maxUdpSize: number): number {
  if (transport === 'tcp') return MAX_MESSAGE_SIZE;
  return ednsSize < 0 ? MIN_UDP_SIZE : Math.max(MIN_UDP_SIZE, Math.min(ednsSize, maxUdpSize));
}

/**
 * The pipeline state of a decoded query from `client`, received at `t0` (performance.now()) and
 * `time` (the policy clock). UDP answers fit the client's EDNS size within `maxUdpSize`.
 */
export function queryContext(
  packet: Buffer, msg: DecodedMessage, edns: Edns | null, client: string, transport: Transport, t0: number, time: number, maxUdpSize: number,
): QueryContext {
  const question = msg.questions.length === 1 ? msg.questions[0]! : null;
  const maxSize = answerSizeLimit(transport, edns === null ? -1 : edns.udpSize, maxUdpSize);
  return {
    t0,
    time,
    client,
    packet,
    msg,
    question,
    name: question === null ? '' : normalizeName(question.name),
    type: question === null ? -1 : question.type,
    edns,
    local: {
      id: msg.id,
      flags: msg.flags,
      question,
      ednsSize: edns === null ? null : edns.udpSize,
      dnssecOk: edns !== null && edns.dnssecOk,
      maxSize,
      ourUdpSize: maxUdpSize,
    },
    policy: null,
  };
}
