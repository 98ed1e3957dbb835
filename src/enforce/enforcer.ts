/**
 * The enforcer: keeps the firewall in step with the policy. It computes the plan
 * (schedule-plan.ts) from the answer index, holds its standing rejects through the back-end, cuts
 * the tracked connections of every pair that turned from allowed to blocked, and arms a timer at
 * the plan's next boundary, so the cut lands within moments of 07:00 rather than at the next poll.
 * It also re-plans when exemptions or the policy change (a revoked exemption cuts that client's
 * stream), when new answers arrive for a client that is blocked (they join the hold), and every
 * five minutes (answers expire). Evaluations never overlap; one asked for meanwhile runs right after.
 *
 * Failure is loud but not fatal: a back-end error is logged and kept for the status, and the next
 * evaluation tries again; DNS never waits on any of it.
 */
import type { Logger } from 'pino';
import type { AnswerIndex } from '../answers/index.js';
import type { Policy } from '../policy/index.js';
import type { EnforceBackend } from './nft-backend.js';
import type { NeverTouch } from './never-touch.js';
import type { BlockPair } from './nft-ruleset.js';
import { newlyBlocked, planEnforcement, type DedicatedNames, type EnforcePlan } from './schedule-plan.js';

/** What /api/status, the console and /metrics show of enforcement. */
export interface EnforcerStatus {
  backend: string;
  /** The back-end holds what the plan says (the last evaluation succeeded). */
  running: boolean;
  /** Live addresses held (standing rejects) per blocked service. */
  addresses: Record<string, number>;
  /** Addresses of blocked services that get only the cut (shared with allowed names). */
  sharedAddresses: number;
  /** Epoch ms of the last allow->block transition that cut something, or null. */
  lastBoundary: number | null;
  /** Milliseconds from that boundary to the end of its cut. */
  lastCutMs: number | null;
  /** Tracked connections deleted since start. */
  connectionsCut: number;
  /** Epoch ms of the next boundary the enforcer is waiting for, or null. */
  nextBoundary: number | null;
  /** The last failure, null once an evaluation succeeds again. */
  lastError: string | null;
  /** Evaluations run and failed since start. */
  evaluations: number;
  failures: number;
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface EnforcerOptions {
  backend: EnforceBackend;
  index: AnswerIndex;
  /** The policy in force, console exemptions included. */
  policy: () => Policy;
  spare: NeverTouch;
  dedicated: DedicatedNames;
  logger: Logger;
  /** @default Date.now */
  now?: () => number;
  /** @default the global timers */
  timers?: Timers;
  /** Longest wait between evaluations (answers expire; nothing else changes between boundaries). @default 300000 */
  refreshMs?: number;
  /** Wait after new answers for a blocked client before they join the hold. @default 250 */
  answerDelayMs?: number;
  /** Called with each plan before it is held (the shell adds the DNS redirect); returns another
   *  instant to wake at, or null. */
  onPlan?: (plan: EnforcePlan, policy: Policy) => number | null;
}

export interface Enforcer {
  /** Rebuild the back-end's state from the index and arm the first timer. */
  start(): Promise<void>;
  /** Re-plan now (exemptions changed, policy reloaded). Resolves when that evaluation is done. */
  evaluate(why: string): Promise<void>;
  /** An answer for `client` was recorded: re-plan soon if that client has anything blocked. */
  noteAnswer(client: string, service: string | null): void;
  status(): EnforcerStatus;
  /** Stop the timers and remove everything from the firewall. */
  stop(): Promise<void>;
}

/** A timer fires this long after the boundary instant: the decision at `until` itself is the new one. */
const AFTER_BOUNDARY_MS = 5;
/** Reasons to evaluate that are transitions of the policy itself (shown as the last boundary). */
const TRANSITIONS: ReadonlySet<string> = new Set(['boundary', 'start', 'exemptions', 'reload']);
/** A second look this long after a boundary, for answers still on their way to the index. */
const SETTLE_MS = 1_000;
/** Shortest time between two evaluations for new answers of blocked clients. */
const ANSWERS_GAP_MS = 2_000;
/** First retry after a failed evaluation. */
const RETRY_MS = 10_000;
/** How long a stop waits for the back-end to remove its state: a router that does not answer must not
 *  hold the shutdown (RouterOS entries then lapse by their own timeout). */
const STOP_CLEAR_MS = 10_000;
/** Node's longest timeout. */
const MAX_DELAY_MS = 2_147_483_647;

export function createEnforcer(options: EnforcerOptions): Enforcer {
  const { backend, index, spare, dedicated } = options;
  const now = options.now ?? Date.now;
  const timers: Timers = options.timers ?? { setTimeout: (fn, ms) => { const t = setTimeout(fn, ms); t.unref(); return t; }, clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) };
  const refreshMs = options.refreshMs ?? 300_000;
  const answerDelayMs = options.answerDelayMs ?? 250;
  const log = options.logger.child({ subsystem: 'enforce', backend: backend.name });

  let blocked: BlockPair[] = [];
  let blockedStates = new Set<string>();
  const status: EnforcerStatus = {
    backend: backend.name, running: false, addresses: {}, sharedAddresses: 0, lastBoundary: null, lastCutMs: null,
    connectionsCut: 0, nextBoundary: null, lastError: null, evaluations: 0, failures: 0,
  };
  let timer: unknown = null;
  let answerTimer: unknown = null;
  let stopped = false;
  let running: Promise<void> | null = null;
  let again: string | null = null;
  let lastNext: number | null = null;
  let decidedServices: Policy['services'] | null = null;
  let failedInRow = 0;
  let lastAnswersRun = -Infinity;

