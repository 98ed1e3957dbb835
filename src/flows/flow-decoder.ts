/**
 * The stateful decoder: NetFlow v5, v9 and IPFIX messages from many exporters in, flow records out.
 * It keeps per exporter and per observation domain the templates (with expiry), the data sets held
 * for a template that has not come yet (bounded), the sampling rate and boot time from options data
 * and the sequence, and counts every problem per exporter. Nothing here throws on bad input: a bad
 * packet or set is counted and reported through `onError`.
 */
import { RambuError, ERROR_CODES } from '../errors.js';
import { type OptionValues, type RecordClock, decodeDataSet } from './data-record.js';
import { DomainState, type DomainLimits } from './domain-state.js';
import { type ExporterCounters, emptyCounters } from './exporter-counters.js';
import { absurdCounts, type FlowRecord } from './flow-record.js';
import { IE } from './information-elements.js';
import { decodeV5 } from './netflow-v5.js';
import { MIN_TEMPLATE_ID, parseIpfixTemplates, parseV9OptionsTemplates, parseV9Templates, type Template } from './template.js';
import { type TemplateSnapshot, restoreTemplate } from './template-snapshot.js';
import { need } from './wire.js';

export interface FlowDecoderOptions extends Partial<DomainLimits> {
  /** Exporters tracked at once; packets from more are dropped and counted. @default 256 */
  maxExporters?: number;
  /** Domains (v9 source IDs, IPFIX observation domains) per exporter. @default 16 */
  maxDomains?: number;
  /** Called for each rejected packet or set; the caller rate-limits its logging. */
  onError?: (exporter: string, err: RambuError) => void;
  /**
   * The sampling rate configured for an exporter (`flows.sampling`), asked once per exporter: used
   * while the exporter announces none above 1 (options data, the v5 header), which wins. @default 1
   */
  configuredSampling?: (exporter: string) => number;
}

interface ExporterState {
  counters: ExporterCounters;
  domains: Map<string, DomainState>;
  /** Rate from `flows.sampling`, 1 when none. */
  configuredRate: number;
}

const DEFAULT_LIMITS: DomainLimits = { templateTimeoutMs: 30 * 60_000, maxTemplates: 256, pendingBytes: 256 * 1024, pendingMaxAgeMs: 5 * 60_000 };
const SEQUENCE_SPAN = 0x1_0000_0000;

export class FlowDecoder {
  readonly #exporters = new Map<string, ExporterState>();
  readonly #limits: DomainLimits;
  readonly #maxExporters: number;
  readonly #maxDomains: number;
  readonly #onError: (exporter: string, err: RambuError) => void;
  readonly #configuredSampling: (exporter: string) => number;
  /** Packets dropped because `maxExporters` exporters were already tracked. */
  overflow = 0;

