/**
 * What the collector remembers about one exporter's observation domain (IPFIX) or source ID
 * (NetFlow v9): its templates with their last refresh, data sets waiting for a template, the
 * sampling rate and boot time from options data, and the expected next sequence number.
 */
import type { RecordClock } from './data-record.js';
import type { Template } from './template.js';

/** A data set that arrived before its template, copied out of the packet. */
export interface PendingSet {
  templateId: number;
  body: Buffer;
  clock: RecordClock;
  received: number;
}

export interface DomainLimits {
  /** A template not refreshed for this long is forgotten. */
  templateTimeoutMs: number;
  /** Templates kept per domain; a new one past this is refused. */
  maxTemplates: number;
  /** Bytes of data sets buffered while their template is missing. */
  pendingBytes: number;
  /** A buffered data set older than this is dropped. */
  pendingMaxAgeMs: number;
}

export class DomainState {
  readonly templates = new Map<number, { template: Template; seen: number }>();
  pending: PendingSet[] = [];
  pendingBytes = 0;
  /** Packets counted per sampled one (options data: IE 34, 50, 305/306, 309/310). */
  samplingRate = 1;
  bootMs: number | null = null;
  nextSequence: number | null = null;

  constructor(readonly limits: DomainLimits) {}

  /** The live template `id`, or null (an expired one is dropped here). */
  template(id: number, now: number): Template | null {
    const t = this.templates.get(id);
    if (t === undefined) return null;
    if (now - t.seen > this.limits.templateTimeoutMs) {
      this.templates.delete(id);
      return null;
    }
    return t.template;
  }

  /** Learn or refresh a template; false when the domain is full. */
  learn(template: Template, now: number): boolean {
    if (!this.templates.has(template.id) && this.templates.size >= this.limits.maxTemplates) return false;
    this.templates.set(template.id, { template, seen: now });
    return true;
  }

  withdraw(id: number, options: boolean): void {
    // IPFIX: ID 2 withdraws every template, ID 3 every options template (RFC 7011 8.1).
    if (id === 2 || id === 3) {
      for (const [k, v] of this.templates) if (v.template.options === options) this.templates.delete(k);
    } else {
      this.templates.delete(id);
    }
  }

  /** Buffer a data set; returns how many buffered sets were dropped to make room. */
  buffer(set: PendingSet): number {
    let dropped = 0;
    if (set.body.length > this.limits.pendingBytes) return 1;
    this.pending.push(set);
    this.pendingBytes += set.body.length;
    while (this.pendingBytes > this.limits.pendingBytes) {
      const old = this.pending.shift()!;
      this.pendingBytes -= old.body.length;
      dropped++;
    }
    return dropped;
  }

  /** Remove and return the buffered sets of template `id`. */
  takePending(id: number): PendingSet[] {
    if (this.pending.length === 0) return [];
    const mine = this.pending.filter((p) => p.templateId === id);
    if (mine.length === 0) return [];
    this.pending = this.pending.filter((p) => p.templateId !== id);
    for (const p of mine) this.pendingBytes -= p.body.length;
    return mine;
  }

  /** Drop expired templates and buffered sets; returns how many sets were dropped. */
  sweep(now: number): number {
    for (const [id, t] of this.templates) if (now - t.seen > this.limits.templateTimeoutMs) this.templates.delete(id);
    const keep = this.pending.filter((p) => now - p.received <= this.limits.pendingMaxAgeMs);
    const dropped = this.pending.length - keep.length;
    if (dropped > 0) {
      this.pending = keep;
      this.pendingBytes = keep.reduce((n, p) => n + p.body.length, 0);
    }
    return dropped;
  }
}
