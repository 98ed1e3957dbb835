/** `rambu user add|list|remove`: argument checks, then the user store. */
import { ConfigError, formatIssue } from '../errors.js';
import { loadConfigFile, type StorageSettings } from '../config/index.js';
import { type CliIo, EXIT, write } from './cli-io.js';
import * as users from './user-command.js';

async function readStdin(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

export async function runUser(sub: string | undefined, positionals: string[], values: Record<string, string | boolean | undefined>, io: CliIo): Promise<number> {
  const config = typeof values['config'] === 'string' ? values['config'] : undefined;
  if (config === undefined) { write(io.stderr, 'rambu user: needs --config FILE'); return EXIT.INVALID; }
  let dataDir: string;
  let storage: StorageSettings;
  try {
    storage = loadConfigFile(config).settings.storage;
    dataDir = storage.path;
  } catch (err) {
    if (err instanceof ConfigError) { write(io.stderr, err.issues.map(formatIssue).join('\n')); return EXIT.INVALID; }
    throw err;
  }
  switch (sub) {
    case 'add': {
      const role = typeof values['role'] === 'string' ? values['role'] : undefined;
      if (positionals.length !== 1 || role === undefined) { write(io.stderr, 'rambu user add: usage: rambu user add NAME --role admin|operator|viewer --password-stdin --config FILE'); return EXIT.INVALID; }
      if (values['password-stdin'] !== true) { write(io.stderr, 'rambu user add: give the password on standard input with --password-stdin (never on the command line)'); return EXIT.INVALID; }
      const password = await readStdin(io.stdin);
      return await users.runUserAdd({ dataDir, storage, username: positionals[0]!, role, password }, io.stdout, io.stderr);
    }
    case 'passwd': {
      if (positionals.length !== 1 || values['password-stdin'] !== true) { write(io.stderr, 'rambu user passwd: usage: rambu user passwd NAME --password-stdin --config FILE'); return EXIT.INVALID; }
      const password = await readStdin(io.stdin);
      return await users.runUserPasswd({ dataDir, storage, username: positionals[0]!, password }, io.stdout, io.stderr);
    }
    case 'list':
      return await users.runUserList({ dataDir, storage }, io.stdout);
    case 'remove':
      if (positionals.length !== 1) { write(io.stderr, 'rambu user remove: usage: rambu user remove NAME --config FILE'); return EXIT.INVALID; }
      return await users.runUserRemove({ dataDir, storage, username: positionals[0]! }, io.stdout, io.stderr);
    default:
      write(io.stderr, `rambu user: unknown subcommand "${sub ?? ''}": expected add, passwd, list or remove`);
      return EXIT.INVALID;
  }
}
