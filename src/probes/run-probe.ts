/**
 * One probe: resolve the URL's host through rambu's own resolver, connect, shake hands (https),
 * send a plain HTTP/1.1 GET and read the response to its end, timing each phase. Written on raw
 * sockets rather than an HTTP client so that each phase is measured where it happens.
 */
import { isIP, connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import type { ProbeSettings } from '../config/index.js';
import type { ProbeResult } from './probe-result.js';

/** Bytes of a response read at most; a bigger body is cut off and counted as complete. */
const MAX_BODY = 8 * 1024 * 1024;

export interface ProbeDeps {
  /** Resolve a host name to one address (rambu's own resolver in `rambu serve`). */
  resolve: (host: string) => Promise<string>;
  /** Wall clock, epoch ms. */
  now: () => number;
  /** Extra CA certificates for https (tests). */
  ca?: string[];
}

const round = (ms: number): number => Math.round(ms * 100) / 100;

export async function runProbe(probe: ProbeSettings, deps: ProbeDeps): Promise<ProbeResult> {
  const result: ProbeResult = {
    time: deps.now(), name: probe.name, ok: false, status: null, dnsMs: null, connectMs: null, tlsMs: null, firstByteMs: null, totalMs: null, error: null,
  };
  const t0 = performance.now();
  const since = (): number => round(performance.now() - t0);
  let socket: Socket | null = null;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out after ${probe.timeoutMs} ms`)), probe.timeoutMs); });
  try {
    await Promise.race([timeout, (async () => {
      const host = probe.url.hostname.replace(/^\[|\]$/g, '');
      const literal = isIP(host) !== 0;
      const address = literal ? host : await deps.resolve(host);
      result.dnsMs = literal ? 0 : since();
      const https = probe.url.protocol === 'https:';
      const port = Number(probe.url.port || (https ? 443 : 80));
      const s = tcpConnect({ host: address, port });
      socket = s;
      await new Promise<void>((resolve, reject) => { s.once('connect', resolve); s.once('error', reject); });
      result.connectMs = since();
      let stream: Socket = s;
      if (https) {
        const options: ConnectionOptions = { socket: s, ALPNProtocols: ['http/1.1'] };
        // SNI takes names only (RFC 6066 section 3).
        if (isIP(host) === 0) options.servername = host;
        if (deps.ca !== undefined) options.ca = deps.ca;
        const t = tlsConnect(options);
        socket = t;
        await new Promise<void>((resolve, reject) => { t.once('secureConnect', resolve); t.once('error', reject); });
        result.tlsMs = since();
        stream = t;
      }
      const hostHeader = probe.url.port === '' ? probe.url.hostname : `${probe.url.hostname}:${probe.url.port}`;
      stream.write(`GET ${probe.url.pathname}${probe.url.search} HTTP/1.1\r\nHost: ${hostHeader}\r\nUser-Agent: rambu-probe\r\nAccept: */*\r\nConnection: close\r\n\r\n`);
      let head = '';
      let read = 0;
      await new Promise<void>((resolve, reject) => {
        stream.on('data', (chunk: Buffer) => {
          if (result.firstByteMs === null) result.firstByteMs = since();
          if (result.status === null && head.length < 256) {
            head += chunk.toString('latin1', 0, Math.min(chunk.length, 256));
            const m = /^HTTP\/1\.[01] (\d{3})/.exec(head);
            if (m !== null) result.status = Number(m[1]);
          }
          read += chunk.length;
          if (read > MAX_BODY) { stream.destroy(); resolve(); }
        });
        stream.once('end', resolve);
        stream.once('close', () => resolve());
        stream.once('error', reject);
      });
      result.totalMs = since();
      if (result.status === null) throw new Error('no HTTP status line in the response');
      result.ok = probe.expectStatus === null ? result.status >= 200 && result.status < 400 : result.status === probe.expectStatus;
      if (!result.ok) result.error = `status ${result.status}${probe.expectStatus === null ? '' : `, expected ${probe.expectStatus}`}`;
    })()]);
  } catch (err) {
    result.ok = false;
    result.error = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
  } finally {
    clearTimeout(timer);
    (socket as Socket | null)?.destroy();
  }
  return result;
}
