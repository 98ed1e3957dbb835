#!/usr/bin/env node
// Builds the browser console: type-checks src/ui with tsconfig.ui.json, then bundles src/ui/main.tsx
// with esbuild into dist/ui/ (content-hashed JS and CSS) and writes an index.html that only references
// them, since the server's Content-Security-Policy (default-src 'self') forbids inline scripts and styles.
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;
const outdir = join(root, 'dist', 'ui');
/** `--no-check` skips the type check, for quick rebuilds while developing. */
const skipCheck = process.argv.includes('--no-check');

if (!skipCheck) {
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const check = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.ui.json')], { stdio: 'inherit' });
  if (check.status !== 0) {
    process.stderr.write('build-ui: type errors in src/ui, not bundling\n');
    process.exit(1);
  }
}

rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });

const result = await build({
  absWorkingDir: root,
  entryPoints: [join(root, 'src', 'ui', 'main.tsx')],
  bundle: true,
  minify: true,
  format: 'esm',
  target: 'es2020',
  platform: 'browser',
  outdir: join(outdir, 'assets'),
  entryNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  tsconfig: join(root, 'tsconfig.ui.json'),
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
});

const outputs = Object.keys(result.metafile.outputs).map((p) => relative(outdir, join(root, p)));
// The server serves assets/ with a year-long immutable cache and index.html with no-cache, and answers
// unknown paths (client routes such as /status) with index.html, hence absolute asset paths.
const js = outputs.find((p) => p.endsWith('.js'));
const css = outputs.find((p) => p.endsWith('.css'));
if (js === undefined || css === undefined) {
  process.stderr.write(`build-ui: expected one .js and one .css output, got: ${outputs.join(', ')}\n`);
  process.exit(1);
}

const html = `<!doctype html>
<html lang="id">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<title>rambu</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/${css}">
<script type="module" src="/${js}"></script>
</head>
<body>
<div id="app"><noscript>rambu membutuhkan JavaScript. / rambu needs JavaScript.</noscript></div>
</body>
</html>
`;
writeFileSync(join(outdir, 'index.html'), html);
// A road-sign icon: a red circle with a white bar ("no entry"), as a file because CSP forbids data: URLs.
writeFileSync(join(outdir, 'favicon.svg'),
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><circle cx="16" cy="16" r="15" fill="#c62828"/><rect x="7" y="13" width="18" height="6" rx="1" fill="#fff"/></svg>\n');
process.stdout.write(`build-ui: dist/ui/index.html, ${js}, ${css}\n`);
