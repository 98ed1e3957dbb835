/**
 * The flow collector inside `rambu serve`: started when `flows.listen` is set, in a thread of its
 * own (flow-thread.ts) that follows the answer index through the keeper's batches, its counters on
 * /metrics, stopped before the store closes.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { AnswerIndex, AnswerKeeper } from '../answers/index.js';
import type { Settings } from '../config/index.js';
import { registerFlowMetrics } from '../flows/index.js';
import type { GroupInfo } from '../policy/index.js';
import type { FlowStore } from '../store/index.js';
import { type CliIo, write } from './cli-io.js';
import { createFlowThread, type FlowThread } from './flow-thread.js';

export interface FlowServiceOptions {
  settings: Settings;
  answers: AnswerIndex;
  keeper: AnswerKeeper;
  groups: () => readonly GroupInfo[];
  /** Where the sums go: the local tables, and the shared ones on the shared store. */
  store: { flows: FlowStore };
  registry: Registry;
  logger: Logger;
}

/**
 * Start the collector when the config asks for one. Resolves to it, null when there is none
 * configured; rejects (RAMBU_LISTEN_FAILED) when its address cannot be bound.
 */
export async function startFlowService(options: FlowServiceOptions, io: CliIo): Promise<FlowThread | null> {
  const { flows } = options.settings;
  if (flows.listen === null) return null;
  const collector = createFlowThread({
    settings: { ...flows, listen: flows.listen }, answers: options.answers, keeper: options.keeper, groups: options.groups,
    localNetworks: options.settings.dns.allowFrom, store: options.store.flows, logLevel: options.settings.log.level, logger: options.logger,
  });
  const bound = await collector.start();
  registerFlowMetrics(() => collector.stats(), options.registry);
  const host = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  write(io.stdout, `rambu: flows: listening on ${host}:${bound.port} (udp: NetFlow v5, v9, IPFIX; its own thread)`);
  return collector;
}
