#!/usr/bin/env node
// Compiles each native/NAME.c into dist/native/NAME.node with the system's C compiler against this
// Node.js's own headers: udp-batch.c (batched UDP reads and answers for the DNS gateway) and
// process.c (thread priority and malloc settings Node.js does not expose). Both are optional: where they
// cannot be built (not Linux, no compiler, no headers) this says why and exits 0, the gateway answers
// through node:dgram and the writer lowers its nice value instead. `--require` makes that an error.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const sourceDir = join(root, 'native');
const outputDir = join(root, 'dist', 'native');
const sources = readdirSync(sourceDir).filter((f) => f.endsWith('.c')).sort();
const required = process.argv.includes('--require');

function skip(reason) {
  rmSync(outputDir, { recursive: true, force: true });
  const message = `build-native: ${sources.join(', ')} not built: ${reason}; the DNS gateway will use node:dgram`;
  if (required) {
    process.stderr.write(`${message}\n`);
    process.exit(1);
  }
  process.stderr.write(`warning: ${message}\n`);
  process.exit(0);
}

if (process.platform !== 'linux') skip(`it needs Linux, this is ${process.platform}`);

// Node.js's headers (node_api.h and uv.h): npm's nodedir, else next to the running binary.
const candidates = [
  process.env.npm_config_nodedir && join(process.env.npm_config_nodedir, 'include', 'node'),
  resolve(dirname(process.execPath), '..', 'include', 'node'),
  '/usr/include/node',
  '/usr/local/include/node',
].filter(Boolean);
const include = candidates.find((dir) => existsSync(join(dir, 'node_api.h')) && existsSync(join(dir, 'uv.h')));
if (include === undefined) skip(`no Node.js headers (node_api.h, uv.h) in ${candidates.join(', ')}`);

const cc = process.env.CC || 'cc';
mkdirSync(outputDir, { recursive: true });
for (const source of sources) {
  const output = join(outputDir, source.replace(/\.c$/, '.node'));
  const args = ['-O2', '-std=c11', '-Wall', '-Wextra', '-Werror', '-fPIC', '-shared', '-fvisibility=hidden', `-I${include}`, join(sourceDir, source), '-o', output];
  const run = spawnSync(cc, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  if (run.error) skip(`${cc}: ${run.error.message} (install a C compiler: apt-get install gcc libc6-dev)`);
  if (run.status !== 0) skip(`${cc} exited with ${run.status} on ${source}`);
}
