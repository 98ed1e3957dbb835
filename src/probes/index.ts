/**
 * Probes: timed requests of the office's critical services (DNS through rambu's own resolver, TCP
 * connect, TLS, first byte, total), on a schedule, stored for latency and availability reports.
 */
export type { ProbeResult } from './probe-result.js';
export { runProbe, type ProbeDeps } from './run-probe.js';
export { createProbeScheduler, type ProbeScheduler, type ProbeSchedulerOptions } from './probe-scheduler.js';
