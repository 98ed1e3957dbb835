/**
 * DNS messages over a byte stream, TCP or TLS (RFC 1035 §4.2.2, RFC 7766 §8): each one behind a
 * two-byte length. One reader for the gateway's TCP clients and its TCP/TLS upstreams alike.
 */

const EMPTY = Buffer.alloc(0);

/** `message` behind its two-byte length, ready to write to a stream. */
export function frameMessage(message: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(message.length + 2);
  frame.writeUInt16BE(message.length, 0);
  message.copy(frame, 2);
  return frame;
}

/** Collects what a stream delivers and hands out whole messages; a partial one waits for the rest. */
export class FrameReader {
  #buf: Buffer = EMPTY;
  /** Whether `#buf` is a copy of its own rather than a view of a chunk the stream delivered. */
  #own = true;

  /** Add a chunk the stream delivered. */
  push(chunk: Buffer): void {
    if (this.#buf.length === 0) {
      this.#buf = chunk;
      this.#own = false;
    } else {
      this.#buf = Buffer.concat([this.#buf, chunk]);
      this.#own = true;
    }
  }

  /** The next whole message (a view of the bytes received), or null until more arrive. */
  next(): Buffer | null {
    const buf = this.#buf;
    if (buf.length >= 2) {
      const end = 2 + buf.readUInt16BE(0);
      if (buf.length >= end) {
        this.#buf = buf.subarray(end);
        return buf.subarray(2, end);
      }
    }
    // A partial message is kept as a copy, so that it does not pin the large chunk it came in.
    if (!this.#own) {
      this.#buf = buf.length === 0 ? EMPTY : Buffer.from(buf);
      this.#own = true;
    }
    return null;
  }
}
