/**
 * Turn the `dns`, `web`, `storage` and `log` sections into {@link Settings}: defaults applied,
 * addresses and URLs parsed, problems collected with their key paths.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { isAbsolute, resolve } from 'node:path';
import type { ConfigIssue } from '../errors.js';
import { parseCidr } from '../policy/cidr.js';
import { resolveFlowSettings, resolveProbeSettings } from './flow-settings.js';
import type { Config } from './schema.js';
import { type BlockResponse, DEFAULT_ALLOW_FROM, type HostPort, type Settings, type UpstreamSpec } from './settings.js';

export const DEFAULTS = {
  dnsListen: ['0.0.0.0:53', '[::]:53'],
  webListen: '127.0.0.1:8080',
  blockTtl: 10,
  timeoutMs: 3000,
  cache: { size: 100_000, minTtl: 0, maxTtl: 86_400, negativeMaxTtl: 900, serveStale: 86_400 },
  rateLimit: { qps: 200, burst: 400, action: 'refused' as const },
  storagePath: 'data',
  retentionDays: 30,
  sessionHours: 12,
} as const;

/** Parse `host:port`, `[v6]:port`; null when malformed. */
export function parseHostPort(text: string): HostPort | null {
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(text) ?? /^([^:[\]]+):(\d{1,5})$/.exec(text);
  if (m === null) return null;
  const host = m[1]!;
  const port = Number(m[2]);
  if (port > 65535) return null;
  if (isIP(host) === 0 && !/^[A-Za-z0-9.-]+$/.test(host)) return null;
  return { host, port };
}

