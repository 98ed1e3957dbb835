/**
 * The console's policy editor over the config file: what a save must pass before the file is
 * replaced. Besides the loader's checks (schema, policy, the files it names read bounded and only
 * when regular), a save may not change where the gateway runs (the data directory, whether and
 * where the console listens, the DNS listeners): a mistake there would lock the admins out at the
 * next start, with no console to undo it. Those are edited in the file on the server. An empty
 * document, which would drop every rule at once, is refused too.
 */
import { parse } from 'yaml';
import { type LoadedConfig, locateInText, parseConfigTextAsync } from '../config/index.js';
import { ConfigError, type ConfigIssue, formatPath } from '../errors.js';
import type { PolicyEditor, PolicyProblem } from './web-context.js';

export interface PolicyFileEditorOptions {
  /** Absolute path of the config file. */
  file: string;
  /** The configuration in force. */
  current: () => LoadedConfig;
  /** Validate and compile a text. Throws ConfigError. @default parseConfigTextAsync(text, file) */
  load?: (text: string) => Promise<LoadedConfig>;
  /** Write `text` to the file and put `next` in force; called only for a save that passed every check. */
  commit: (text: string, next: LoadedConfig) => Promise<void>;
}

/** Settings that decide where the gateway runs, with how to read each from loaded settings. */
const PINNED: readonly { path: string[]; of: (c: LoadedConfig) => unknown }[] = [
  { path: ['storage', 'path'], of: (c) => c.settings.storage.path },
  { path: ['storage', 'retentionDays'], of: (c) => c.settings.storage.retentionDays },
  { path: ['web', 'enabled'], of: (c) => c.settings.web.enabled },
  { path: ['web', 'listen'], of: (c) => c.settings.web.listen },
  { path: ['dns', 'listen'], of: (c) => c.settings.dns.listen },
];

/** The keys in {@link PINNED} whose effective value differs between `before` and `after`. */
export function changedPinnedSettings(before: LoadedConfig, after: LoadedConfig): string[][] {
  return PINNED.filter((p) => JSON.stringify(p.of(before)) !== JSON.stringify(p.of(after))).map((p) => p.path);
}

/** Whether a YAML text holds no settings at all: nothing, comments only, or an empty mapping. */
export function isEmptyDocument(text: string): boolean {
  try {
    const value: unknown = parse(text);
    return value === null || value === undefined || (typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0);
  } catch {
    return false; // the loader reports the YAML problem with its line
  }
}

function problems(issues: readonly ConfigIssue[]): PolicyProblem[] {
  return issues.map((i) => ({
    ...(i.file === undefined ? {} : { file: i.file }),
    ...(i.line === undefined ? {} : { line: i.line }),
    ...(i.column === undefined ? {} : { column: i.column }),
    path: formatPath(i.path), message: i.message,
  }));
}

/** A {@link PolicyEditor} that checks a save, then hands it to `commit`; a refused save changes nothing. */
export function createPolicyFileEditor(options: PolicyFileEditorOptions): PolicyEditor {
  const { file } = options;
  const load = options.load ?? ((text: string) => parseConfigTextAsync(text, file));
  return {
    read: () => ({ text: options.current().text, file }),
    async write(text) {
      if (isEmptyDocument(text)) {
        return { ok: false, errors: [{ file, path: formatPath([]), message: 'the document is empty: a policy file needs at least its rules; to block nothing, write rules: []' }] };
      }
      let next: LoadedConfig;
      try {
        next = await load(text);
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        return { ok: false, errors: problems(err.issues) };
      }
      const changed = changedPinnedSettings(options.current(), next);
      if (changed.length > 0) {
        const names = changed.map((p) => p.join('.')).join(', ');
        return {
          ok: false,
          errors: problems(locateInText(text, file, changed.map((path) => ({
            path,
            message: `${names} decide${changed.length === 1 ? 's' : ''} where the gateway runs and cannot be changed from the console: edit ${file} on the server and restart rambu`,
          })))),
        };
      }
      await options.commit(text, next);
      return { ok: true };
    },
  };
}
