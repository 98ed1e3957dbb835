/**
 * Polls `fn` every `stepMs` until it gives something other than null; throws after `ms`, with
 * `seen()` (what was waited for and the last thing seen) in the message when given.
 */
export async function until<T>(fn: () => Promise<T | null>, ms: number, stepMs = 50, seen?: () => string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== null) return v;
    if (Date.now() > end) throw new Error(`not within ${ms} ms${seen === undefined ? '' : `: ${seen()}`}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
