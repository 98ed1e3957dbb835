/**
 * The DNS gateway: UDP and TCP listeners on every `dns.listen` address, in front of the
 * {@link QueryHandler}. Building does no I/O; `start()` finds upstreams and binds, `stop()` closes.
 */
import { type BindOptions, createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import { lookup as dnsLookup, type LookupOneOptions } from 'node:dns';
import { createServer, isIP, isIPv6, type AddressInfo, type Server as TcpServer } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { DnsSettings, HostPort } from '../config/index.js';
import { ERROR_CODES, RambuError } from '../errors.js';
import type { Policy } from '../policy/index.js';
import { AnswerCache } from './answer-cache.js';
import { ClientFilter } from './client-filter.js';
import { shortenSlice } from './dns-priority.js';
import { createDnsStats, registerDnsMetrics, type DnsStats } from './dns-stats.js';
import { DEFAULT_UDP_SIZE } from './edns.js';
import { Forwarder, type UpstreamHealth } from './forwarder.js';
import { QueryHandler, type AnswerSink } from './query-handler.js';
import type { QueryLogEntry } from './query-log-entry.js';
import { RateLimiter } from './rate-limiter.js';
import { upstreamsFromResolvConf } from './resolv-conf.js';
import { TcpSession } from './tcp-session.js';
import { BatchUdpReader, loadUdpBatch } from './udp-batch.js';

export interface DnsServerOptions {
  settings: DnsSettings;
  /** The current policy; read for every query, so a reload takes effect at once. */
  getPolicy: () => Policy;
  /** Clock for policy decisions, TTL countdown and rate limits, epoch ms. @default Date.now */
  now?: () => number;
  onQuery?: (entry: QueryLogEntry) => void;
  /** Where each A/AAAA answer goes for the answer index (see {@link AnswerSink}). */
  onAnswer?: AnswerSink;
  logger: Logger;
  /** When given, `rambu_dns_*` metrics are registered on it. */
  registry?: Registry;
  /** Read when `settings.upstreams` is empty. @default '/etc/resolv.conf' */
  resolvConfPath?: string;
  /** Largest UDP answer sent, and the size advertised. @default 1232 */
  maxUdpSize?: number;
  /** @default 10000 */
  tcpIdleMs?: number;
  /** Client TCP connections at once; more are closed on arrival. @default 1000 */
  maxTcpConnections?: number;
  /** Unanswered queries per TCP connection before it stops being read. @default 64 */
  maxTcpPipeline?: number;
  /**
   * Answer UDP on these already bound sockets (file descriptors of another thread's server, from
   * `udpFds()`) instead of binding `settings.listen`; no TCP is served. Several threads reading one
   * socket share its queries, as the kernel hands each datagram to one reader.
   */
  attachUdpFds?: readonly SharedUdpSocket[];
}

/** A bound UDP socket another thread may read: its file descriptor and address family. */
export interface SharedUdpSocket {
  fd: number;
  family: 4 | 6;
}

export interface DnsServer {
  /** Bind every listen address; resolves with the bound addresses (useful with port 0). */
  start(): Promise<{ udp: AddressInfo[]; tcp: AddressInfo[] }>;
  stop(): Promise<void>;
  /** Live counters, updated in place. */
  readonly stats: DnsStats;
  /** Health of each upstream; empty before start. */
  upstreamHealth(): UpstreamHealth[];
  clearCache(): void;
  /**
   * File descriptors of the bound UDP sockets, for other threads' `attachUdpFds`; empty before
   * start, or when the runtime does not expose them.
   */
  udpFds(): SharedUdpSocket[];
  /** Whether UDP is read and answered in batches by the native reader (see udp-batch.ts). */
  udpBatched(): boolean;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string, family: number) => void;

/**
 * Answers go to the address each query came from, always an IP literal: hand it straight back.
 * The default lookup defers every send by a tick to report the same literal.
 */
function literalLookup(address: string, options: LookupOneOptions, callback: LookupCallback): void {
  const family = isIP(address);
  if (family !== 0) callback(null, address, family);
  else dnsLookup(address, options, callback);
}

/** A UDP socket bound to `at`: an address, or the descriptor of a socket another thread bound. */
function openUdp(type: 'udp4' | 'udp6', ipv6Only: boolean, at: BindOptions): Promise<UdpSocket> {
  return new Promise((resolve, reject) => {
    const sock = createSocket({ type, ipv6Only, lookup: literalLookup });
    const onError = (err: Error): void => {
      // A descriptor given to wrap belongs to the socket that bound it: closing ours would close it.
      if (at.fd === undefined) sock.close();
      reject(err);
    };
    sock.once('error', onError);
    sock.bind(at, () => {
      sock.off('error', onError);
      resolve(sock);
    });
  });
}

function listenTcp(server: TcpServer, host: string, port: number, ipv6Only: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen({ host, port, ipv6Only }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/**
 * The libuv handle under a UDP socket. node:dgram keeps it under a symbol and documents neither it
 * nor its `fd` and `recvStop`: null when they are not there.
 */
interface UdpHandle {
  fd: number;
  recvStart: () => number;
  recvStop: () => number;
}

function udpHandle(sock: UdpSocket): UdpHandle | null {
  for (const key of Object.getOwnPropertySymbols(sock)) {
    const state: unknown = (sock as unknown as Record<symbol, unknown>)[key];
    if (typeof state !== 'object' || state === null || !('handle' in state)) continue;
    const handle = state.handle as { fd?: unknown; recvStart?: unknown; recvStop?: unknown } | null;
    if (handle === null || typeof handle !== 'object') continue;
    const fd = handle.fd;
    if (typeof fd === 'number' && Number.isInteger(fd) && fd >= 0 && typeof handle.recvStop === 'function' && typeof handle.recvStart === 'function') {
      return handle as UdpHandle;
    }
  }
  return null;
}

function sharedUdp(sock: UdpSocket): SharedUdpSocket | null {
  const handle = udpHandle(sock);
  return handle === null ? null : { fd: handle.fd, family: sock.address().family === 'IPv6' ? 6 : 4 };
}

function closeUdp(sock: UdpSocket): Promise<void> {
  return new Promise((resolve) => {
    try { sock.close(() => resolve()); } catch { resolve(); }
  });
}

/**
 * Build the DNS gateway. Nothing is read or bound until `start()`, which takes the upstreams from
 * `settings.upstreams` or, when that is empty, from resolv.conf (NO_UPSTREAM when none is usable),
 * and binds UDP and TCP on the same port for every listen address (LISTEN_FAILED otherwise).
 */
export function createDnsServer(options: DnsServerOptions): DnsServer {
  const settings = options.settings;
  const stats = createDnsStats();
  const log = options.logger.child({ subsystem: 'dns' });
  const now = options.now ?? Date.now;
  const maxUdpSize = options.maxUdpSize ?? DEFAULT_UDP_SIZE;
  const cache = new AnswerCache(settings.cache.size, { serveStale: settings.cache.serveStale });
  const clients = new ClientFilter(settings.allowFrom);
  const rateLimiter = new RateLimiter({ qps: settings.rateLimit.qps, burst: settings.rateLimit.burst });
  if (options.registry !== undefined) registerDnsMetrics(stats, options.registry);
  const udpSockets: UdpSocket[] = [];
  const batchReaders: BatchUdpReader[] = [];
  const batch = settings.udpBatch ? loadUdpBatch() : { binding: null, reason: 'dns.udpBatch is false' };
  const tcpServers: TcpServer[] = [];
  const sessions = new Set<TcpSession>();
  let forwarder: Forwarder | null = null;
  let running = false;

  /**
   * Answer the socket bound at `fd` in batches through the native reader; false when it is not
   * available, and the caller reads with node:dgram instead.
   */
  function serveBatched(fd: number, handler: QueryHandler): boolean {
    if (batch.binding === null) return false;
    const onError = (err: unknown): void => log.error({ err }, 'query handler failed');
    try {
      batchReaders.push(new BatchUdpReader(batch.binding, fd, (packet, client) => (running ? handler.handle(packet, client, 'udp') : null), stats, onError));
      return true;
    } catch (err) {
      log.warn({ err }, 'batched UDP reader not attached; reading with node:dgram');
      return false;
    }
  }

  function serveUdp(sock: UdpSocket, handler: QueryHandler): void {
    sock.on('error', (err) => log.warn({ err }, 'udp socket error'));
    const handle = udpHandle(sock);
    if (handle !== null && batch.binding !== null) {
      // node:dgram stops reading; the native reader reads a duplicate of its descriptor.
      handle.recvStop();
      if (serveBatched(handle.fd, handler)) return;
      handle.recvStart();
    }
    const reply = (answer: Buffer | null, rinfo: RemoteInfo): void => {
      if (answer === null || !running) return;
      try {
        sock.send(answer, rinfo.port, rinfo.address);
      } catch (err) {
        log.debug({ err }, 'udp send failed');
      }
    };
    sock.on('message', (packet: Buffer, rinfo: RemoteInfo) => {
      let result: Buffer | null | Promise<Buffer | null>;
      try {
        result = handler.handle(packet, rinfo.address, 'udp');
      } catch (err) {
        log.error({ err }, 'query handler threw');
        return;
      }
      if (result === null || Buffer.isBuffer(result)) reply(result, rinfo);
      else result.then((answer) => reply(answer, rinfo), (err: unknown) => log.error({ err }, 'query handler failed'));
    });
  }

  function makeTcpServer(handler: QueryHandler): TcpServer {
    const maxConnections = options.maxTcpConnections ?? 1000;
    const sessionOptions = { idleMs: options.tcpIdleMs ?? 10_000, maxPipeline: options.maxTcpPipeline ?? 64 };
    const server = createServer((socket) => {
      if (sessions.size >= maxConnections) {
        socket.destroy();
        return;
      }
      const session = new TcpSession(socket, handler, sessionOptions, stats, log);
      sessions.add(session);
      stats.tcpConnections = sessions.size;
      socket.on('close', () => {
        sessions.delete(session);
        stats.tcpConnections = sessions.size;
      });
    });
    server.on('error', (err) => log.warn({ err }, 'tcp server error'));
    return server;
  }

  async function bindPair(listen: HostPort, ipv6Only: boolean, handler: QueryHandler): Promise<void> {
    const host = listen.host.replace(/^\[(.*)\]$/, '$1');
    // With port 0, TCP must land on the port UDP got (clients retry a truncated answer there).
    for (let attempt = 0; ; attempt++) {
      let udp: UdpSocket;
      try {
        udp = await openUdp(isIPv6(host) ? 'udp6' : 'udp4', ipv6Only, { port: listen.port, address: host });
      } catch (err) {
        throw new RambuError(ERROR_CODES.LISTEN_FAILED, `cannot listen on udp ${host}:${listen.port}: ${(err as Error).message}`, { cause: err });
      }
      const port = udp.address().port;
      const tcp = makeTcpServer(handler);
      try {
        await listenTcp(tcp, host, port, ipv6Only);
      } catch (err) {
        await closeUdp(udp);
        if (listen.port === 0 && (err as NodeJS.ErrnoException).code === 'EADDRINUSE' && attempt < 20) continue;
        throw new RambuError(ERROR_CODES.LISTEN_FAILED, `cannot listen on tcp ${host}:${port}: ${(err as Error).message}`, { cause: err });
      }
      serveUdp(udp, handler);
      udpSockets.push(udp);
      tcpServers.push(tcp);
      return;
    }
  }

  async function stop(): Promise<void> {
    running = false;
    // Pooled TCP/TLS upstream connections end here; queries still waiting on them fail.
    forwarder?.close();
    for (const s of sessions) s.close();
    sessions.clear();
    for (const reader of batchReaders.splice(0)) reader.close();
    if (options.attachUdpFds !== undefined) {
      // The descriptors belong to the server that bound them: stop reading, never close them.
      for (const sock of udpSockets.splice(0)) {
        sock.removeAllListeners('message');
        udpHandle(sock)?.recvStop();
      }
      return;
    }
    await Promise.all(udpSockets.splice(0).map(closeUdp));
    await Promise.all(tcpServers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }

  return {
    stats,
    upstreamHealth: () => (forwarder === null ? [] : forwarder.health()),
    clearCache: () => cache.clear(),
    udpFds: () => {
      const shared = udpSockets.map(sharedUdp);
      return shared.every((x) => x !== null) ? shared as SharedUdpSocket[] : [];
    },
    udpBatched: () => batchReaders.length > 0,
    stop,
    async start() {
      if (running) throw new RambuError(ERROR_CODES.LISTEN_FAILED, 'DNS server is already running');
      const upstreams = settings.upstreams.length > 0
        ? settings.upstreams
        : await upstreamsFromResolvConf(options.resolvConfPath ?? '/etc/resolv.conf', settings.listen);
      forwarder = new Forwarder({ upstreams, timeoutMs: settings.timeoutMs, udpSize: maxUdpSize, stats, logger: log });
      const handler = new QueryHandler({
        settings, getPolicy: options.getPolicy, now, onQuery: options.onQuery, onAnswer: options.onAnswer, logger: log, stats,
        forwarder, cache, clients, rateLimiter, maxUdpSize,
      });
      running = true;
      // This thread answers DNS from now on: let it preempt longer-running threads when it wakes.
      const slice = shortenSlice();
      const sliceText = slice.kind === 'short' ? `${slice.ns / 1000} µs` : `default (${slice.reason})`;
      if (options.attachUdpFds !== undefined) {
        log.debug({ slice: sliceText }, 'dns thread reading the shared sockets');
        try {
          for (const shared of options.attachUdpFds) {
            if (serveBatched(shared.fd, handler)) continue;
            const sock = await openUdp(shared.family === 6 ? 'udp6' : 'udp4', false, { fd: shared.fd });
            serveUdp(sock, handler);
            udpSockets.push(sock);
          }
        } catch (err) {
          running = false;
          throw new RambuError(ERROR_CODES.LISTEN_FAILED, `cannot read the shared udp sockets: ${(err as Error).message}`, { cause: err });
        }
        return { udp: udpSockets.map((s) => s.address()), tcp: [] };
      }
      try {
        for (const listen of settings.listen) {
          const host = listen.host.replace(/^\[(.*)\]$/, '$1');
          // A v6 wildcard next to a v4 wildcard on the same port must leave IPv4 to the other socket.
          const ipv6Only = host === '::' && settings.listen.some((l) => l.host === '0.0.0.0' && l.port === listen.port);
          await bindPair(listen, ipv6Only, handler);
        }
      } catch (err) {
        await stop();
        throw err;
      }
      log.info({
        listen: settings.listen, upstreams: upstreams.map((u) => u.label),
        udp: batchReaders.length > 0 ? 'batched (recvmmsg/sendmmsg)' : `node:dgram${batch.reason === null ? '' : ` (${batch.reason})`}`,
        slice: sliceText,
      }, 'dns gateway listening');
      return {
        udp: udpSockets.map((s) => s.address()),
        tcp: tcpServers.map((s) => s.address() as AddressInfo),
      };
    },
  };
}
