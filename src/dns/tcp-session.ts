/**
 * One client TCP connection (RFC 7766): 2-byte length-prefixed messages, several queries per
 * connection, answered as each is ready (out of order when pipelined), closed after an idle time.
 */
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { DnsStats } from './dns-stats.js';
import type { QueryHandler } from './query-handler.js';
import { FrameReader } from './stream-frames.js';

export interface TcpSessionOptions {
  /** Close the connection after this long without a query or an answer in progress. */
  idleMs: number;
  /** Stop reading while this many queries of the connection are unanswered. */
  maxPipeline: number;
}

export class TcpSession {
  readonly #socket: Socket;
  readonly #handler: QueryHandler;
  readonly #options: TcpSessionOptions;
  readonly #stats: DnsStats;
  readonly #log: Logger;
  readonly #client: string;
  readonly #frames = new FrameReader();
  #inflight = 0;
  #paused = false;

  constructor(socket: Socket, handler: QueryHandler, options: TcpSessionOptions, stats: DnsStats, logger: Logger) {
    this.#socket = socket;
    this.#handler = handler;
    this.#options = options;
    this.#stats = stats;
    this.#log = logger;
    this.#client = socket.remoteAddress ?? '';
    socket.setNoDelay(true);
    socket.setTimeout(options.idleMs);
    socket.on('timeout', () => {
      if (this.#inflight === 0) socket.destroy();
    });
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (err) => this.#log.debug({ err: err.message, client: this.#client }, 'tcp client error'));
  }

  close(): void {
    this.#socket.destroy();
  }

  #onData(chunk: Buffer): void {
    const frames = this.#frames;
    frames.push(chunk);
    for (let frame = frames.next(); frame !== null; frame = frames.next()) this.#query(frame);
    if (this.#inflight >= this.#options.maxPipeline && !this.#paused) {
      this.#paused = true;
      this.#socket.pause();
    }
  }

  #query(frame: Buffer): void {
    let result: Buffer | null | Promise<Buffer | null>;
    try {
      result = this.#handler.handle(frame, this.#client, 'tcp');
    } catch (err) {
      this.#log.error({ err }, 'query handler threw');
      return;
    }
    if (result === null) return;
    if (Buffer.isBuffer(result)) { this.#send(result); return; }
    this.#inflight++;
    result.then((answer) => {
      this.#inflight--;
      if (answer !== null) this.#send(answer);
      if (this.#paused && this.#inflight < this.#options.maxPipeline) {
        this.#paused = false;
        this.#socket.resume();
      }
    }, (err: unknown) => {
      this.#inflight--;
      this.#log.error({ err }, 'query handler failed');
    });
  }

  #send(answer: Buffer): void {
    if (this.#socket.destroyed || !this.#socket.writable) return;
    const prefix = Buffer.allocUnsafe(2);
    prefix.writeUInt16BE(answer.length, 0);
    this.#socket.cork();
    this.#socket.write(prefix);
    this.#socket.write(answer);
    this.#socket.uncork();
  }
}
