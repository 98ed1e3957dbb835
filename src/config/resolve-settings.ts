/**
 * Turn the `dns`, `web`, `storage` and `log` sections into {@link Settings}: defaults applied,
 * addresses and URLs parsed, problems collected with their key paths.
 */
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import type { ConfigIssue } from '../errors.js';
import { parseCidr } from '../policy/cidr.js';
import { FILE_LIMITS, readNamedFileSync } from './named-file.js';
import { resolveEnforceSettings } from './enforce-settings.js';
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
  maxExemptionDays: 31,
} as const;

/** Reads a file the config names: a bounded read of a regular file, or the bytes loaded before. */
export type NamedFileReader = (path: string, limit: number) => Uint8Array;

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
 * headers) is ignored. A string is the problem: unreadable, not a regular file, too large, no
 * certificate, or an invalid one.
 */
export function readCaFile(path: string, readFile: NamedFileReader = readNamedFileSync): string[] | string {
  let text: string;
  try {
    text = Buffer.from(readFile(path, FILE_LIMITS.caFile)).toString('utf8');
  } catch (err) {
    return `cannot read the CA file "${path}": ${(err as Error).message}`;
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

/** A gateway name: what a host name may be, so that the default (the host name) always passes. */
const GATEWAY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** `storage.backend`, `url`, `passwordFile`, `gatewayName`: the shared store, checked before anything connects. */
function resolveSharedStorage(storage: NonNullable<Config['storage']>, baseDir: string, issues: ConfigIssue[]): Pick<Settings['storage'], 'backend' | 'url' | 'passwordFile' | 'gatewayName'> {
  const backend = storage.backend ?? 'sqlite';
  let url: string | null = null;
  if (storage.url !== undefined) {
    let parsed: URL | null = null;
    try { parsed = new URL(storage.url); } catch { parsed = null; }
    // The message never quotes the URL: it may carry a password.
    if (parsed === null || !['postgres:', 'postgresql:'].includes(parsed.protocol) || parsed.hostname === '') {
      issues.push({ path: ['storage', 'url'], message: 'invalid storage.url: expected postgres://user@host:port/database' });
    } else {
      url = storage.url;
    }
  } else if (backend === 'postgres') {
    issues.push({ path: ['storage', 'backend'], message: 'storage.backend is postgres but there is no storage.url: add postgres://user@host:port/database' });
  }
  const gatewayName = storage.gatewayName ?? hostname();
  // A default from an odd host name only matters once the name is written to a shared store.
  if (!GATEWAY_NAME.test(gatewayName) && (storage.gatewayName !== undefined || backend === 'postgres')) {
    issues.push({ path: ['storage', 'gatewayName'], message: `invalid gatewayName "${gatewayName}": use 1-63 of A-Z a-z 0-9 . _ -, starting with a letter or digit` });
  }
  const passwordFile = storage.passwordFile === undefined ? null : isAbsolute(storage.passwordFile) ? storage.passwordFile : resolve(baseDir, storage.passwordFile);
  return { backend: backend === 'postgres' && url !== null ? 'postgres' : 'sqlite', url: backend === 'postgres' ? url : null, passwordFile, gatewayName };
}

/** Resolve the runtime sections; `baseDir` anchors a relative storage path and the CA file. */
export function resolveSettings(config: Config, baseDir: string, issues: ConfigIssue[], readFile: NamedFileReader = readNamedFileSync): Settings {
  const dns = config.dns ?? {};
  const listen: HostPort[] = [];
  (dns.listen ?? DEFAULTS.dnsListen).forEach((text, i) => {
    const hp = parseHostPort(text);
    if (hp === null || isIP(hp.host) === 0) issues.push({ path: ['dns', 'listen', i], message: `invalid listen address "${text}": expected IP:port, such as "0.0.0.0:53" or "[::]:53"` });
    else listen.push(hp);
  });
  let extraCa: string[] | null = null;
  if (dns.upstreamCaFile !== undefined) {
    const certs = readCaFile(caFilePath(dns.upstreamCaFile, baseDir), readFile);
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
  const trustProxy = resolveTrustProxy(web.trustProxy, issues);
  const storagePath = config.storage?.path ?? DEFAULTS.storagePath;
  const shared = resolveSharedStorage(config.storage ?? {}, baseDir, issues);
  if (config.enforce !== undefined && config.answers?.enabled === false) {
    issues.push({ path: ['answers', 'enabled'], message: 'enforce reads the answer index (which addresses each client was given): answers.enabled cannot be false with an enforce section' });
  }
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
      trustProxy,
      sessionHours: web.sessionHours ?? DEFAULTS.sessionHours,
      maxExemptionDays: web.maxExemptionDays ?? DEFAULTS.maxExemptionDays,
    },
    storage: {
      path: isAbsolute(storagePath) ? storagePath : resolve(baseDir, storagePath),
      retentionDays: config.storage?.retentionDays ?? DEFAULTS.retentionDays,
      ...shared,
    },
    answers: {
      // Kept only where something reads it: each answer costs the DNS thread about a microsecond. On
      // the shared store another gateway's collector or enforcer may read the answers given here.
      enabled: config.answers?.enabled ?? (config.flows?.listen !== undefined || config.enforce !== undefined || shared.backend === 'postgres'),
      graceSeconds: config.answers?.graceSeconds ?? 3600,
      maxPerClient: config.answers?.maxPerClient ?? 2000,
      maxEntries: config.answers?.maxEntries ?? 1_000_000,
    },
    log: { level: config.log?.level ?? 'info' },
    flows: resolveFlowSettings(config.flows, issues, parseHostPort),
    probes: resolveProbeSettings(config.probes, issues),
    enforce: resolveEnforceSettings(config.enforce, baseDir, issues),
  };
}

/** The absolute path of `dns.upstreamCaFile`. */
export function caFilePath(path: string, baseDir: string): string {
  return isAbsolute(path) ? path : resolve(baseDir, path);
}

/**
 * `web.trustProxy`: the proxies' addresses or networks. A bare `true` would trust every hop, and so
 * whatever a client writes into X-Forwarded-For: it is refused with what to write instead.
 */
function resolveTrustProxy(value: boolean | string[] | undefined, issues: ConfigIssue[]): string[] {
  if (value === undefined || value === false) return [];
  if (value === true) {
    issues.push({ path: ['web', 'trustProxy'], message: 'trustProxy: true would trust every hop of X-Forwarded-For, which clients write themselves: list the reverse proxy\'s addresses instead, such as ["127.0.0.1"] or ["10.20.0.5", "10.20.0.6/31"]' });
    return [];
  }
  const out: string[] = [];
  value.forEach((text, i) => {
    const c = parseCidr(text.trim());
    if (c === null) issues.push({ path: ['web', 'trustProxy', i], message: `invalid proxy address "${text}": expected an IPv4/IPv6 address or CIDR such as 127.0.0.1 or 10.20.0.0/30` });
    else out.push(c.text.endsWith(c.v6 ? '/128' : '/32') ? c.text.slice(0, c.text.lastIndexOf('/')) : c.text);
  });
  return out;
}
