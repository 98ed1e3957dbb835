/**
 * A throwaway PostgreSQL server for tests: Debian's `postgresql` binaries, a cluster initialised in a
 * temp directory, listening on a free loopback port only, password (SCRAM) authentication over TCP.
 * PostgreSQL refuses to run as root, so under root the cluster belongs to the `postgres` user the
 * package creates and the server runs as that user. `destroy()` stops the server and removes the
 * directory; call it from `after()` so that a failing test cleans up too.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

const LIB = '/usr/lib/postgresql';
/** The superuser's password inside the throwaway cluster. */
export const PG_PASSWORD = 'rambu-test-secret';
export const PG_USER = 'postgres';

export interface TestPostgres {
  port: number;
  /** `postgres://postgres:PASSWORD@127.0.0.1:PORT/NAME`. */
  url(database: string, password?: string): string;
  /** Create an empty database; returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Run SQL as the superuser in `database`. */
  sql(database: string, text: string, values?: unknown[]): Promise<pg.QueryResult>;
  /** Fast shutdown (clients are disconnected); the data stays for `start()`. */
  stop(): Promise<void>;
  /** Start the stopped server again on the same port. */
  start(): Promise<void>;
  /** Everything the server wrote, for failure messages. */
  output(): string;
  /** Stop the server (if running) and remove its directory. */
  destroy(): Promise<void>;
}

/** The newest installed PostgreSQL's bin directory, or null when the package is missing. */
export function postgresBin(): string | null {
  if (!existsSync(LIB)) return null;
  const versions = readdirSync(LIB).filter((v) => existsSync(join(LIB, v, 'bin', 'postgres'))).sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? null : join(LIB, versions[0], 'bin');
}

/** uid and gid of `name` from /etc/passwd, or null. */
function account(name: string): { uid: number; gid: number } | null {
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const f = line.split(':');
    if (f[0] === name && f[2] !== undefined && f[3] !== undefined) return { uid: Number(f[2]), gid: Number(f[3]) };
  }
  return null;
}

function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Initialise and start a cluster; throws with the tool's output when that fails. */
export async function startPostgres(): Promise<TestPostgres> {
  const bin = postgresBin();
  if (bin === null) throw new Error(`PostgreSQL is not installed (no ${LIB}/*/bin/postgres): apt-get install postgresql`);
  const isRoot = process.getuid?.() === 0;
  const owner = isRoot ? account('postgres') : null;
  if (isRoot && owner === null) throw new Error('running as root and there is no "postgres" user to run PostgreSQL as');
  const as = owner === null ? {} : { uid: owner.uid, gid: owner.gid };

  const dir = mkdtempSync(join(tmpdir(), 'rambu-pg-'));
  if (owner !== null) chownSync(dir, owner.uid, owner.gid);
  const data = join(dir, 'data');
  const pwfile = join(dir, 'pwfile');
  writeFileSync(pwfile, `${PG_PASSWORD}\n`, { mode: 0o600 });
  if (owner !== null) chownSync(pwfile, owner.uid, owner.gid);
  const init = spawnSync(join(bin, 'initdb'), ['-D', data, '-U', PG_USER, `--pwfile=${pwfile}`, '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync'],
    { ...as, cwd: dir, encoding: 'utf8' });
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed (${String(init.status)}): ${init.stderr}${init.stdout}`);
  }
  const port = await freeTcpPort();
  let child: ChildProcess | null = null;
  let log = '';

  const admin = (database: string) => new pg.Client({ host: '127.0.0.1', port, user: PG_USER, password: PG_PASSWORD, database });

  const ready = async (): Promise<void> => {
    const end = Date.now() + 30_000;
    for (;;) {
      const c = admin('postgres');
      try {
        await c.connect();
        await c.end();
        return;
      } catch (err) {
        await c.end().catch(() => undefined);
        if (child === null || child.exitCode !== null || Date.now() > end) throw new Error(`PostgreSQL did not accept connections: ${(err as Error).message}\n${log}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };

  const start = async (): Promise<void> => {
    // fsync off: the cluster is thrown away after the test, and the shared machine's disk is slow.
    child = spawn(join(bin, 'postgres'), ['-D', data, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-k', dir,
      '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=60'],
    { ...as, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (d: Buffer) => { log += d.toString(); });
    child.stderr?.on('data', (d: Buffer) => { log += d.toString(); });
    await ready();
  };

  const stop = async (): Promise<void> => {
    const c = child;
    if (c === null || c.exitCode !== null || c.signalCode !== null) { child = null; return; }
    const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    c.kill('SIGINT'); // fast shutdown: roll back open transactions, disconnect clients
    const timer = setTimeout(() => c.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
    child = null;
  };

  // A test process that ends without its after() hook (a crash, a timeout) still takes the server along.
  const onExit = (): void => {
    child?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', onExit);
  try {
    await start();
  } catch (err) {
    process.off('exit', onExit);
    await stop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  const url = (database: string, password = PG_PASSWORD): string =>
    `postgres://${PG_USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
  const sql = async (database: string, text: string, values: unknown[] = []): Promise<pg.QueryResult> => {
    const c = admin(database);
    await c.connect();
    try {
      return await c.query(text, values);
    } finally {
      await c.end();
    }
  };
  return {
    port,
    url,
    async createDatabase(name) {
      await sql('postgres', `CREATE DATABASE "${name.replace(/"/g, '')}"`);
      return url(name);
    },
    sql,
    stop,
    start,
    output: () => log,
    async destroy() {
      process.off('exit', onExit);
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
