import type { Policy } from '../policy/index.js';
import type { Config } from './schema.js';
import type { Settings } from './settings.js';

export interface LoadOptions {
  /** Directory that relative paths (blocklists, storage) are resolved against; default: the file's. */
  baseDir?: string;
}

/** A configuration that passed every check, compiled. */
export interface LoadedConfig {
  /** Absolute path of the file, or `(built-in)`. */
  file: string;
  text: string;
  config: Config;
  policy: Policy;
  settings: Settings;
  /** Non-fatal findings (an exemption that has expired, a rule that can never match). */
  warnings: string[];
}

/** Read, validate and compile a config file; throws ConfigError listing every problem. */
export function loadConfigFile(path: string, options: LoadOptions = {}): LoadedConfig {
  void path; void options;
  throw new Error('not implemented yet');
}

/** Validate and compile config text; `file` names it in errors. Throws ConfigError. */
export function parseConfigText(text: string, file: string, options: LoadOptions = {}): LoadedConfig {
  void text; void file; void options;
  throw new Error('not implemented yet');
}
