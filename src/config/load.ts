/**
 * Load a configuration: YAML (with line positions) -> schema -> policy compiler -> settings. Every
 * problem in every stage is reported together, each with file, line, column and key path; nothing is
 * half-loaded.
 */
import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { ConfigError, type ConfigIssue, formatIssue } from '../errors.js';
import { compilePolicy } from '../policy/compile.js';
import type { Policy, PolicyLists } from '../policy/index.js';
import { locateIssues } from './locate.js';
import { FILE_LIMITS, readNamedFileSync } from './named-file.js';
import { type NamedFileReader, resolveSettings } from './resolve-settings.js';
import { type Config, ConfigSchema } from './schema.js';
import type { Settings } from './settings.js';
import { validateSchema } from './validate.js';

export interface LoadOptions {
  /** Directory that relative paths (blocklists, storage) are resolved against; default: the file's. */
  baseDir?: string;
  /** Epoch ms for checks such as expired exemptions; default: now. */
  now?: number;
  /** The services and blocklists of this same text compiled before (see `CompileOptions.lists`). */
  lists?: PolicyLists;
  /**
   * The files the config names (blocklists, CA file), read before by absolute path
   * (`readConfigFiles`): compiling then reads nothing from disk. A path missing from the map is a
   * problem of the config, not a read.
   */
  files?: ReadonlyMap<string, Uint8Array | Error>;
}

/** A configuration that passed every check, compiled. */
export interface LoadedConfig {
  /** Absolute path of the file. */
  file: string;
  text: string;
  config: Config;
  policy: Policy;
  settings: Settings;
  /** Non-fatal findings (an exemption that has expired, skipped blocklist lines), located. */
  warnings: string[];
  blocklists: { name: string; path: string; added: number; skipped: number }[];
}

/** Read, validate and compile a config file; throws ConfigError listing every problem. */
export function loadConfigFile(path: string, options: LoadOptions = {}): LoadedConfig {
  const file = resolve(path);
  let text: string;
  try {
    text = readNamedFileSync(file, FILE_LIMITS.config).toString('utf8');
  } catch (err) {
    throw new ConfigError([{ path: [], file, message: `cannot read the file: ${(err as Error).message}` }]);
  }
  return parseConfigText(text, file, { baseDir: options.baseDir ?? dirname(file), ...(options.now === undefined ? {} : { now: options.now }) });
}

/** Issues in the order of the top-level keys in the file, then by path. */
function sortIssues(issues: ConfigIssue[], text: string): ConfigIssue[] {
  const order = (i: ConfigIssue): number => {
    const key = String(i.path[0] ?? '');
    const at = text.search(new RegExp(`^${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*:`, 'm'));
    return at < 0 ? Number.MAX_SAFE_INTEGER : at;
  };
  return issues.map((issue, n) => ({ issue, n, o: order(issue) })).sort((a, b) => a.o - b.o || a.n - b.n).map((x) => x.issue);
}

/** Validate and compile config text; `file` names it in errors. Throws ConfigError. */
export function parseConfigText(text: string, file: string, options: LoadOptions = {}): LoadedConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true, strict: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(doc.errors.map((e) => {
      const pos = e.linePos?.[0];
      const msg = (e.message.split('\n')[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, '');
      return pos === undefined ? { path: [], file, message: `invalid YAML: ${msg}` } : { path: [], file, line: pos.line, column: pos.col, message: `invalid YAML: ${msg}` };
    }));
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 1000 }) ?? {};
  } catch (err) {
    throw new ConfigError([{ path: [], file, message: `invalid YAML: ${(err as Error).message}` }]);
  }
  const locate = (issues: readonly ConfigIssue[]): ConfigIssue[] =>
    locateIssues(doc, lines, file, issues, { keyFor: (i) => i.message.startsWith('unknown key') });
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(locate([{ path: [], message: 'the file must be a mapping of keys such as timezone, schedules, groups, rules' }]));
  }
  const schemaIssues = validateSchema(ConfigSchema, value);
  // With schema errors, still check the sections that passed, so one run reports everything; names
  // defined in a broken section are not reported again as unknown.
  const broken = new Set(schemaIssues.map((i) => String(i.path[0] ?? '')));
  const config = (schemaIssues.length === 0 ? value : Object.fromEntries(Object.entries(value).filter(([k]) => !broken.has(k)))) as Config;
  if (schemaIssues.length > 0 && (broken.has('') || validateSchema(ConfigSchema, config).length > 0)) throw new ConfigError(locate(schemaIssues));
  const baseDir = options.baseDir ?? dirname(resolve(file));
  const files = options.files;
  const reader: NamedFileReader | undefined = files === undefined ? undefined : (path) => {
    const got = files.get(path);
    if (got === undefined) throw new Error('was not read with the configuration');
    if (got instanceof Error) throw got;
    return got;
  };
  const settingsIssues: ConfigIssue[] = [];
  const settings = resolveSettings(config, baseDir, settingsIssues, reader);
  let compiled: ReturnType<typeof compilePolicy> | null = null;
  const compileIssues: ConfigIssue[] = [];
  try {
    compiled = compilePolicy(config, { baseDir, now: options.now ?? Date.now(), unchecked: broken, ...(options.lists === undefined ? {} : { lists: options.lists }), ...(reader === undefined ? {} : { readFile: (p: string) => reader(p, FILE_LIMITS.blocklist) }) });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    compileIssues.push(...err.issues);
  }
  const all = [...schemaIssues, ...compileIssues, ...settingsIssues];
  if (all.length > 0 || compiled === null) throw new ConfigError(locate(sortIssues(all, text)));
  return {
    file, text, config, settings,
    policy: compiled.policy,
    warnings: locate(compiled.warnings).map(formatIssue),
    blocklists: compiled.blocklists.map((b) => ({ name: b.name, path: b.path, added: b.stats.added, skipped: b.stats.skipped })),
  };
}

/**
 * A configuration that passed every check in another thread (its {@link parseConfigText} of the same
 * text), compiled here over that compile's lists (`options.lists`) without parsing and validating the
 * text again: a reload's only compile on the thread that answers DNS. Warnings and blocklist counts
 * are the other compile's. Throws ConfigError should the two compiles disagree.
 */
export function compileChecked(checked: Omit<LoadedConfig, 'policy' | 'settings'>, options: LoadOptions & { lists: PolicyLists }): LoadedConfig {
  const { file, config } = checked;
  const baseDir = options.baseDir ?? dirname(file);
  const files = options.files ?? new Map<string, Uint8Array | Error>();
  const reader: NamedFileReader = (path) => {
    const got = files.get(path);
    if (got === undefined) throw new Error('was not read with the configuration');
    if (got instanceof Error) throw got;
    return got;
  };
  const issues: ConfigIssue[] = [];
  const settings = resolveSettings(config, baseDir, issues, reader);
  const compiled = compilePolicy(config, { baseDir, now: options.now ?? Date.now(), lists: options.lists });
  if (issues.length > 0) throw new ConfigError(issues.map((i) => ({ ...i, file })));
  return { ...checked, settings, policy: compiled.policy };
}