  const arm = (at: number | null): void => {
    if (timer !== null) timers.clearTimeout(timer);
    const t = now();
    // After a failure, try again soon (10 s, doubling up to the refresh interval).
    const limit = failedInRow === 0 ? refreshMs : Math.min(refreshMs, RETRY_MS * 2 ** Math.min(failedInRow - 1, 16));
    const delay = at === null ? limit : Math.min(limit, Math.max(0, at - t + AFTER_BOUNDARY_MS));
    timer = timers.setTimeout(() => { timer = null; void evaluate(at !== null && at === lastNext && at <= now() ? 'boundary' : 'refresh'); }, Math.min(delay, MAX_DELAY_MS));
  };

  const once = async (why: string): Promise<void> => {
    const t = now();
    status.evaluations++;
    try {
      const policy = options.policy();
      // After a reload (new compiled services) every answer is decided again: a service may have
      // gained a name that matched nothing when it was answered.
      const allNames = policy.services !== decidedServices;
      const plan = planEnforcement({ policy, index, now: t, spare, dedicated, allNames });
      const extra = options.onPlan?.(plan, policy) ?? null;
      const next = plan.next === null ? extra : extra === null ? plan.next : Math.min(plan.next, extra);
      lastNext = next;
      status.nextBoundary = next;
      const cut = newlyBlocked(blocked, plan.blocked);
      // Hold first, cut second: a packet that arrives between the two is already rejected, and
      // does not bring the tracking entry back.
      await backend.hold(plan.hold);
      let deleted = 0;
      if (cut.length > 0) deleted = await backend.cut(cut);
      blocked = plan.blocked;
      decidedServices = policy.services;
      blockedStates = new Set(plan.states.filter((st) => st.blocked).map((st) => `${st.client} ${st.service}`));
      status.running = true;
      status.lastError = null;
      failedInRow = 0;
      status.connectionsCut += deleted;
      const addresses: Record<string, number> = {};
      for (const p of plan.hold) addresses[p.service ?? ''] = (addresses[p.service ?? ''] ?? 0) + 1;
      status.addresses = addresses;
      status.sharedAddresses = plan.blocked.length - plan.hold.length;
      if (cut.length > 0) {
        // A transition of the policy is a boundary; answers that joined a block already in force are not.
        if (TRANSITIONS.has(why)) {
          const boundary = why === 'boundary' && lastNextBefore !== null ? lastNextBefore : t;
          status.lastBoundary = boundary;
          status.lastCutMs = now() - boundary;
        }
        log.info({ why, pairs: cut.length, held: plan.hold.length, deleted, ms: now() - t }, 'enforcement: connections cut');
      } else {
        log.debug({ why, held: plan.hold.length, blocked: plan.blocked.length }, 'enforcement: plan held');
      }
    } catch (err) {
      status.failures++;
      failedInRow++;
      status.running = false;
      status.lastError = (err as Error).message;
      log.error({ err, why }, 'enforcement failed: DNS keeps answering; the next evaluation tries again');
    }
  };

  // The boundary a 'boundary' evaluation was armed for, to measure the cut from that instant.
  let lastNextBefore: number | null = null;
  const evaluate = (why: string): Promise<void> => {
    if (stopped) return Promise.resolve();
    if (running !== null) {
      again = again ?? why;
      return running;
    }
    lastNextBefore = lastNext;
    running = (async () => {
      try {
        await once(why);
        while (again !== null && !stopped) {
          const w = again;
          again = null;
          lastNextBefore = lastNext;
          await once(w);
        }
      } finally {
        running = null;
        // Answers given just before a boundary reach the index a moment after it: look once more.
        if (!stopped) arm(why === 'boundary' ? Math.min(lastNext ?? Infinity, now() + SETTLE_MS) : lastNext);
      }
    })();
    return running;
  };

  return {
    start: () => evaluate('start'),
    evaluate,
    noteAnswer(client, service) {
      if (service === null || stopped || answerTimer !== null || blockedStates.size === 0 || !blockedStates.has(`${client} ${service}`)) return;
      // At most one such evaluation every ANSWERS_GAP_MS: a whole plan is not cheap on a large index.
      const wait = Math.max(answerDelayMs, lastAnswersRun + ANSWERS_GAP_MS - now());
      answerTimer = timers.setTimeout(() => { answerTimer = null; lastAnswersRun = now(); void evaluate('answers'); }, wait);
    },
    status: () => ({ ...status, addresses: { ...status.addresses } }),
    async stop() {
      stopped = true;
      if (timer !== null) timers.clearTimeout(timer);
      if (answerTimer !== null) timers.clearTimeout(answerTimer);
      timer = null;
      answerTimer = null;
      await running?.catch(() => undefined);
      let deadline: unknown = null;
      try {
        await Promise.race([
          backend.clear(),
          new Promise<never>((_resolve, reject) => {
            deadline = timers.setTimeout(() => reject(new Error(`${backend.name} did not finish removing rambu's state within ${STOP_CLEAR_MS} ms`)), STOP_CLEAR_MS);
          }),
        ]);
      } catch (err) {
        log.error({ err }, 'cannot remove the firewall state on stop');
      } finally {
        if (deadline !== null) timers.clearTimeout(deadline);
      }
      status.running = false;
    },
  };
}
