/**
 * Templates and options templates of NetFlow v9 (RFC 3954 sections 5.2, 6.1) and IPFIX (RFC 7011
 * sections 3.4.1-3.4.2): parsing and the checks that keep a hostile template from turning a data set
 * into an endless loop or an out-of-bounds read.
 */
import { ERROR_CODES, RambuError } from '../errors.js';
import { ADDRESS_LENGTH, IE, NTP_TIMESTAMP, VARIABLE_LENGTH } from './information-elements.js';
import { need } from './wire.js';

export interface TemplateField {
  /** Element ID (enterprise bit cleared). */
  id: number;
  /** Bytes in each record; {@link VARIABLE_LENGTH} for a variable-length IPFIX field. */
  length: number;
  /** Private Enterprise Number; 0 for IANA elements, which are the only ones read. */
  enterprise: number;
}

export interface Template {
  id: number;
  /** An options template: its first `scopeCount` fields are scope fields. */
  options: boolean;
  scopeCount: number;
  fields: readonly TemplateField[];
  /** Smallest record: the fixed lengths plus one byte per variable-length field. */
  minLength: number;
  /** Whether any field is variable-length, so records differ in length. */
  variable: boolean;
}

/** The first ID of a data set / template; lower IDs name set kinds (RFC 3954 5.2, RFC 7011 3.4.1). */
export const MIN_TEMPLATE_ID = 256;

const NUMERIC_READ: ReadonlySet<number> = new Set([
  IE.octetDeltaCount, IE.packetDeltaCount, IE.protocolIdentifier, IE.sourceTransportPort, IE.destinationTransportPort,
  IE.flowEndSysUpTime, IE.flowStartSysUpTime, IE.postOctetDeltaCount, IE.postPacketDeltaCount, IE.samplingInterval,
  IE.samplerRandomInterval, IE.octetTotalCount, IE.packetTotalCount, IE.flowStartSeconds, IE.flowEndSeconds,
  IE.flowStartMilliseconds, IE.flowEndMilliseconds, IE.systemInitTimeMilliseconds, IE.samplingPacketInterval,
  IE.samplingPacketSpace, IE.samplingSize, IE.samplingPopulation,
]);

function bad(message: string): RambuError {
  return new RambuError(ERROR_CODES.FLOW_TEMPLATE, message);
}

/** Check and summarise one template's fields; throws FLOW_TEMPLATE for an unusable one. */
export function makeTemplate(id: number, fields: TemplateField[], scopeCount: number, options: boolean, ipfix: boolean): Template {
  if (id < MIN_TEMPLATE_ID) throw bad(`template ID ${id} is below ${MIN_TEMPLATE_ID}`);
  if (fields.length === 0) throw bad(`template ${id} has no fields`);
  let minLength = 0;
  let variable = false;
  for (const f of fields) {
    if (f.length === 0) throw bad(`template ${id}: field ${f.id} has length 0`);
    if (ipfix && f.length === VARIABLE_LENGTH) {
      variable = true;
      minLength += 1;
      continue;
    }
    minLength += f.length;
    if (f.enterprise !== 0) continue;
    const address = ADDRESS_LENGTH.get(f.id);
    if (address !== undefined && f.length !== address) throw bad(`template ${id}: address field ${f.id} has length ${f.length}, expected ${address}`);
    if (NTP_TIMESTAMP.has(f.id) && f.length !== 8) throw bad(`template ${id}: timestamp field ${f.id} has length ${f.length}, expected 8`);
    if (NUMERIC_READ.has(f.id) && f.length > 8) throw bad(`template ${id}: numeric field ${f.id} has length ${f.length}, more than 8`);
  }
  return { id, options, scopeCount, fields, minLength, variable };
}

/** NetFlow v9 template flowset (ID 0) body between `start` and `end`. */
export function parseV9Templates(buf: Buffer, start: number, end: number): Template[] {
  const out: Template[] = [];
  let off = start;
  while (end - off >= 4) {
    const id = buf.readUInt16BE(off);
    const count = buf.readUInt16BE(off + 2);
    off += 4;
    need(end, off, count * 4, `template ${id}`);
    const fields: TemplateField[] = [];
    for (let i = 0; i < count; i++, off += 4) fields.push({ id: buf.readUInt16BE(off), length: buf.readUInt16BE(off + 2), enterprise: 0 });
    out.push(makeTemplate(id, fields, 0, false, false));
  }
  return out;
}

/** NetFlow v9 options template flowset (ID 1) body; trailing padding ignored. */
export function parseV9OptionsTemplates(buf: Buffer, start: number, end: number): Template[] {
  const out: Template[] = [];
  let off = start;
  while (end - off >= 6) {
    const id = buf.readUInt16BE(off);
    if (id === 0) break; // padding
    const scopeBytes = buf.readUInt16BE(off + 2);
    const optionBytes = buf.readUInt16BE(off + 4);
    off += 6;
    if (scopeBytes % 4 !== 0 || optionBytes % 4 !== 0) throw new RambuError(ERROR_CODES.FLOW_LENGTH, `options template ${id}: scope length ${scopeBytes} or option length ${optionBytes} is not a multiple of 4`);
    need(end, off, scopeBytes + optionBytes, `options template ${id}`);
    const fields: TemplateField[] = [];
    for (const stop = off + scopeBytes + optionBytes; off < stop; off += 4) fields.push({ id: buf.readUInt16BE(off), length: buf.readUInt16BE(off + 2), enterprise: 0 });
    out.push(makeTemplate(id, fields, scopeBytes / 4, true, false));
  }
  return out;
}

export interface IpfixTemplateSet {
  templates: Template[];
  /** Template IDs withdrawn (field count 0); 2 or 3 withdraws every template or options template. */
  withdrawn: number[];
}

/** IPFIX template set (ID 2) or options template set (ID 3) body; trailing zero padding ignored. */
export function parseIpfixTemplates(buf: Buffer, start: number, end: number, options: boolean): IpfixTemplateSet {
  const result: IpfixTemplateSet = { templates: [], withdrawn: [] };
  let off = start;
  while (end - off >= 4) {
    const id = buf.readUInt16BE(off);
    if (id === 0) break; // padding
    const count = buf.readUInt16BE(off + 2);
    off += 4;
    if (count === 0) {
      result.withdrawn.push(id);
      continue;
    }
    let scopeCount = 0;
    if (options) {
      need(end, off, 2, `options template ${id}`);
      scopeCount = buf.readUInt16BE(off);
      off += 2;
      if (scopeCount === 0 || scopeCount > count) throw bad(`options template ${id}: scope field count ${scopeCount} of ${count} fields`);
    }
    const fields: TemplateField[] = [];
    for (let i = 0; i < count; i++) {
      need(end, off, 4, `template ${id} field ${i}`);
      const raw = buf.readUInt16BE(off);
      const length = buf.readUInt16BE(off + 2);
      off += 4;
      let enterprise = 0;
      if (raw & 0x8000) {
        need(end, off, 4, `template ${id} field ${i} enterprise number`);
        enterprise = buf.readUInt32BE(off);
        off += 4;
      }
      fields.push({ id: raw & 0x7fff, length, enterprise });
    }
    result.templates.push(makeTemplate(id, fields, scopeCount, options, true));
  }
  return result;
}
