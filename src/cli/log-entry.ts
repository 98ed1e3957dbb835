/** `rambu log`: argument checks, then the query-log reader. */
import { ConfigError, formatIssue } from '../errors.js';
import { loadConfigFile } from '../config/index.js';
import { parseInstant } from '../policy/index.js';
import { type CliIo, EXIT, write } from './cli-io.js';
import { runLogCommand } from './log-command.js';
import { QUERY_ACTIONS } from '../store/index.js';

const ACTIONS: readonly string[] = QUERY_ACTIONS;

export async function runLog(values: Record<string, string | boolean | undefined>, io: CliIo): Promise<number> {
  const str = (k: string): string | undefined => (typeof values[k] === 'string' ? values[k] as string : undefined);
  const config = str('config');
  if (config === undefined) { write(io.stderr, 'rambu log: needs --config FILE'); return EXIT.INVALID; }
  const action = str('action');
  if (action !== undefined && !ACTIONS.includes(action)) { write(io.stderr, `rambu log: invalid --action "${action}": expected one of ${ACTIONS.join(', ')}`); return EXIT.INVALID; }
  let since: number | undefined;
  const sinceText = str('since');
  if (sinceText !== undefined) {
    const t = parseInstant(sinceText);
    if (t === null) { write(io.stderr, `rambu log: invalid --since "${sinceText}": expected ISO-8601 with an offset`); return EXIT.INVALID; }
    since = t;
  }
  let limit: number | undefined;
  const limitText = str('limit');
  if (limitText !== undefined) {
    if (!/^\d+$/.test(limitText) || Number(limitText) < 1 || Number(limitText) > 100_000) { write(io.stderr, `rambu log: invalid --limit "${limitText}": expected 1..100000`); return EXIT.INVALID; }
    limit = Number(limitText);
  }
  let loaded;
  try {
    loaded = loadConfigFile(config);
  } catch (err) {
    if (err instanceof ConfigError) { write(io.stderr, err.issues.map(formatIssue).join('\n')); return EXIT.INVALID; }
    throw err;
  }
  const client = str('client');
  const name = str('name');
  const gateway = str('gateway');
  return await runLogCommand({
    dataDir: loaded.settings.storage.path, storage: loaded.settings.storage, ...(gateway === undefined ? {} : { gateway }),
    ...(client === undefined ? {} : { client }), ...(name === undefined ? {} : { name }), ...(action === undefined ? {} : { action }),
    ...(since === undefined ? {} : { since }), ...(limit === undefined ? {} : { limit }),
    json: values['json'] === true,
  }, io.stdout, io.stderr);
}
