/**
 * The collector's pure core: export packets in, per-minute aggregates out. Decoding, attribution and
 * summing in one call per packet, with the clock passed in, so that tests and the benchmark drive it
 * without a socket.
 */
import type { AnswerLookup } from '../answers/index.js';
import type { GroupInfo } from '../policy/index.js';
import { Attributor } from './attributor.js';
import { FlowDecoder, type FlowDecoderOptions } from './flow-decoder.js';
import { MinuteAggregates } from './minute-aggregates.js';

export interface FlowPipelineOptions {
  answers: AnswerLookup;
  groups: readonly GroupInfo[];
  localNetworks: readonly string[];
  decoder?: FlowDecoderOptions;
  /** Distinct aggregate rows held between drains. @default 100000 */
  maxKeys?: number;
}

/** How far a flow's own end time may lie from its arrival and still be believed. */
const CLOCK_TRUST_MS = 3_600_000;

export class FlowPipeline {
  readonly decoder: FlowDecoder;
  readonly attributor: Attributor;
  readonly aggregates: MinuteAggregates;

  constructor(options: FlowPipelineOptions) {
    this.decoder = new FlowDecoder(options.decoder);
    this.attributor = new Attributor({ answers: options.answers, groups: options.groups, localNetworks: options.localNetworks });
    this.aggregates = new MinuteAggregates(options.maxKeys);
  }

  /** Decode, attribute and sum one UDP payload from `exporter` received at `now`; returns records taken. */
  ingest(buf: Buffer, exporter: string, now: number): number {
    const records = this.decoder.decode(buf, exporter, now);
    for (const r of records) {
      // The flow's end, when the exporter's clock agrees with ours within an hour; else its arrival.
      const at = r.end <= now + 60_000 && r.end >= now - CLOCK_TRUST_MS ? r.end : now;
      this.aggregates.add(at, this.attributor.attribute(r, at), r.bytes, r.packets);
    }
    return records.length;
  }
}
