/**
 * The decision pipeline for one query: decode, who may ask, rate limit, bypass signals, policy,
 * ANY, cache, upstream (or a stale cached answer when it fails), CNAME-chain check, schedule-aware
 * TTLs, render, log. It returns the response bytes (synchronously on the cache and block paths),
 * null to drop, or a promise. Common queries take a fast path read straight from their bytes
 * ({@link QueryView}); the rest are decoded into a {@link QueryContext}. Upstream exchanges are
 * shared and cached by {@link UpstreamFetch}.
 */
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { DnsSettings } from '../config/index.js';
import { ERROR_CODES, RambuError } from '../errors.js';
import type { Decision, Policy } from '../policy/index.js';
import type { AnswerCache } from './answer-cache.js';
import { renderAnswer, renderStaleAnswer, type AnswerEntry, type RenderRequest } from './answer-entry.js';
import type { ClientFilter } from './client-filter.js';
import type { DnsStats } from './dns-stats.js';
import { isSubdomain } from './domain-name.js';
import { readEdns, type Edns } from './edns.js';
import type { Forwarder } from './forwarder.js';
import { unmapIPv4 } from './ip-address.js';
import { BlockWriter, sharesBlockZone } from './block-writer.js';
import { anyAnswer, blockAnswer, formerrFromHeader, localResponse } from './local-answer.js';
import { decodeMessage, type DecodedMessage, type Question } from './message-codec.js';
import { MAX_QUESTION_KEY, writeQuestionKey } from './question-key.js';
import { answerSizeLimit, queryContext, type LogSubject, type QueryContext, type Transport } from './query-context.js';
import { QueryView } from './query-view.js';
import type { QueryAction, QueryLogEntry } from './query-log-entry.js';
import type { RateLimiter } from './rate-limiter.js';
import { FLAG, OPCODE, opcodeOf, RCODE, rcodeName } from './rcodes.js';
import { RR_CLASS, RR_TYPE, typeName } from './rr-types.js';
import { UpstreamFetch } from './upstream-fetch.js';
import { MAX_MESSAGE_SIZE } from './wire-writer.js';

export type { Transport } from './query-context.js';

/**
 * Where answers go for the answer index: one append per answer, nothing more on the DNS path. A sink
 * that returns true says the answer was kept for the index (not dropped as a repeat or for want of
 * room): then a cache hit marks its entry as given to the client, and repeats of that answer to the
 * same client within {@link QueryHandlerOptions.answerRepeatWindowMs} do not reach the sink at all.
 */
export type AnswerSink = (client: string, name: string, service: string | null, response: Uint8Array, time: number) => boolean | void;

/** How long a cache hit that repeats an answer kept for the index skips the sink (the answer feed's
 *  own filter of repeats uses the same window). */
export const DEFAULT_ANSWER_REPEAT_WINDOW_MS = 5_000;

/** Whether an answer to a question of `type` with `rcode` can carry addresses for the answer index. */
function carriesAddresses(type: number, rcode: number): boolean {
  return (type === RR_TYPE.A || type === RR_TYPE.AAAA) && rcode === RCODE.NOERROR;
}

/** Names answered NXDOMAIN whatever the policy: they tell browsers and phones to keep using us. */
export const BYPASS_SIGNAL_NAMES = ['use-application-dns.net', 'mask.icloud.com', 'mask-h2.icloud.com'] as const;
export const BYPASS_SERVICE = 'doh-bypass';

export interface QueryHandlerOptions {
  settings: DnsSettings;
  getPolicy: () => Policy;
  now: () => number;
  onQuery: ((entry: QueryLogEntry) => void) | undefined;
  /** Called after each NOERROR answer to an A or AAAA question with the response as sent (read it
   *  during the call only) and the service of the question name or, failing that, of its CNAME chain. */
  onAnswer?: AnswerSink | undefined;
  /** See {@link AnswerSink}; 0 sends every answer to the sink. @default DEFAULT_ANSWER_REPEAT_WINDOW_MS */
  answerRepeatWindowMs?: number;
  logger: Logger;
  stats: DnsStats;
  forwarder: Forwarder;
  cache: AnswerCache;
  clients: ClientFilter;
  rateLimiter: RateLimiter;
  /** Cap on the UDP size honoured and advertised. */
  maxUdpSize: number;
  /**
   * Answer common queries straight from their bytes (see {@link QueryView}); off, every query is
   * decoded in full. Both give the same bytes; the switch exists to compare them.
   * @default true
   */
  fastPath?: boolean;
}

