/** Polls `fn` every `stepMs` until it gives something other than null; throws after `ms`. */
export async function until<T>(fn: () => Promise<T | null>, ms: number, stepMs = 50): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== null) return v;
    if (Date.now() > end) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
