/**
 * DNS traffic from several loopback client addresses (127.0.0.x), over UDP and TCP, that remembers
 * what each client asked and what it received, for tests that hold the query log to it.
 */
import { createSocket, type Socket } from 'node:dgram';
import { connect } from 'node:net';
import { decodeMessage, rcodeName, rcodeOf, typeName } from '../../src/dns/index.js';
import { buildQuery, dig } from '../dns/dns-test-kit.js';

/** One query a client sent and, once answered, what it got. */
export interface Sent {
  client: string;
  name: string;
  /** Type name as the log spells it (A, AAAA, TYPE65290). */
  type: string;
  transport: 'udp' | 'tcp' | 'dig';
  /** Epoch ms just before sending and on receipt. */
  sentAt: number;
  answeredAt: number | null;
  rcode: string | null;
}

/** A question to ask: name and numeric type. */
export interface Question {
  name: string;
  type: number;
}

/**
 * Ask `questions` over UDP from `client`, at most `window` unanswered at a time. A reply that comes
 * after the wait for it gave up still counts when it arrives before the socket closes (`close()`),
 * so that "answered" means what the client received. `close()` also ends every wait at once, so
 * that a test can stop asking a server it killed.
 */
export function udpClient(port: number, client: string): { ask(questions: Question[], window?: number): Promise<Sent[]>; close(): Promise<void> } {
  const socket: Socket = createSocket('udp4');
  const bound = new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, client, () => resolve());
  });
  const pending = new Map<number, { sent: Sent; done: () => void }>();
  let nextId = 1;
  let closed = false;
  socket.on('message', (msg) => {
    const id = msg.readUInt16BE(0);
    const p = pending.get(id);
    if (p === undefined) return;
    pending.delete(id);
    p.sent.answeredAt = Date.now();
    p.sent.rcode = rcodeName(rcodeOf(decodeMessage(msg).flags));
    p.done();
  });
  const one = (q: Question, all: Sent[]): Promise<void> => new Promise((resolve) => {
    const id = nextId++ & 0xffff;
    const sent: Sent = { client, name: q.name, type: typeName(q.type), transport: 'udp', sentAt: Date.now(), answeredAt: null, rcode: null };
    all.push(sent);
    const timer = setTimeout(resolve, 3_000);
    pending.set(id, { sent, done: () => { clearTimeout(timer); resolve(); } });
    socket.send(buildQuery(q.name, q.type, { id }), port, '127.0.0.1');
  });
  return {
    async ask(questions, window = 16) {
      await bound;
      const all: Sent[] = [];
      let at = 0;
      const lane = async (): Promise<void> => {
        while (at < questions.length && !closed) await one(questions[at++]!, all);
      };
      await Promise.all(Array.from({ length: window }, lane));
      return all;
    },
    /** Stop asking (what is unanswered stays so) and close the socket. */
    close: () => {
      closed = true;
      for (const p of pending.values()) p.done();
      pending.clear();
      return new Promise<void>((resolve) => socket.close(() => resolve()));
    },
  };
}

/** Ask `questions` over one TCP connection from `client`, all pipelined; resolves once all are answered or 5 s passed. */
export function tcpAsk(port: number, client: string, questions: Question[]): Promise<Sent[]> {
  return new Promise((resolve, reject) => {
    const sock = connect({ port, host: '127.0.0.1', localAddress: client });
    const byId = new Map<number, Sent>();
    const all: Sent[] = [];
    let answered = 0;
    let buffered = Buffer.alloc(0);
    const finish = (): void => { clearTimeout(timer); sock.destroy(); resolve(all); };
    const timer = setTimeout(finish, 5_000);
    sock.on('error', reject);
    sock.on('connect', () => {
      const frames = questions.map((q, i) => {
        const sent: Sent = { client, name: q.name, type: typeName(q.type), transport: 'tcp', sentAt: Date.now(), answeredAt: null, rcode: null };
        all.push(sent);
        byId.set(i + 1, sent);
        const message = buildQuery(q.name, q.type, { id: i + 1 });
        const length = Buffer.alloc(2);
        length.writeUInt16BE(message.length);
        return Buffer.concat([length, message]);
      });
      sock.write(Buffer.concat(frames));
    });
    sock.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2 && buffered.length >= buffered.readUInt16BE(0) + 2) {
        const message = buffered.subarray(2, buffered.readUInt16BE(0) + 2);
        buffered = buffered.subarray(message.length + 2);
        const sent = byId.get(message.readUInt16BE(0));
        if (sent === undefined || sent.rcode !== null) continue;
        sent.answeredAt = Date.now();
        sent.rcode = rcodeName(rcodeOf(decodeMessage(message).flags));
        if (++answered === questions.length) finish();
      }
    });
  });
}

/** Ask one question with the real `dig`, from `client`. */
export async function digAsk(port: number, client: string, q: Question): Promise<Sent> {
  const type = typeName(q.type);
  const sent: Sent = { client, name: q.name, type, transport: 'dig', sentAt: Date.now(), answeredAt: null, rcode: null };
  const result = await dig(port, ['-b', client, q.name, type]);
  if (result.status !== 'NONE') {
    sent.answeredAt = Date.now();
    sent.rcode = result.status;
  }
  return sent;
}
