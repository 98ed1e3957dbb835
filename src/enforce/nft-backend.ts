/**
 * The nftables back-end: the table text of nft-ruleset.ts applied with `nft -f -` (one atomic
 * transaction), tracked connections deleted with the `conntrack` tool. The commands run through an
 * injected runner, so the logic is tested without root; `rambu serve` passes one that spawns them.
 */
import { ERROR_CODES, RambuError } from '../errors.js';
import { conntrackDeleteArgs, nftRuleset, nftTeardown, type BlockPair } from './nft-ruleset.js';

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

export function createNftBackend(run: CommandRunner): EnforceBackend {
  const nft = async (text: string): Promise<void> => {
    const r = await run('nft', ['-f', '-'], text);
    if (r.code !== 0) throw commandFailed('nft', r.code, r.stderr);
  };
  return {
    name: 'nftables',
    hold: (pairs) => nft(nftRuleset({ pairs })),
    async cut(pairs) {
      let deleted = 0;
      for (const pair of pairs) {
        for (const args of conntrackDeleteArgs(pair)) {
          const r = await run('conntrack', args);
          // conntrack exits 1 when nothing matched: not a failure, nothing was there to cut.
          const m = /(\d+) flow entries have been deleted/.exec(r.stderr);
          if (m !== null) deleted += Number(m[1]);
          else if (r.code !== 0 && r.code !== 1) throw commandFailed('conntrack', r.code, r.stderr);
        }
      }
      return deleted;
    },
    clear: () => nft(nftTeardown()),
  };
}
