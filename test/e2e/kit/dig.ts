/** Ask the gateway with the real `dig`, the way an admin would check it by hand. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** `dig @127.0.0.1 -p PORT NAME TYPE +short`: the answer lines, empty for NXDOMAIN or no data. */
export async function digShort(port: number, name: string, type = 'A'): Promise<string[]> {
  const { stdout } = await run('dig', ['@127.0.0.1', '-p', String(port), name, type, '+short', '+time=2', '+tries=2'], { timeout: 15_000 });
  return stdout.split('\n').map((l) => l.trim()).filter((l) => l !== '');
}

/** Ask again until `accept` holds or `timeoutMs` passes; returns the last answer. */
export async function digUntil(port: number, name: string, accept: (lines: string[]) => boolean, timeoutMs = 5_000): Promise<string[]> {
  const end = Date.now() + timeoutMs;
  let lines = await digShort(port, name);
  while (!accept(lines) && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 200));
    lines = await digShort(port, name);
  }
  return lines;
}
