/**
 * `rambu serve --config FILE` started exactly as `npm start` runs it: the environment assignments,
 * node flags and arguments of package.json's start script, read from the file so the two cannot drift.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface Served {
  output(): string;
  /** Resolves with the first match of `pattern` in the output. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  stop(): Promise<number | null>;
}

export function serveAsNpmStart(config: string): Served {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } };
  const words = pkg.scripts.start.trim().split(/\s+/);
  const env: Record<string, string> = {};
  while (words[0] !== undefined && /^[A-Z_]+=/.test(words[0])) {
    const [k, v] = words.shift()!.split('=') as [string, string];
    env[k] = v;
  }
  if (words.shift() !== 'node') throw new Error(`npm start does not run node: ${pkg.scripts.start}`);
  const child = spawn(process.execPath, [...words, '--config', config], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  const listeners = new Set<() => void>();
  const onData = (d: Buffer): void => { text += d.toString(); for (const l of listeners) l(); };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => { for (const l of listeners) l(); resolve(code); }));
  return {
    output: () => text,
    waitFor: (pattern, timeoutMs = 20_000) => new Promise((resolve, reject) => {
      const check = (): void => {
        const m = pattern.exec(text);
        if (m !== null) { done(); resolve(m); } else if (child.exitCode !== null) { done(); reject(new Error(`rambu serve exited (${child.exitCode}):\n${text}`)); }
      };
      const timer = setTimeout(() => { done(); reject(new Error(`no ${String(pattern)} within ${timeoutMs} ms:\n${text}`)); }, timeoutMs);
      const done = (): void => { clearTimeout(timer); listeners.delete(check); };
      listeners.add(check);
      check();
    }),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      return child.exitCode;
    },
  };
}
