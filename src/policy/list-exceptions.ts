/**
 * Exception lines of blocklists (`@@||cdn.example^`): each blocklist's exceptions are a list of
 * their own, named after it with `@@` appended (list names cannot contain `@`). A name that matches
 * a list's exceptions is not matched by that list, however specific its block entry: an exception
 * lifts only its own list's block, as the list's authors mean it.
 */

/** Suffix of the name of a blocklist's exception list. */
export const EXCEPTION_SUFFIX = '@@';

/** The exception list's name of blocklist `name`. */
export function exceptionListName(name: string): string {
  return `${name}${EXCEPTION_SUFFIX}`;
}

/** For each list id, the id of the list its exceptions lift, or -1; null when no list has exceptions. */
export function exceptionTargets(listNames: readonly string[]): Int32Array | null {
  const ids = new Map(listNames.map((n, i) => [n, i]));
  let any = false;
  const out = new Int32Array(listNames.length).fill(-1);
  listNames.forEach((n, i) => {
    if (!n.endsWith(EXCEPTION_SUFFIX)) return;
    const target = ids.get(n.slice(0, -EXCEPTION_SUFFIX.length));
    if (target !== undefined) { out[i] = target; any = true; }
  });
  return any ? out : null;
}

/**
 * Drop from `lists[0, n)` every exception list and every list one of them lifts; returns the new
 * count. Allocation-free: the hot path calls it when a policy has exceptions at all.
 */
export function liftExceptions(lists: Int32Array, n: number, targets: Int32Array): number {
  let lifted = false;
  for (let i = 0; i < n; i++) if (targets[lists[i]!]! >= 0) { lifted = true; break; }
  if (!lifted) return n;
  let out = 0;
  for (let i = 0; i < n; i++) {
    const l = lists[i]!;
    if (targets[l]! >= 0) continue;
    let isLifted = false;
    for (let j = 0; j < n; j++) if (targets[lists[j]!] === l) { isLifted = true; break; }
    if (!isLifted) lists[out++] = l;
  }
  return out;
}