/** Parse an upstream URL `udp://host:port`, `tcp://...`, `tls://host:port#servername`. */
export function parseUpstream(text: string): UpstreamSpec | null {
  const m = /^(udp|tcp|tls):\/\/(\[[^\]]+\]|[^:/#[\]]+)(?::(\d{1,5}))?(?:#([A-Za-z0-9.-]+))?$/.exec(text);
  if (m === null) return null;
  const protocol = m[1] as UpstreamSpec['protocol'];
  const rawHost = m[2]!;
  const host = rawHost.startsWith('[') ? rawHost.slice(1, -1) : rawHost;
  if (isIP(host) === 0) return null;
  const port = m[3] === undefined ? (protocol === 'tls' ? 853 : 53) : Number(m[3]);
  if (port < 1 || port > 65535) return null;
  return { protocol, host, port, serverName: m[4] ?? null, label: text };
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/**
 * The certificates of a PEM file, each checked to parse; text around them (comments, bundles'
 * headers) is ignored. A string is the problem: unreadable, no certificate, or an invalid one.
 */
export function readCaFile(path: string): string[] | string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return `cannot read the CA file "${path}": ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
  }
  const certs = text.match(PEM_CERTIFICATE) ?? [];
  if (certs.length === 0) return `no PEM certificate ("-----BEGIN CERTIFICATE-----") in the CA file "${path}"`;
  for (const [i, pem] of certs.entries()) {
    try {
      new X509Certificate(pem);
    } catch (err) {
      return `certificate ${i + 1} of the CA file "${path}" is invalid: ${(err as Error).message}`;
    }
  }
  return certs;
}

function parseBlockResponse(text: string): BlockResponse | null {
  switch (text) {
    case 'nxdomain': return { kind: 'nxdomain' };
    case 'nullip': return { kind: 'nullip' };
    case 'refused': return { kind: 'refused' };
    default: {
      const family = isIP(text);
      if (family === 4) return { kind: 'address', v4: text, v6: null };
      if (family === 6) return { kind: 'address', v4: null, v6: text };
      return null;
    }
  }
}

/** Resolve the runtime sections; `baseDir` anchors a relative storage path. */
export function resolveSettings(config: Config, baseDir: string, issues: ConfigIssue[]): Settings {
  const dns = config.dns ?? {};
  const listen: HostPort[] = [];
  (dns.listen ?? DEFAULTS.dnsListen).forEach((text, i) => {
    const hp = parseHostPort(text);
    if (hp === null || isIP(hp.host) === 0) issues.push({ path: ['dns', 'listen', i], message: `invalid listen address "${text}": expected IP:port, such as "0.0.0.0:53" or "[::]:53"` });
    else listen.push(hp);
  });
  let extraCa: string[] | null = null;
  if (dns.upstreamCaFile !== undefined) {
    const certs = readCaFile(isAbsolute(dns.upstreamCaFile) ? dns.upstreamCaFile : resolve(baseDir, dns.upstreamCaFile));
    if (typeof certs === 'string') issues.push({ path: ['dns', 'upstreamCaFile'], message: certs });
    else extraCa = certs;
  }
  const upstreams: UpstreamSpec[] = [];
  (dns.upstreams ?? []).forEach((text, i) => {
    const u = parseUpstream(text);
    if (u === null) issues.push({ path: ['dns', 'upstreams', i], message: `invalid upstream "${text}": expected udp://IP:port, tcp://IP:port or tls://IP:port#server-name` });
    else upstreams.push(u.protocol === 'tls' && extraCa !== null ? { ...u, extraCa } : u);
  });
  let blockResponse: BlockResponse = { kind: 'nxdomain' };
  if (dns.blockResponse !== undefined) {
    const b = parseBlockResponse(dns.blockResponse);
    if (b === null) issues.push({ path: ['dns', 'blockResponse'], message: `invalid blockResponse "${dns.blockResponse}": expected nxdomain, nullip, refused or an IPv4/IPv6 address` });
    else blockResponse = b;
  }
  const allowFrom = dns.allowFrom ?? [...DEFAULT_ALLOW_FROM];
  allowFrom.forEach((c, i) => {
    if (parseCidr(c) === null) issues.push({ path: ['dns', 'allowFrom', i], message: `invalid network "${c}"` });
  });
  const cache = { ...DEFAULTS.cache, ...dns.cache };
  if (cache.minTtl > cache.maxTtl) issues.push({ path: ['dns', 'cache', 'minTtl'], message: `minTtl ${cache.minTtl} is above maxTtl ${cache.maxTtl}` });

  const web = config.web ?? {};
  const webListenText = web.listen ?? DEFAULTS.webListen;
  let webListen = parseHostPort(webListenText);
  if (webListen === null) {
    issues.push({ path: ['web', 'listen'], message: `invalid listen address "${webListenText}": expected host:port, such as "127.0.0.1:8080"` });
    webListen = { host: '127.0.0.1', port: 8080 };
  }
  const storagePath = config.storage?.path ?? DEFAULTS.storagePath;
  return {
    dns: {
      listen, upstreams, blockResponse,
      blockTtl: dns.blockTtl ?? DEFAULTS.blockTtl,
      timeoutMs: dns.timeoutMs ?? DEFAULTS.timeoutMs,
      cache,
      allowFrom,
      rateLimit: { ...DEFAULTS.rateLimit, ...dns.rateLimit },
      workers: dns.workers ?? 1,
      udpBatch: dns.udpBatch ?? true,
    },
    web: {
      enabled: web.enabled ?? true,
      listen: webListen,
      secureCookies: web.secureCookies ?? false,
      trustProxy: web.trustProxy ?? false,
      sessionHours: web.sessionHours ?? DEFAULTS.sessionHours,
    },
    storage: {
      path: isAbsolute(storagePath) ? storagePath : resolve(baseDir, storagePath),
      retentionDays: config.storage?.retentionDays ?? DEFAULTS.retentionDays,
    },
    answers: {
      enabled: config.answers?.enabled ?? true,
      graceSeconds: config.answers?.graceSeconds ?? 3600,
      maxPerClient: config.answers?.maxPerClient ?? 2000,
      maxEntries: config.answers?.maxEntries ?? 1_000_000,
    },
    log: { level: config.log?.level ?? 'info' },
    flows: resolveFlowSettings(config.flows, issues, parseHostPort),
    probes: resolveProbeSettings(config.probes, issues),
  };
}
