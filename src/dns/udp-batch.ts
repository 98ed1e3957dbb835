/**
 * Batched UDP for the DNS gateway: the native reader in native/udp-batch.c takes up to 64
 * datagrams per recvmmsg(2) into memory shared with this thread, {@link BatchUdpReader} answers
 * each one in turn into the answer slots, and the reader sends them with one sendmmsg(2). An answer
 * that needs an upstream goes out later on its own. Where the reader was not built (no C compiler at
 * install time, or not Linux), {@link loadUdpBatch} says why and the server uses node:dgram.
 */
import { addonPath, loadAddon, type LoadedAddon } from '../native-addons.js';
import { formatIPv4, formatIPv6 } from './ip-address.js';

/** The reader's shared memory, as native/udp-batch.c lays it out. */
interface BatchMemory {
  handle: object;
  packets: ArrayBuffer;
  answers: ArrayBuffer;
  meta: ArrayBuffer;
  addresses: ArrayBuffer;
  counters: ArrayBuffer;
  batch: number;
  inSlot: number;
  outSlot: number;
  addressSlot: number;
}

export interface UdpBatchBinding {
  attach(fd: number, onBatch: (count: number) => void): BatchMemory;
  send(handle: object, data: Uint8Array, address: Uint8Array, addressLength: number): boolean;
  close(handle: object): void;
}

/** Where `npm run build` puts the compiled reader. */
export const UDP_BATCH_PATH = addonPath('udp-batch');

/** The native reader, or null with the reason it is not available. Loaded once per thread. */
export function loadUdpBatch(): LoadedAddon<UdpBatchBinding> {
  return loadAddon<UdpBatchBinding>('udp-batch');
}

const AF_INET = 2;
const AF_INET6 = 10;
const META = 4;
const C_DROPPED = 2;
const C_OVERSIZE = 3;

/**
 * Answers a datagram from `client` (an IP address; IPv4-mapped IPv6 senders as plain IPv4): the
 * answer's bytes, null for no answer, or a promise of either. `packet` is only valid during the
 * call: its memory holds the next batch afterwards.
 */
export type DatagramHandler = (packet: Buffer, client: string) => Buffer | null | Promise<Buffer | null>;

export interface BatchUdpCounters {
  udpDropped: number;
  udpOversize: number;
}

/** One socket read and answered in batches. */
export class BatchUdpReader {
  readonly #binding: UdpBatchBinding;
  readonly #handle: object;
  readonly #handler: DatagramHandler;
  readonly #onError: (err: unknown) => void;
  readonly #stats: BatchUdpCounters;
  readonly #packets: Buffer;
  readonly #answers: Buffer;
  readonly #meta: Int32Array;
  readonly #addresses: Buffer;
  readonly #counters: Float64Array;
  readonly #inSlot: number;
  readonly #outSlot: number;
  readonly #addressSlot: number;
  /** Counter values already added to `stats`. */
  #seenDropped = 0;
  #seenOversize = 0;
  /** IPv4 senders' text by address, so a datagram costs no string building. */
  readonly #ipv4 = new Map<number, string>();
  #closed = false;

  /**
   * Reads the bound UDP socket `fd` (a duplicate of it: the caller keeps its descriptor and
   * closes it after {@link close}). Throws when the native reader cannot attach.
   */
  constructor(binding: UdpBatchBinding, fd: number, handler: DatagramHandler, stats: BatchUdpCounters, onError: (err: unknown) => void) {
    this.#binding = binding;
    this.#handler = handler;
    this.#onError = onError;
    this.#stats = stats;
    const m = binding.attach(fd, (count) => this.#onBatch(count));
    this.#handle = m.handle;
    this.#packets = Buffer.from(m.packets);
    this.#answers = Buffer.from(m.answers);
    this.#meta = new Int32Array(m.meta);
    this.#addresses = Buffer.from(m.addresses);
    this.#counters = new Float64Array(m.counters);
    this.#inSlot = m.inSlot;
    this.#outSlot = m.outSlot;
    this.#addressSlot = m.addressSlot;
  }

  /** Stop reading; answers still pending upstream are not sent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#syncCounters();
    this.#binding.close(this.#handle);
  }

  #onBatch(count: number): void {
    this.#syncCounters();
    const meta = this.#meta;
    for (let i = 0; i < count && !this.#closed; i++) {
      const length = meta[i * META]!;
      if (length < 0) continue;
      const at = i * this.#inSlot;
      const packet = this.#packets.subarray(at, at + length);
      let answer: Buffer | null | Promise<Buffer | null>;
      try {
        answer = this.#handler(packet, this.#client(i));
      } catch (err) {
        this.#onError(err);
        continue;
      }
      if (answer === null) continue;
      if (Buffer.isBuffer(answer)) {
        if (answer.length > this.#outSlot) {
          this.#stats.udpDropped++;
          continue;
        }
        answer.copy(this.#answers, i * this.#outSlot);
        meta[i * META + 1] = answer.length;
        continue;
      }
      const from = i * this.#addressSlot;
      const address = Uint8Array.prototype.slice.call(this.#addresses, from, from + this.#addressSlot);
      const addressLength = meta[i * META + 2]!;
      answer.then((late) => {
        if (late === null || this.#closed) return;
        this.#binding.send(this.#handle, late, address, addressLength);
        this.#syncCounters();
      }, this.#onError);
    }
  }

  #syncCounters(): void {
    const dropped = this.#counters[C_DROPPED]!;
    const oversize = this.#counters[C_OVERSIZE]!;
    this.#stats.udpDropped += dropped - this.#seenDropped;
    this.#stats.udpOversize += oversize - this.#seenOversize;
    this.#seenDropped = dropped;
    this.#seenOversize = oversize;
  }

  /** The sender of slot `i` as text, as node:dgram would give it (without a link-local zone). */
  #client(i: number): string {
    const a = this.#addresses;
    const at = i * this.#addressSlot;
    const family = a[at]! | (a[at + 1]! << 8);
    if (family === AF_INET) return this.#ipv4Text(at + 4);
    if (family !== AF_INET6) return '';
    const words = at + 8;
    if (a.readUInt32BE(words) === 0 && a.readUInt32BE(words + 4) === 0 && a.readUInt32BE(words + 8) === 0xffff) {
      return this.#ipv4Text(words + 12);
    }
    return formatIPv6(a, words);
  }

  /** The IPv4 address at byte `at` of the address slots as text, cached by its value. */
  #ipv4Text(at: number): string {
    const ip = this.#addresses.readUInt32BE(at);
    let text = this.#ipv4.get(ip);
    if (text === undefined) {
      if (this.#ipv4.size >= 65_536) this.#ipv4.clear();
      text = formatIPv4(this.#addresses, at);
      this.#ipv4.set(ip, text);
    }
    return text;
  }
}