const NO_DECISION: Decision = { action: 'allow', service: null, rule: null, exemption: null, until: null };
const EMPTY = Buffer.alloc(0);
const UNSUPPORTED_TYPES = new Set<number>([RR_TYPE.AXFR, RR_TYPE.IXFR, RR_TYPE.MAILA, RR_TYPE.MAILB, RR_TYPE.OPT]);
/** TTL of every record in a stale answer (RFC 8767 §4), unless the policy caps it lower. */
const STALE_TTL = 30;
/** The query log's `upstream` of a stale answer: no upstream answered it. */
const STALE_UPSTREAM = 'stale';

/** Whether `d` is the decision for a name no list of the policy has: no service, no change coming. */
function onNoListOf(d: Decision): boolean {
  return d.service === null && d.until === null;
}

function ttlCap(until: number | null, now: number): number {
  return until === null ? Infinity : Math.max(0, Math.ceil((until - now) / 1000));
}

export class QueryHandler {
  readonly #o: QueryHandlerOptions;
  readonly #blockTtl: number;
  readonly #upstream: UpstreamFetch;
  readonly #fastPath: boolean;
  readonly #blockWriter: BlockWriter;
  readonly #repeatWindowMs: number;
  // Reused by the synchronous fast path: one query at a time goes through them.
  readonly #view = new QueryView();
  // The full path's cache key.
  readonly #key = Buffer.allocUnsafeSlow(MAX_QUESTION_KEY);
  readonly #subject: LogSubject = { t0: 0, time: 0, client: '', name: '', type: -1 };
  readonly #render: RenderRequest = {
    query: Buffer.alloc(0), queryQuestionEnd: 0, ednsSize: null, dnssecOk: false, maxSize: 0, ourUdpSize: 0, now: 0, ttlCap: 0, minTtl: -1,
  };

  constructor(options: QueryHandlerOptions) {
    this.#o = options;
    const c = options.settings.cache;
    const limits = { minTtl: c.minTtl, maxTtl: c.maxTtl, negativeMaxTtl: c.negativeMaxTtl };
    this.#upstream = new UpstreamFetch(options.forwarder, options.cache, options.now, limits);
    this.#blockTtl = Math.max(0, Math.min(10, options.settings.blockTtl));
    this.#fastPath = options.fastPath ?? true;
    this.#blockWriter = new BlockWriter(options.settings.blockResponse, this.#blockTtl, options.maxUdpSize);
    this.#render.ourUdpSize = options.maxUdpSize;
    this.#repeatWindowMs = options.answerRepeatWindowMs ?? DEFAULT_ANSWER_REPEAT_WINDOW_MS;
  }

  /**
   * Answer one packet from `address`. Never throws. `packet` is read during the call only (the
   * batched UDP reader reuses its memory): a query that waits for an upstream keeps a copy.
   */
  handle(packet: Buffer, address: string, transport: Transport): Buffer | null | Promise<Buffer | null> {
    const t0 = performance.now();
    if (this.#fastPath && this.#view.read(packet)) {
      const client = unmapIPv4(address);
      if (this.#fastEligible(client)) {
        try {
          return this.#fast(packet, client, transport, t0);
        } catch (err) {
          return this.#fail(this.#decoded(packet, client, transport, t0, this.#o.now()), err);
        }
      }
    }
    return this.#full(packet, address, transport, t0);
  }

  /** Checks that need no state change: anything they reject takes the full path. */
  #fastEligible(client: string): boolean {
    const view = this.#view;
    if (view.class !== RR_CLASS.IN || view.type === RR_TYPE.ANY || UNSUPPORTED_TYPES.has(view.type)) return false;
    if (!this.#o.clients.allows(client)) return false;
    const name = view.name;
    if (sharesBlockZone(name)) return false;
    for (const signal of BYPASS_SIGNAL_NAMES) if (isSubdomain(name, signal)) return false;
    return true;
  }

  /** The common query: policy, then a block answer or a cache hit without decoding or encoding. */
  #fast(packet: Buffer, client: string, transport: Transport, t0: number): Buffer | null | Promise<Buffer | null> {
    const o = this.#o;
    const stats = o.stats;
    const view = this.#view;
    stats.queries++;
    if (transport === 'udp') stats.udpQueries++;
    else stats.tcpQueries++;
    const time = o.now();
    if (!o.rateLimiter.take(client, time)) {
      const ctx = this.#decoded(packet, client, transport, t0, time);
      return this.#limited(ctx);
    }
    const maxSize = answerSizeLimit(transport, view.ednsSize, o.maxUdpSize);
    const subject = this.#subject;
    subject.t0 = t0;
    subject.time = time;
    subject.client = client;
    subject.name = view.name;
    subject.type = view.type;
    const policy = o.getPolicy();
    const generation = policy.generation;
    const cache = o.cache;
    const entry = cache.get(view.key, view.keyLength, view.dnssecOk, time);
    // A cached answer whose names this very policy put on no list: allowed as before, for anyone,
    // at any time, with no limit on its TTLs (an immutable policy says the same again).
    const unmatched = entry !== undefined && generation !== undefined && cache.unmatchedUnder(generation);
    const decision = unmatched ? NO_DECISION : policy.decide(client, view.name, time);
    if (decision.action === 'block') return this.#fastBlock(packet, maxSize, decision);
    if (entry === undefined) {
      stats.cacheMisses++;
      const ctx = this.#decoded(packet, client, transport, t0, time);
      ctx.policy = policy;
      return this.#forward(ctx, ctx.question!, decision);
    }
    stats.cacheHits++;
    let cap = ttlCap(decision.until, time);
    let service = decision.service;
    if (!unmatched) {
      let onNoList = onNoListOf(decision);
      const names = entry.names;
      for (let i = 0; i < names.length; i++) {
        const d = policy.decide(client, names[i]!, time);
        if (d.action === 'block') return this.#fastBlock(packet, maxSize, d);
        const c = ttlCap(d.until, time);
        if (c < cap) cap = c;
        if (!onNoListOf(d)) onNoList = false;
        if (service === null) service = d.service;
      }
      if (onNoList && generation !== undefined) cache.markUnmatched(generation);
    }
    stats.allowed++;
    const req = this.#render;
    req.query = packet;
    req.queryQuestionEnd = view.questionEnd;
    req.ednsSize = view.ednsSize < 0 ? null : view.ednsSize;
    req.dnssecOk = view.dnssecOk;
    req.maxSize = maxSize;
    req.now = time;
    req.ttlCap = cap;
    const wire = renderAnswer(entry, req);
    req.query = EMPTY;
    const onAnswer = o.onAnswer;
    if (onAnswer !== undefined && carriesAddresses(view.type, entry.rcode)) {
      // The "last given" mark on the entry just read: a repeat costs a few compares, no lookup.
      const minTtl = req.minTtl!;
      if (minTtl < 0) onAnswer(client, view.name, service, wire, time);
      else {
        const expires = Math.floor(time / 1000) + minTtl;
        if (!cache.givenAgain(client, service, expires, time, this.#repeatWindowMs) && onAnswer(client, view.name, service, wire, time) === true) {
          cache.markGiven(client, service, expires, time);
        }
      }
    }
    this.#log(subject, 'allow', decision, rcodeName(entry.rcode), entry.upstream, true);
    return wire;
  }

  #fastBlock(packet: Buffer, maxSize: number, decision: Decision): Buffer {
    const wire = this.#blockWriter.write(packet, this.#view, maxSize);
    if (wire === null) {
      const ctx = this.#decoded(packet, this.#subject.client, maxSize === MAX_MESSAGE_SIZE ? 'tcp' : 'udp', this.#subject.t0, this.#subject.time);
      return this.#block(ctx, ctx.question!, decision);
    }
    this.#o.stats.blocked++;
    this.#log(this.#subject, 'block', decision, rcodeName(this.#blockWriter.rcode), null, false);
    return wire;
  }

  /** Every query the fast path does not take: decode in full, then the whole pipeline. */
  #full(transient: Buffer, address: string, transport: Transport, t0: number): Buffer | null | Promise<Buffer | null> {
    const stats = this.#o.stats;
    const packet = Buffer.from(transient);
    let msg: DecodedMessage;
    let edns: Edns | null;
    try {
      msg = decodeMessage(packet);
      edns = readEdns(msg);
    } catch {
      stats.malformed++;
      // Only clients that may ask get FORMERR, and only within their rate: garbage from elsewhere,
      // or a flood of it, is dropped.
      const client = unmapIPv4(address);
      if (!this.#o.clients.allows(client) || !this.#o.rateLimiter.take(client, this.#o.now())) return null;
      return formerrFromHeader(packet);
    }
    if ((msg.flags & FLAG.QR) !== 0) {
      stats.malformed++;
      return null;
    }
    stats.queries++;
    if (transport === 'udp') stats.udpQueries++;
    else stats.tcpQueries++;
    const ctx = queryContext(packet, msg, edns, unmapIPv4(address), transport, t0, this.#o.now(), this.#o.maxUdpSize);
    try {
      return this.#route(ctx);
    } catch (err) {
      return this.#fail(ctx, err);
    }
  }

  /** The full pipeline state of a query the fast path read (so it decodes without error). */
  #decoded(transient: Buffer, client: string, transport: Transport, t0: number, time: number): QueryContext {
    const packet = Buffer.from(transient);
    const msg = decodeMessage(packet);
    return queryContext(packet, msg, readEdns(msg), client, transport, t0, time, this.#o.maxUdpSize);
  }

  #limited(ctx: QueryContext): Buffer | null {
    const o = this.#o;
    o.stats.rateLimited++;
    if (o.settings.rateLimit.action === 'drop') {
      this.#log(ctx, 'ratelimited', NO_DECISION, 'NONE', null, false);
      return null;
    }
    return this.#local(ctx, RCODE.REFUSED, 'ratelimited');
  }

  #route(ctx: QueryContext): Buffer | null | Promise<Buffer | null> {
    const o = this.#o;
    if (!o.clients.allows(ctx.client)) {
      o.stats.refused++;
      return this.#local(ctx, RCODE.REFUSED, 'refused');
    }
    if (!o.rateLimiter.take(ctx.client, ctx.time)) return this.#limited(ctx);
    if (opcodeOf(ctx.msg.flags) !== OPCODE.QUERY) return this.#local(ctx, RCODE.NOTIMP, 'error');
    const q = ctx.question;
    if (q === null) return this.#local(ctx, RCODE.FORMERR, 'error');
    if (ctx.edns !== null && ctx.edns.version !== 0) return this.#local(ctx, RCODE.BADVERS, 'error');
    if (UNSUPPORTED_TYPES.has(q.type)) return this.#local(ctx, q.type === RR_TYPE.OPT ? RCODE.FORMERR : RCODE.NOTIMP, 'error');
    if (q.class !== RR_CLASS.IN) return this.#local(ctx, RCODE.REFUSED, 'error');
    for (const signal of BYPASS_SIGNAL_NAMES) {
      if (isSubdomain(ctx.name, signal)) {
        o.stats.blocked++;
        const decision: Decision = { action: 'block', service: BYPASS_SERVICE, rule: null, exemption: null, until: null };
        const { wire, rcode } = blockAnswer({ ...ctx.local, question: q }, { kind: 'nxdomain' }, this.#blockTtl);
        this.#log(ctx, 'block', decision, rcodeName(rcode), null, false);
        return wire;
      }
    }
    const policy = o.getPolicy();
    ctx.policy = policy;
    const decision = policy.decide(ctx.client, ctx.name, ctx.time);
    if (decision.action === 'block') return this.#block(ctx, q, decision);
    if (q.type === RR_TYPE.ANY) {
      o.stats.allowed++;
      const wire = anyAnswer({ ...ctx.local, question: q }, Math.min(3600, ttlCap(decision.until, ctx.time)));
      this.#log(ctx, 'allow', decision, 'NOERROR', null, false);
      return wire;
    }
    const keyLength = writeQuestionKey(this.#key, ctx.name, q.type, q.class);
    const entry = o.cache.get(this.#key, keyLength, ctx.local.dnssecOk, ctx.time);
    if (entry !== undefined) {
      o.stats.cacheHits++;
      return this.#answer(ctx, q, decision, entry, true);
    }
    o.stats.cacheMisses++;
    return this.#forward(ctx, q, decision);
  }

  async #forward(ctx: QueryContext, q: Question, decision: Decision): Promise<Buffer | null> {
    const dnssecOk = ctx.local.dnssecOk;
    const cd = (ctx.msg.flags & FLAG.CD) !== 0;
    try {
      const entry = await this.#upstream.get({ name: ctx.name, type: q.type, class: q.class }, dnssecOk, cd);
      return this.#answer(ctx, q, decision, entry, false);
    } catch (err) {
      // Every upstream failed or timed out: an expired answer beats SERVFAIL (RFC 8767). Not with
      // CD set, as the cached answer was validated and the client asked for unvalidated data.
      if (!cd && err instanceof RambuError && err.code === ERROR_CODES.UPSTREAM_FAILED) {
        const keyLength = writeQuestionKey(this.#key, ctx.name, q.type, q.class);
        const stale = this.#o.cache.getStale(this.#key, keyLength, dnssecOk, ctx.time);
        if (stale !== undefined) return this.#answer(ctx, q, decision, stale, true, true);
      }
      return this.#fail(ctx, err);
    }
  }

  /**
   * Check every name in the answer against the policy, then render with clamped TTLs; a `stale`
   * entry with every TTL at {@link STALE_TTL}, clamped the same way.
   */
  #answer(ctx: QueryContext, q: Question, decision: Decision, entry: AnswerEntry, cached: boolean, stale = false): Buffer {
    const policy = ctx.policy!;
    let cap = ttlCap(decision.until, ctx.time);
    let service = decision.service;
    for (const name of entry.names) {
      const d = policy.decide(ctx.client, name, ctx.time);
      if (d.action === 'block') return this.#block(ctx, q, d);
      const c = ttlCap(d.until, ctx.time);
      if (c < cap) cap = c;
      if (service === null) service = d.service;
    }
    const onAnswer = carriesAddresses(q.type, entry.rcode) ? this.#o.onAnswer : undefined;
    this.#o.stats.allowed++;
    const req: RenderRequest = {
      query: ctx.packet,
      queryQuestionEnd: ctx.msg.questionEnd,
      ednsSize: ctx.local.ednsSize,
      dnssecOk: ctx.local.dnssecOk,
      maxSize: ctx.local.maxSize,
      ourUdpSize: this.#o.maxUdpSize,
      now: ctx.time,
      ttlCap: cap,
      minTtl: -1,
    };
    if (stale) {
      this.#o.stats.staleAnswers++;
      const wire = renderStaleAnswer(entry, req, Math.min(STALE_TTL, cap));
      onAnswer?.(ctx.client, ctx.name, service, wire, ctx.time);
      this.#log(ctx, 'allow', decision, rcodeName(entry.rcode), STALE_UPSTREAM, cached);
      return wire;
    }
    const wire = renderAnswer(entry, req);
    onAnswer?.(ctx.client, ctx.name, service, wire, ctx.time);
    this.#log(ctx, 'allow', decision, rcodeName(entry.rcode), entry.upstream, cached);
    return wire;
  }

  #block(ctx: QueryContext, q: Question, decision: Decision): Buffer {
    this.#o.stats.blocked++;
    const { wire, rcode } = blockAnswer({ ...ctx.local, question: q }, this.#o.settings.blockResponse, this.#blockTtl);
    this.#log(ctx, 'block', decision, rcodeName(rcode), null, false);
    return wire;
  }

  #local(ctx: QueryContext, rcode: number, action: QueryAction): Buffer {
    this.#log(ctx, action, NO_DECISION, rcodeName(rcode), null, false);
    return localResponse(ctx.local, rcode);
  }

  #fail(ctx: QueryContext, err: unknown): Buffer | null {
    this.#o.stats.servfail++;
    const expected = err instanceof RambuError && err.code === ERROR_CODES.UPSTREAM_FAILED;
    if (expected) this.#o.logger.debug({ err: err.message, name: ctx.name }, 'answering SERVFAIL');
    else this.#o.logger.error({ err, name: ctx.name, client: ctx.client }, 'answering SERVFAIL after an unexpected error');
    try {
      this.#log(ctx, 'error', NO_DECISION, 'SERVFAIL', null, false);
      return localResponse(ctx.local, RCODE.SERVFAIL);
    } catch {
      return null;
    }
  }

  #log(subject: LogSubject, action: QueryAction, d: Decision, rcode: string, upstream: string | null, cached: boolean): void {
    const onQuery = this.#o.onQuery;
    if (onQuery === undefined) return;
    try {
      onQuery({
        time: subject.time,
        client: subject.client,
        name: subject.name,
        type: subject.type < 0 ? '' : typeName(subject.type),
        // A rule on trial that would have blocked: answered as allowed, logged apart from real blocks.
        action: action === 'allow' && d.monitor === true ? 'monitor' : action,
        service: d.service,
        rule: d.rule,
        exemption: d.exemption,
        rcode,
        latencyMs: performance.now() - subject.t0,
        upstream,
        cached,
      });
    } catch (err) {
      this.#o.logger.error({ err }, 'query log callback failed');
    }
  }
}
