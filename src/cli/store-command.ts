/** `rambu store migrate --from sqlite --to postgres --config FILE [--force]`: a SQLite gateway's data into the shared store. */
import pg from 'pg';
import { loadConfigFile } from '../config/index.js';
import { ConfigError, ERROR_CODES, formatIssue, RambuError } from '../errors.js';
import { clientConfig, describeUrl, migrateFromSqlite, openStore } from '../store/index.js';
import { type CliIo, EXIT, write } from './cli-io.js';

const USAGE = 'usage: rambu store migrate --from sqlite --to postgres --config FILE [--force]';

export async function runStore(sub: string | undefined, values: Record<string, string | boolean | undefined>, io: CliIo): Promise<number> {
  if (sub !== 'migrate') { write(io.stderr, `rambu store: unknown subcommand "${sub ?? ''}": ${USAGE}`); return EXIT.INVALID; }
  const config = typeof values['config'] === 'string' ? values['config'] : undefined;
  if (config === undefined || values['from'] !== 'sqlite' || values['to'] !== 'postgres') {
    write(io.stderr, `rambu store migrate: ${USAGE} (the only migration there is)`);
    return EXIT.INVALID;
  }
  let storage;
  try {
    storage = loadConfigFile(config).settings.storage;
  } catch (err) {
    if (err instanceof ConfigError) { write(io.stderr, err.issues.map(formatIssue).join('\n')); return EXIT.INVALID; }
    throw err;
  }
  if (storage.backend !== 'postgres' || storage.url === null) {
    write(io.stderr, `rambu store migrate: ${config} must name the shared store: set storage.backend: postgres and storage.url (the SQLite data is read from storage.path, ${storage.path})`);
    return EXIT.INVALID;
  }
  const where = describeUrl(storage.url);
  const local = openStore({ dir: storage.path, pruneIntervalMs: 0 });
  const client = new pg.Client(clientConfig({ url: storage.url, passwordFile: storage.passwordFile, gatewayName: storage.gatewayName }, where));
  client.on('error', () => undefined);
  try {
    try {
      await client.connect();
    } catch (err) {
      throw new RambuError(ERROR_CODES.STORAGE_FAILED, `cannot open the shared store ${where}: ${(err as Error).message}`, { cause: err });
    }
    write(io.stdout, `rambu store migrate: ${local.file} -> ${where} as gateway "${storage.gatewayName}"`);
    const report = await migrateFromSqlite(local.db, client, { gateway: storage.gatewayName, where, force: values['force'] === true });
    const line = (what: string, c: { copied: number; skipped: number }): string => `  ${what}: ${c.copied} copied, ${c.skipped} already there`;
    write(io.stdout, [
      line('users', report.users), line('login sessions', report.sessions), line('exemptions', report.exemptions),
      line('audit entries', report.audit),
      `  query log: ${report.queryLog.copied} rows copied, ${report.queryLog.alreadyThere} already there`,
      'done: start rambu serve with this config; it goes on shipping the query log from here',
    ].join('\n'));
    return EXIT.OK;
  } finally {
    await client.end().catch(() => undefined);
    await local.close();
  }
}
