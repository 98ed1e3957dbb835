/**
 * What the query log keeps when things go wrong, with `rambu serve` started as `npm start` starts
 * it: after `kill -9` in the middle of traffic, every row the writer had acknowledged (the
 * `written` count of rambu_query_log_rows) is in the database, `rambu log` reads it and serve starts
 * again on it; and a database file that is not rambu's stops serve at start with an error naming the
 * file, which is left as it was.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { RR_TYPE } from '../../src/dns/index.js';
import { ROOT, startProduct } from '../e2e/kit/product.js';
import { logRows, readMetric, writtenAtLeast } from './query-log-reads.js';
import { udpClient } from './query-traffic.js';

const run = promisify(execFile);
const BIN = join(ROOT, 'bin', 'rambu.js');

test('kill -9 keeps every row the writer acknowledged; the log opens and serve starts again', async () => {
  const product = await startProduct({ adminPassword: 'durability-test-password', policy: 'rules:\n  - name: blokir-doh\n    block: [doh-bypass]\n', dns: { rateLimit: { qps: 0 } } });
  try {
    const client = udpClient(product.dnsPort, '127.0.0.2');
    const ask = (prefix: string, n: number): ReturnType<typeof client.ask> =>
      client.ask(Array.from({ length: n }, (_, i) => ({ name: `${prefix}${i}.${i % 3 === 0 ? 'dns.google' : 'example.org'}`, type: i % 2 === 0 ? RR_TYPE.A : RR_TYPE.AAAA })));
    const first = await ask('a', 1_500);
    assert.ok(await writtenAtLeast(product.url, first.length) >= first.length, 'the first burst is acknowledged');
    // Traffic goes on while the process is killed: some rows are acknowledged, some in memory.
    const more = ask('b', 3_000);
    await new Promise((r) => setTimeout(r, 700));
    const acknowledged = readMetric(await (await fetch(`${product.url}metrics`)).text(), 'written');
    product.signal('SIGKILL');
    await product.exited;
    await client.close();
    await more;
    assert.ok(acknowledged >= first.length, `acknowledged ${acknowledged} of the first ${first.length}`);

    const { stdout } = await run(process.execPath, [BIN, 'log', '--config', product.config, '--limit', '100000', '--json'], { maxBuffer: 64 << 20 });
    const rows = logRows(stdout);
    assert.ok(rows.length >= acknowledged, `${rows.length} rows after kill -9, ${acknowledged} acknowledged before it`);
    const names = new Set(rows.map((r) => r.name));
    assert.ok(first.every((q) => names.has(q.name)), 'every query of the first burst is in the log');
    for (const r of rows) {
      const blocked = r.name.endsWith('.dns.google');
      const type = Number(/^[ab](\d+)\./.exec(r.name)?.[1]) % 2 === 0 ? 'A' : 'AAAA';
      assert.deepEqual([r.type, r.action, r.rule, r.rcode], [type, blocked ? 'block' : 'allow', blocked ? 'blokir-doh' : null, blocked ? 'NXDOMAIN' : 'NOERROR'], r.name);
    }

    // serve starts again on the same database and answers.
    const again = execFile(process.execPath, [BIN, 'serve', '--config', product.config]);
    let output = '';
    again.stdout?.on('data', (d: Buffer) => { output += d.toString(); });
    again.stderr?.on('data', (d: Buffer) => { output += d.toString(); });
    try {
      for (let waited = 0; !output.includes('console: http') && waited < 20_000; waited += 100) await new Promise((r) => setTimeout(r, 100));
      assert.match(output, /console: http/);
    } finally {
      again.kill('SIGTERM');
      await new Promise((r) => again.once('exit', r));
    }
  } finally {
    await product.stop();
  }
});

test('a database file that is not rambu\'s stops serve at start, named, and is left as it was', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rambu-foreign-'));
  try {
    const data = join(dir, 'data');
    mkdirSync(data);
    const config = join(dir, 'rambu.yaml');
    writeFileSync(config, `dns:\n  listen: ["127.0.0.1:0"]\n  upstreams: ["udp://127.0.0.1:9"]\nweb:\n  enabled: false\nstorage:\n  path: ${JSON.stringify(data)}\n`);
    const file = join(data, 'rambu.db');
    const junk = Buffer.from('SQLite format 3\u0000 but then the pages of something else entirely '.repeat(100));
    for (const content of [junk, Buffer.from('not a database at all, a text file that happens to be here\n'.repeat(50))]) {
      writeFileSync(file, content);
      const result = await run(process.execPath, [BIN, 'serve', '--config', config]).then(() => ({ code: 0, stderr: '' }), (err: { code: number; stderr: string }) => err);
      assert.equal(result.code, 2, result.stderr);
      assert.ok(result.stderr.includes(file), `the error names the file: ${result.stderr}`);
      assert.deepEqual(readFileSync(file), content, 'the file is left as it was');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
