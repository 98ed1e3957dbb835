/**
 * The nftables back-end: the table text of nft-ruleset.ts applied with `nft -f -` (one atomic
 * transaction), tracked connections deleted with the `conntrack` tool. The commands run through an
 * injected runner, so the logic is tested without root; `rambu serve` passes one that spawns them.
 */
import { ERROR_CODES, RambuError } from '../errors.js';
import type { DnsRedirectPlan } from './dns-redirect.js';
import { conntrackDeleteArgs, CUT_SECONDS, cutElementsText, nftRuleset, nftTeardown, type BlockPair } from './nft-ruleset.js';

/** Runs `command` with `args`, writing `stdin` to it; resolves with its exit code and output. */
export type CommandRunner = (command: string, args: readonly string[], stdin?: string) => Promise<{ code: number; stdout: string; stderr: string }>;

/** What a firewall back-end does for enforcement. */
export interface EnforceBackend {
  readonly name: string;
  /** Replace the standing rejects with exactly `pairs`. */
  hold(pairs: readonly BlockPair[]): Promise<void>;
  /** Delete the tracked connections of `pairs` (the cut at a boundary); resolves with how many went. */
  cut(pairs: readonly BlockPair[]): Promise<number>;
  /** Remove everything rambu installed (a clean stop). */
  clear(): Promise<void>;
}

/** A command the back-end ran failed: RambuError ENFORCE_FAILED naming it, its exit status and
 *  the first line of what it printed. */
function commandFailed(command: string, status: number, stderr: string): RambuError {
  return new RambuError(ERROR_CODES.ENFORCE_FAILED, `${command} failed with exit code ${status}: ${stderr.trim().split('\n')[0] ?? ''}`);
}

export interface NftBackendOptions {
  /** The DNS redirect in force (`enforce.dnsRedirect`), read at every hold; absent or undefined: none. */
  redirect?: () => DnsRedirectPlan | undefined;
  /** @default Date.now */
  now?: () => number;
  /** conntrack commands run at once during a cut. @default 8 */
  parallel?: number;
}

export function createNftBackend(run: CommandRunner, options: NftBackendOptions = {}): EnforceBackend {
  const now = options.now ?? Date.now;
  const parallel = Math.max(1, options.parallel ?? 8);
  // Pairs cut lately, with when their place in the cut sets ends: a hold rebuilds the table, and
  // must not forget them.
  const cuts = new Map<string, { pair: BlockPair; ends: number }>();
  const nft = async (text: string): Promise<void> => {
    const r = await run('nft', ['-f', '-'], text);
    if (r.code !== 0) throw commandFailed('nft', r.code, r.stderr);
  };
  const recentCuts = (): { pair: BlockPair; seconds: number }[] => {
    const t = now();
    const out: { pair: BlockPair; seconds: number }[] = [];
    for (const [k, c] of cuts) {
      if (c.ends <= t + 1000) cuts.delete(k);
      else out.push({ pair: c.pair, seconds: (c.ends - t) / 1000 });
    }
    return out;
  };
  return {
    name: 'nftables',
    hold: (pairs) => {
      const redirect = options.redirect?.();
      return nft(nftRuleset({ pairs, cuts: recentCuts(), ...(redirect === undefined ? {} : { redirect }) }));
    },
    async cut(pairs) {
      if (pairs.length === 0) return 0;
      const text = cutElementsText(pairs);
      if (text !== '') {
        await nft(text);
        const ends = now() + CUT_SECONDS * 1000;
        for (const pair of pairs) cuts.set(`${pair.client} ${pair.address}`, { pair, ends });
      }
      const jobs = pairs.flatMap((pair) => conntrackDeleteArgs(pair));
      let deleted = 0;
      let failure: RambuError | null = null;
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < jobs.length) {
          const args = jobs[next++]!;
          const r = await run('conntrack', args);
          // conntrack exits 1 when nothing matched: not a failure, nothing was there to cut.
          const m = /(\d+) flow entries have been deleted/.exec(r.stderr);
          if (m !== null) deleted += Number(m[1]);
          else if (r.code !== 0 && r.code !== 1) failure ??= commandFailed('conntrack', r.code, r.stderr);
        }
      };
      await Promise.all(Array.from({ length: Math.min(parallel, jobs.length) }, worker));
      if (failure !== null) throw failure;
      return deleted;
    },
    clear: () => {
      cuts.clear();
      return nft(nftTeardown());
    },
  };
}
