/**
 * The loader `rambu serve` uses at start, on a console save and on a reload: the files the config
 * names are read first, asynchronously and bounded (`named-file.ts`), then the text is compiled over
 * those bytes without touching the disk again. Reading never blocks the event loop, so DNS and the
 * console answer while a large blocklist loads, and a FIFO or a device is refused, not read.
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse } from 'yaml';
import { ConfigError } from '../errors.js';
import { type LoadedConfig, type LoadOptions, parseConfigText } from './load.js';
import { FILE_LIMITS, readNamedFile } from './named-file.js';
import { caFilePath } from './resolve-settings.js';

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Absolute paths of the files `text` names, each with its size bound; malformed text names none. */
export function namedFiles(text: string, baseDir: string): Map<string, number> {
  const out = new Map<string, number>();
  let value: unknown;
  try {
    value = parse(text, { maxAliasCount: 1000 });
  } catch {
    return out; // parseConfigText reports the YAML problem with its line
  }
  if (!isRecord(value)) return out;
  if (isRecord(value.blocklists)) {
    for (const spec of Object.values(value.blocklists)) {
      const rel = typeof spec === 'string' ? spec : isRecord(spec) && typeof spec.path === 'string' ? spec.path : null;
      if (rel !== null && rel !== '') out.set(isAbsolute(rel) ? rel : resolve(baseDir, rel), FILE_LIMITS.blocklist);
    }
  }
  const ca = isRecord(value.dns) ? value.dns.upstreamCaFile : undefined;
  if (typeof ca === 'string' && ca !== '') out.set(caFilePath(ca, baseDir), FILE_LIMITS.caFile);
  return out;
}

/** Read every file `text` names; a file that cannot be read maps to the error that says why. */
export async function readConfigFiles(text: string, baseDir: string): Promise<Map<string, Uint8Array | Error>> {
  const files = new Map<string, Uint8Array | Error>();
  for (const [path, limit] of namedFiles(text, baseDir)) {
    try {
      files.set(path, await readNamedFile(path, limit));
    } catch (err) {
      files.set(path, err as Error);
    }
  }
  return files;
}

/** {@link parseConfigText} with the named files read asynchronously first. Throws ConfigError. */
export async function parseConfigTextAsync(text: string, file: string, options: Omit<LoadOptions, 'files'> = {}): Promise<LoadedConfig> {
  const baseDir = options.baseDir ?? dirname(resolve(file));
  const files = await readConfigFiles(text, baseDir);
  return parseConfigText(text, file, { ...options, baseDir, files });
}

/** {@link loadConfigFile} with every read asynchronous and bounded. Throws ConfigError. */
export async function loadConfigFileAsync(path: string, options: Omit<LoadOptions, 'files'> = {}): Promise<LoadedConfig> {
  const file = resolve(path);
  let text: string;
  try {
    text = (await readNamedFile(file, FILE_LIMITS.config)).toString('utf8');
  } catch (err) {
    throw new ConfigError([{ path: [], file, message: `cannot read the file: ${(err as Error).message}` }]);
  }
  return parseConfigTextAsync(text, file, { ...options, baseDir: options.baseDir ?? dirname(file) });
}
