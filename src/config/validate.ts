/**
 * Schema validation with messages a person can act on: unknown keys with a suggestion, allowed
 * values listed, the offending value quoted. One issue per key path, all of them at once.
 */
import type { TSchema } from '@sinclair/typebox';
import { Value, ValueErrorType, type ValueError } from '@sinclair/typebox/value';
import type { ConfigIssue } from '../errors.js';

function parsePointer(pointer: string, root: unknown): (string | number)[] {
  if (pointer === '') return [];
  const out: (string | number)[] = [];
  let node: unknown = root;
  for (const raw of pointer.slice(1).split('/')) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const key: string | number = Array.isArray(node) && /^\d+$/.test(part) ? Number(part) : part;
    out.push(key);
    node = node !== null && typeof node === 'object' ? (node as Record<string | number, unknown>)[key] : undefined;
  }
  return out;
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function describeType(schema: TSchema): string {
  const s = schema as { type?: string; anyOf?: TSchema[]; const?: unknown };
  if (s.anyOf !== undefined) return s.anyOf.map(describeType).join(' or ');
  if (s.const !== undefined) return JSON.stringify(s.const);
  switch (s.type) {
    case 'string': return 'a string';
    case 'integer': return 'a whole number';
    case 'number': return 'a number';
    case 'boolean': return 'true or false';
    case 'array': return 'a list';
    case 'object': return 'a mapping';
    default: return 'a valid value';
  }
}

function message(e: ValueError): string {
  const s = e.schema as { anyOf?: { const?: unknown }[]; properties?: Record<string, unknown>; minItems?: number; minimum?: number; maximum?: number; minLength?: number };
  switch (e.type) {
    case ValueErrorType.ObjectAdditionalProperties:
    case ValueErrorType.ObjectRequiredProperty:
      return e.message;
    case ValueErrorType.Union:
      if (s.anyOf?.every((v) => v.const !== undefined)) return `invalid value ${show(e.value)}: expected one of ${s.anyOf.map((v) => String(v.const)).join(', ')}`;
      return `invalid value ${show(e.value)}: expected ${describeType(e.schema)}`;
    case ValueErrorType.ArrayMinItems:
      return s.minItems === 1 ? 'must not be empty' : `needs at least ${s.minItems} items`;
    case ValueErrorType.NumberMinimum:
    case ValueErrorType.IntegerMinimum:
      return `${show(e.value)} is below the minimum ${s.minimum}`;
    case ValueErrorType.NumberMaximum:
    case ValueErrorType.IntegerMaximum:
      return `${show(e.value)} is above the maximum ${s.maximum}`;
    case ValueErrorType.StringMinLength:
      return 'must not be empty';
    default:
      return `invalid value ${show(e.value)}: expected ${describeType(e.schema)}`;
  }
}

/** Validate `value` against `schema`; returns issues (paths without file positions). */
export function validateSchema(schema: TSchema, value: unknown): ConfigIssue[] {
  const byPath = new Map<string, ConfigIssue>();
  for (const e of Value.Errors(schema, value)) {
    let path = parsePointer(e.path, value);
    let text: string;
    if (e.type === ValueErrorType.ObjectAdditionalProperties) {
      const key = String(path[path.length - 1]);
      const known = Object.keys((e.schema as { properties?: Record<string, unknown> }).properties ?? {});
      const close = known.find((k) => k.startsWith(key.slice(0, 4)) || key.startsWith(k.slice(0, 4)));
      text = `unknown key "${key}"${close !== undefined ? `: did you mean "${close}"?` : known.length > 0 ? `: expected one of ${known.join(', ')}` : ''}`;
    } else if (e.type === ValueErrorType.ObjectRequiredProperty) {
      const key = String(path[path.length - 1]);
      text = `missing required key "${key}"`;
    } else if (e.type === ValueErrorType.Union) {
      // A value of the shape one member expects (a schedule's list of ranges, not its mapping form)
      // gets that member's own complaints, which name the key that is wrong.
      const member = memberFor(e.schema, e.value);
      if (member !== null) {
        const prefix = path;
        for (const inner of validateSchema(member, e.value)) {
          const full = { path: [...prefix, ...inner.path], message: inner.message };
          const innerId = JSON.stringify(full.path);
          if (!byPath.has(innerId)) byPath.set(innerId, full);
        }
        byPath.set(JSON.stringify(path), { path: [], message: '' });
        continue;
      }
      text = message(e);
    } else {
      text = message(e);
    }
    const id = JSON.stringify(path);
    if (byPath.has(id)) continue;
    // A union's inner complaints about a value already reported are noise.
    if (e.type !== ValueErrorType.ObjectAdditionalProperties && [...byPath.keys()].some((k) => id.startsWith(`${k.slice(0, -1)},`))) continue;
    path = [...path];
    byPath.set(id, { path, message: text });
  }
  return [...byPath.values()].filter((i) => i.message !== '');
}

/** The one member of a union whose type (list, mapping) the value has, or null. */
function memberFor(schema: TSchema, value: unknown): TSchema | null {
  const members = (schema as { anyOf?: TSchema[] }).anyOf;
  if (members === undefined) return null;
  const kind = Array.isArray(value) ? 'array' : value !== null && typeof value === 'object' ? 'object' : null;
  if (kind === null) return null;
  const matching = members.filter((m) => (m as { type?: string }).type === kind);
  return matching.length === 1 ? matching[0]! : null;
}
