/**
 * Starts the real product for end-to-end tests: a temp directory with a config whose DNS and web
 * listeners are on free loopback ports and whose upstream is a fake resolver, an admin made with
 * `rambu user add`, then `rambu serve` as a child process the way `npm start` runs it (its
 * environment and node flags), ready once it prints its console URL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { until } from '../../kit/until.js';
import { startFakeUpstream, type FakeUpstream } from './fake-upstream.js';
import { freeDnsPort, freePort } from './free-port.js';

/** The repository root, from dist/test/e2e/kit/ where this file runs compiled. */
export const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'rambu.js');

export interface Product {
  dir: string;
  config: string;
  dnsPort: number;
  webPort: number;
  /** The console URL serve printed, with a trailing slash. */
  url: string;
  upstream: FakeUpstream;
  /** Process id of `rambu serve`. */
  pid: number;
  /** Everything serve wrote, for failure messages. */
  output(): string;
  /** Send a signal to the serve process. */
  signal(name: NodeJS.Signals): void;
  /** Resolves with the exit code once serve has exited. */
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

export interface ProductOptions {
  adminPassword: string;
  /** YAML appended after the listeners: schedules, groups, rules, exemptions. */
  policy: string;
  /** More keys under `dns:` (besides listen, upstreams and blockResponse), such as `{ workers: 2 }`; values are written as JSON (YAML flow style). */
  dns?: Record<string, unknown>;
  /** More environment for `rambu serve` (such as RAMBU_TEST_HOOKS, or RAMBU_TEST_NOW of src/cli/test-clock.ts). */
  env?: Record<string, string>;
  /** Log level of serve. @default 'warn' */
  logLevel?: string;
  /** More keys under `storage:` (besides path), such as `{ backend: 'postgres', url, gatewayName }`; written as JSON. */
  storage?: Record<string, unknown>;
  /** Run in this directory of a product stopped before (its config is written again, its data kept) instead of a new one. */
  dir?: string;
  /** Create the admin with `rambu user add` first; off for a second gateway on a shared store that has it. @default true */
  addAdmin?: boolean;
}

/**
 * How `npm start` runs serve, read from package.json's `start` script (`VAR=value node FLAGS bin/rambu.js
 * serve`): its environment and the node flags before the script, so that tests run what ships.
 */
export function npmStartCommand(): { env: Record<string, string>; nodeArgs: string[] } {
  const script = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
  const words = script.trim().split(/\s+/);
  const env: Record<string, string> = {};
  let i = 0;
  for (; i < words.length && /^[A-Z_][A-Z0-9_]*=/.test(words[i] ?? ''); i++) {
    const [key, ...value] = (words[i] ?? '').split('=');
    env[key ?? ''] = value.join('=');
  }
  if (words[i] !== 'node') throw new Error(`unexpected start script: ${script}`);
  const rest = words.slice(i + 1);
  const bin = rest.indexOf('bin/rambu.js');
  if (bin < 0 || rest[bin + 1] !== 'serve') throw new Error(`unexpected start script: ${script}`);
  return { env, nodeArgs: rest.slice(0, bin) };
}

function runWithStdin(args: string[], stdin: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output }));
    child.stdin.end(stdin);
  });
}

function waitForUrl(child: ChildProcess, log: { text: string }, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`rambu serve printed no "console: http://..." line within ${timeoutMs} ms:\n${log.text}`)), timeoutMs);
    const onData = () => {
      const m = /console: (http:\/\/[^\s]+\/)/.exec(log.text);
      if (m?.[1] !== undefined) finish(null, m[1]);
    };
    const onExit = (code: number | null) => finish(new Error(`rambu serve exited with ${String(code)} before listening:\n${log.text}`));
    function finish(err: Error | null, url?: string) {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      if (err !== null) reject(err);
      else resolve(url ?? '');
    }
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
  });
}

export async function startProduct(options: ProductOptions): Promise<Product> {
  const dir = options.dir ?? await mkdtemp(join(tmpdir(), 'rambu-e2e-'));
  const upstream = await startFakeUpstream();
  const dnsPort = await freeDnsPort();
  const webPort = await freePort();
  const config = join(dir, 'rambu.yaml');
  await writeFile(config, [
    'timezone: Asia/Jakarta',
    'dns:',
    `  listen: ["127.0.0.1:${dnsPort}"]`,
    `  upstreams: ["udp://127.0.0.1:${upstream.port}"]`,
    '  blockResponse: nxdomain',
    ...Object.entries(options.dns ?? {}).map(([key, value]) => `  ${key}: ${JSON.stringify(value)}`),
    'web:',
    `  listen: "127.0.0.1:${webPort}"`,
    'storage:',
    `  path: ${JSON.stringify(join(dir, 'data'))}`,
    ...Object.entries(options.storage ?? {}).map(([key, value]) => `  ${key}: ${JSON.stringify(value)}`),
    'log:',
    `  level: ${options.logLevel ?? 'warn'}`,
    options.policy.trim(),
    '',
  ].join('\n'));

  const added = options.addAdmin === false
    ? { code: 0, output: '' }
    : await runWithStdin(['user', 'add', 'admin', '--role', 'admin', '--password-stdin', '--config', config], `${options.adminPassword}\n`);
  if (added.code !== 0) {
    await upstream.close();
    throw new Error(`rambu user add failed (exit ${String(added.code)}):\n${added.output}`);
  }

  const log = { text: '' };
  // As `npm start` runs it: the same environment and node flags.
  const start = npmStartCommand();
  const child = spawn(process.execPath, [...start.nodeArgs, BIN, 'serve', '--config', config], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...start.env, ...options.env },
  });
  child.stdout.on('data', (d: Buffer) => { log.text += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { log.text += d.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    await upstream.close();
    await rm(dir, { recursive: true, force: true });
  };

  let url: string;
  try {
    url = await waitForUrl(child, log, 20_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { dir, config, dnsPort, webPort, url, upstream, pid: child.pid ?? 0, output: () => log.text, signal: (name) => { child.kill(name); }, exited, stop };
}

/** The port of the product's flow collector, once it says it listens (it starts after the console, in a thread of its own). */
export function flowPort(product: Product, timeoutMs = 20_000): Promise<number> {
  return until(async () => {
    const port = /flows: listening on 127\.0\.0\.1:(\d+)/.exec(product.output())?.[1];
    return port === undefined ? null : Number(port);
  }, timeoutMs, 100, () => `the flow collector: ${product.output()}`);
}
