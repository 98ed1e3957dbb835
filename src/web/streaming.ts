import { BUILTIN_SERVICES } from '../policy/index.js';

/** Names of the built-in streaming services: a rule blocking any of them means "streaming is blocked". */
export const STREAMING_SERVICES: ReadonlySet<string> = new Set(
  BUILTIN_SERVICES.filter((s) => s.category === 'streaming').map((s) => s.name),
);
