/**
 * Entry point of the flow collector's thread in `rambu serve` (`flows.listen` set): it binds the
 * flow socket and decodes, attributes and sums there, on a core of its own, so that a flood of
 * export packets does not slow DNS or the console and DNS work does not make the collector drop
 * datagrams. Attribution reads this thread's copy of the answer index (src/answers/, the same
 * class), fed with the answer batches the main thread records; the per-minute sums go to the main
 * thread, which owns the store, once a second.
 */
import { parentPort, workerData } from 'node:worker_threads';
import pino from 'pino';
import { AnswerIndex, forEachAnswer, type AnswerVisitor } from '../answers/index.js';
import { RambuError } from '../errors.js';
import { createFlowCollector, type FlowCollector, type FlowSink } from '../flows/index.js';
import type { GroupInfo } from '../policy/index.js';
import type { FlowThreadData, FromFlowThread, ToFlowThread } from './flow-thread-protocol.js';
import { testClock } from './test-clock.js';

const STATS_MS = 1_000;
const SWEEP_MS = 60_000;

function runThread(port: NonNullable<typeof parentPort>, data: FlowThreadData): void {
  const send = (message: FromFlowThread): void => port.postMessage(message);
  const logger = pino({ level: data.logLevel }, pino.destination(2)).child({ thread: 'flows' });
  const index = new AnswerIndex(data.answers);
  const record: AnswerVisitor = (client, name, service, bytes, start, end, time) => { index.recordResponse(client, name, service, bytes, start, end, time); };
  let groups: readonly GroupInfo[] = data.groups;
  let templates = data.templates;
  const sink: FlowSink = {
    add: async (traffic, remotes) => { send({ type: 'aggregates', traffic: [...traffic], remotes: [...remotes] }); },
    prune: async (before) => { send({ type: 'prune', before }); return 0; },
    loadTemplates: async () => { const t = templates; templates = null; return t; },
    saveTemplates: async (snapshot, now) => { send({ type: 'templates', snapshot, now }); },
  };
  const collector: FlowCollector = createFlowCollector({
    settings: data.settings, answers: index, groups: () => groups, localNetworks: data.localNetworks, store: sink, logger,
    // Flows are timed by the test clock when one is set (serve validated it), as the console is.
    now: testClock(process.env) ?? Date.now,
  });
  const timers = [
    setInterval(() => send({ type: 'stats', stats: collector.stats() }), STATS_MS),
    setInterval(() => index.sweep(Date.now()), SWEEP_MS),
  ];

  port.on('message', (message: ToFlowThread) => {
    switch (message.type) {
      case 'answers':
        forEachAnswer(message.batch, record);
        break;
      case 'entries': {
        const now = Date.now();
        if (message.replace === true) for (const e of message.list) index.add(e.client, e.address, e, now);
        else for (const e of message.list) index.addIfAbsent(e.client, e.address, e, now);
        break;
      }
      case 'groups':
        // At once (the collector would take them at its next drain).
        groups = message.groups;
        collector.pipeline.attributor.setGroups(groups);
        break;
      case 'drain':
        collector.drain().finally(() => send({ type: 'drained' }));
        break;
      case 'stop':
        for (const t of timers) clearInterval(t);
        collector.stop().catch((err: unknown) => logger.error({ err }, 'flow collector did not stop cleanly')).finally(() => {
          send({ type: 'stats', stats: collector.stats() });
          send({ type: 'stopped' });
          port.close();
        });
        break;
    }
  });

  collector.start().then((bound) => send({ type: 'listening', address: bound.address, family: bound.family, port: bound.port }), (err: unknown) => {
    for (const t of timers) clearInterval(t);
    send({ type: 'failed', message: (err as Error).message, code: err instanceof RambuError ? err.code : null });
  });
}

if (parentPort !== null) runThread(parentPort, workerData as FlowThreadData);
