/** One timed request of a critical service: the store's row type, so that the two cannot drift. */
export type { ProbeRow as ProbeResult } from '../store/index.js';