  constructor(options: FlowDecoderOptions = {}) {
    this.#limits = {
      templateTimeoutMs: options.templateTimeoutMs ?? DEFAULT_LIMITS.templateTimeoutMs,
      maxTemplates: options.maxTemplates ?? DEFAULT_LIMITS.maxTemplates,
      pendingBytes: options.pendingBytes ?? DEFAULT_LIMITS.pendingBytes,
      pendingMaxAgeMs: options.pendingMaxAgeMs ?? DEFAULT_LIMITS.pendingMaxAgeMs,
    };
    this.#maxExporters = options.maxExporters ?? 256;
    this.#maxDomains = options.maxDomains ?? 16;
    this.#onError = options.onError ?? (() => {});
    this.#configuredSampling = options.configuredSampling ?? (() => 1);
  }

  /** Counters of every exporter seen, by address. */
  counters(): ReadonlyMap<string, ExporterCounters> {
    return new Map([...this.#exporters].map(([k, v]) => [k, v.counters]));
  }

  /** Decode one UDP payload from `exporter` (its address) received at `now` (epoch ms). */
  decode(buf: Buffer, exporter: string, now: number): FlowRecord[] {
    const state = this.#exporter(exporter);
    if (state === null) { this.overflow++; return []; }
    state.counters.packets++;
    const out: FlowRecord[] = [];
    try {
      need(buf.length, 0, 2, 'flow export header');
      const version = buf.readUInt16BE(0);
      if (version === 5) this.#v5(buf, state, out);
      else if (version === 9) this.#v9(buf, exporter, state, now, out);
      else if (version === 10) this.#ipfix(buf, exporter, state, now, out);
      else throw new RambuError(ERROR_CODES.FLOW_VERSION, `unknown flow export version ${version}`);
    } catch (err) {
      if (!(err instanceof RambuError)) throw err;
      this.#fail(exporter, state, err);
    }
    state.counters.records += out.length;
    return out;
  }

  /** Drop expired templates and held data sets; call about once a minute. */
  sweep(now: number): void {
    for (const state of this.#exporters.values()) {
      for (const d of state.domains.values()) state.counters.noTemplate += d.sweep(now);
    }
  }

  /** Templates and options state, to persist so that a restart does not wait for the next template. */
  snapshot(): TemplateSnapshot[] {
    const out: TemplateSnapshot[] = [];
    for (const [exporter, state] of this.#exporters) {
      for (const [key, d] of state.domains) {
        const [version, domain] = key.split('/').map(Number) as [number, number];
        out.push({
          exporter, version, domain, samplingRate: d.samplingRate, bootMs: d.bootMs,
          templates: [...d.templates.values()].map((t) => ({ ...t.template, seen: t.seen })),
        });
      }
    }
    return out;
  }

  /** Load a {@link snapshot}; entries that do not check out are skipped. */
  restore(list: readonly TemplateSnapshot[]): void {
    for (const s of list) {
      const state = this.#exporter(s.exporter);
      const d = state === null ? null : this.#domain(state, s.version, s.domain);
      if (d === null) continue;
      d.samplingRate = s.samplingRate;
      d.bootMs = s.bootMs;
      for (const t of s.templates) {
        const template = restoreTemplate(t, s.version === 10);
        if (template !== null) d.learn(template, t.seen);
      }
    }
  }

  #exporter(address: string): ExporterState | null {
    let state = this.#exporters.get(address);
    if (state === undefined) {
      if (this.#exporters.size >= this.#maxExporters) return null;
      state = { counters: emptyCounters(), domains: new Map(), configuredRate: this.#configuredSampling(address) };
      this.#exporters.set(address, state);
    }
    return state;
  }

  #domain(state: ExporterState, version: number, domain: number): DomainState | null {
    const key = `${version}/${domain}`;
    let d = state.domains.get(key);
    if (d === undefined) {
      if (state.domains.size >= this.#maxDomains) return null;
      d = new DomainState(this.#limits);
      state.domains.set(key, d);
    }
    return d;
  }

  #fail(exporter: string, state: ExporterState, err: RambuError): void {
    state.counters.errors[err.code] = (state.counters.errors[err.code] ?? 0) + 1;
    this.#onError(exporter, err);
  }

  #sequence(state: ExporterState, d: { nextSequence: number | null }, sequence: number, advance: number | null): void {
    if (d.nextSequence !== null && sequence !== d.nextSequence) {
      const skipped = (sequence - d.nextSequence + SEQUENCE_SPAN) % SEQUENCE_SPAN;
      // Far "ahead" is really behind: a reordered or repeated packet, or an exporter restart.
      if (skipped < SEQUENCE_SPAN / 2) {
        state.counters.sequenceGaps++;
        state.counters.sequenceMissing += skipped;
      }
    }
    d.nextSequence = advance === null ? null : (sequence + advance) % SEQUENCE_SPAN;
  }

  #v5(buf: Buffer, state: ExporterState, out: FlowRecord[]): void {
    const { header, records } = decodeV5(buf);
    const key = `5/${header.engineType << 8 | header.engineId}`;
    let seq = state.domains.get(key);
    if (seq === undefined) seq = this.#domain(state, 5, header.engineType << 8 | header.engineId) ?? undefined;
    if (seq !== undefined) this.#sequence(state, seq, header.sequence, header.count);
    for (const r of records) this.#emit(state, r, header.samplingInterval, out);
  }

  #emit(state: ExporterState, r: FlowRecord, announced: number, out: FlowRecord[]): void {
    // A rate the exporter announces wins; a configured one stands in while it announces none.
    const rate = announced > 1 ? announced : state.configuredRate;
    if (rate !== 1) { r.bytes = Math.round(r.bytes * rate); r.packets = Math.round(r.packets * rate); }
    if (absurdCounts(r.bytes, r.packets)) { state.counters.absurd++; return; }
    out.push(r);
  }

  #v9(buf: Buffer, exporter: string, state: ExporterState, now: number, out: FlowRecord[]): void {
    need(buf.length, 0, 20, 'NetFlow v9 header');
    const clock: RecordClock = { exportMs: buf.readUInt32BE(8) * 1000, uptimeMs: buf.readUInt32BE(4), bootMs: null };
    const d = this.#domain(state, 9, buf.readUInt32BE(16));
    if (d === null) return;
    this.#sequence(state, d, buf.readUInt32BE(12), 1);
    this.#sets(buf, 20, buf.length, exporter, state, d, false, clock, now, out);
  }

  #ipfix(buf: Buffer, exporter: string, state: ExporterState, now: number, out: FlowRecord[]): void {
    need(buf.length, 0, 16, 'IPFIX message header');
    const length = buf.readUInt16BE(2);
    if (length < 16 || length > buf.length) throw new RambuError(ERROR_CODES.FLOW_LENGTH, `IPFIX message length ${length} but ${buf.length} bytes received`);
    const clock: RecordClock = { exportMs: buf.readUInt32BE(4) * 1000, uptimeMs: null, bootMs: null };
    const d = this.#domain(state, 10, buf.readUInt32BE(12));
    if (d === null) return;
    const sequence = buf.readUInt32BE(8);
    const dataRecords = this.#sets(buf, 16, length, exporter, state, d, true, clock, now, out);
    this.#sequence(state, d, sequence, dataRecords);
  }

  /** Walk the sets of a v9 or IPFIX message; returns data records seen, or null if some could not be counted. */
  #sets(buf: Buffer, start: number, end: number, exporter: string, state: ExporterState, d: DomainState,
    ipfix: boolean, clock: RecordClock, now: number, out: FlowRecord[]): number | null {
    let dataRecords: number | null = 0;
    let off = start;
    // NetFlow v9 packets may end in padding shorter than a flowset header.
    while (end - off >= 4) {
      const id = buf.readUInt16BE(off);
      const length = buf.readUInt16BE(off + 2);
      if (length < 4 || off + length > end) throw new RambuError(ERROR_CODES.FLOW_LENGTH, `set ${id} claims ${length} bytes at offset ${off}, ${end - off} left`);
      const body = off + 4;
      const stop = off + length;
      off = stop;
      try {
        if (id >= MIN_TEMPLATE_ID) {
          const n = this.#data(buf, body, stop, id, d, state, clock, now, out);
          dataRecords = n === null || dataRecords === null ? null : dataRecords + n;
        } else if (ipfix && (id === 2 || id === 3)) {
          const set = parseIpfixTemplates(buf, body, stop, id === 3);
          for (const w of set.withdrawn) d.withdraw(w, id === 3);
          this.#learn(set.templates, d, state, now, out);
        } else if (!ipfix && id === 0) {
          this.#learn(parseV9Templates(buf, body, stop), d, state, now, out);
        } else if (!ipfix && id === 1) {
          this.#learn(parseV9OptionsTemplates(buf, body, stop), d, state, now, out);
        }
        // Other IDs below 256 are reserved: skipped by their length.
      } catch (err) {
        if (!(err instanceof RambuError)) throw err;
        this.#fail(exporter, state, err);
      }
    }
    return dataRecords;
  }

  #learn(templates: Template[], d: DomainState, state: ExporterState, now: number, out: FlowRecord[]): void {
    for (const t of templates) {
      if (!d.learn(t, now)) { state.counters.templatesRefused++; continue; }
      for (const p of d.takePending(t.id)) {
        const clock = p.clock.bootMs === null ? { ...p.clock, bootMs: d.bootMs } : p.clock;
        const held: FlowRecord[] = [];
        decodeDataSet(p.body, 0, p.body.length, t, clock, held, (v) => this.#options(d, v));
        for (const r of held) this.#emit(state, r, d.samplingRate, out);
      }
    }
  }

  #data(buf: Buffer, start: number, end: number, id: number, d: DomainState, state: ExporterState,
    clock: RecordClock, now: number, out: FlowRecord[]): number | null {
    const template = d.template(id, now);
    if (template === null) {
      state.counters.buffered++;
      state.counters.noTemplate += d.buffer({ templateId: id, body: Buffer.from(buf.subarray(start, end)), clock, received: now });
      return null;
    }
    const records: FlowRecord[] = [];
    const n = decodeDataSet(buf, start, end, template, d.bootMs === null ? clock : { ...clock, bootMs: d.bootMs }, records, (v) => this.#options(d, v));
    for (const r of records) this.#emit(state, r, d.samplingRate, out);
    return n;
  }

  #options(d: DomainState, v: OptionValues): void {
    const boot = v.get(IE.systemInitTimeMilliseconds);
    if (boot !== undefined && boot > 0) d.bootMs = boot;
    const rate = samplingRate(v);
    if (rate !== null) d.samplingRate = rate;
  }
}

/** Packets per sampled packet from an options record, or null when it says nothing about sampling. */
export function samplingRate(v: OptionValues): number | null {
  const interval = v.get(IE.samplingInterval) ?? v.get(IE.samplerRandomInterval);
  if (interval !== undefined) return interval >= 1 ? interval : 1;
  const every = v.get(IE.samplingPacketInterval);
  if (every !== undefined && every > 0) return (every + (v.get(IE.samplingPacketSpace) ?? 0)) / every;
  const size = v.get(IE.samplingSize);
  const population = v.get(IE.samplingPopulation);
  if (size !== undefined && population !== undefined && size > 0) return population / size;
  return null;
}
