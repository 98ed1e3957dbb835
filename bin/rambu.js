#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-semi-space-size=2
// A 4 MB young generation: the gateway's short-lived garbage fits, and the process keeps about
// 30 MB less resident than with V8's default. `npm start` and docs/deployment.md pass the same flag.
// Entry point: the compiled CLI lives in dist/ (built by `npm ci` through the prepare script).
import { main } from '../dist/src/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { process.stderr.write(`rambu: ${err && err.stack ? err.stack : String(err)}\n`); process.exitCode = 2; },
);
