/**
 * The persisted form of the decoder's templates: plain JSON, checked again on load, since the file
 * on disk is input like any packet.
 */
import { RambuError } from '../errors.js';
import { makeTemplate, type Template, type TemplateField } from './template.js';

export interface TemplateSnapshot {
  exporter: string;
  /** 9 or 10. */
  version: number;
  /** v9 source ID or IPFIX observation domain ID. */
  domain: number;
  samplingRate: number;
  bootMs: number | null;
  templates: (Template & { seen: number })[];
}

/** Rebuild a template from its snapshot, or null when it does not check out. */
export function restoreTemplate(t: Template & { seen: number }, ipfix: boolean): Template | null {
  if (typeof t !== 'object' || t === null || !Array.isArray(t.fields)) return null;
  if (!t.fields.every((f) => typeof f === 'object' && f !== null)) return null;
  const fields: TemplateField[] = t.fields.map((f) => ({ id: Number(f.id), length: Number(f.length), enterprise: Number(f.enterprise) }));
  try {
    return makeTemplate(Number(t.id), fields, Number(t.scopeCount), t.options === true, ipfix);
  } catch (err) {
    if (err instanceof RambuError) return null;
    throw err;
  }
}

/** Parse snapshots from JSON text; anything unreadable gives an empty list. */
export function parseSnapshots(text: string): TemplateSnapshot[] {
  try {
    const list = JSON.parse(text) as unknown;
    if (!Array.isArray(list)) return [];
    return list.filter((s): s is TemplateSnapshot => typeof s === 'object' && s !== null
      && typeof (s as TemplateSnapshot).exporter === 'string' && ((s as TemplateSnapshot).version === 9 || (s as TemplateSnapshot).version === 10)
      && Number.isInteger((s as TemplateSnapshot).domain) && Array.isArray((s as TemplateSnapshot).templates)
      && typeof (s as TemplateSnapshot).samplingRate === 'number' && (s as TemplateSnapshot).samplingRate >= 1);
  } catch {
    return [];
  }
}
