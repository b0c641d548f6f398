// DNS exchanges over UDP and TCP with dns-packet. A response counts only when its id AND question
// (name, type, class; names case-insensitive) match a query in flight; anything else is a stray or
// spoofed packet and is ignored while the query keeps waiting for its own answer until the timeout.
import dgram from 'node:dgram';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import dnsPacket from 'dns-packet';
import type { DecodedPacket, Packet } from 'dns-packet';
import type { Outcome, Rcode, RecordType } from './contract.ts';
import { normalizeAnswers, normalizeName } from './answers.ts';
import { formatMs } from './expect.ts';

export interface Question {
  name: string;
  type: RecordType;
}

export interface Endpoint {
  address: string;
  port: number;
}

export interface ExchangeOptions {
  timeoutMs: number;
  /** EDNS0 UDP payload size to advertise; 0 sends no OPT record. */
  ednsUdpSize: number;
}

export type TransportOutcome = Extract<Outcome, 'timeout' | 'refused' | 'unreachable' | 'malformed' | 'io' | 'path'>;

/** What one exchange produced: a decoded, matching response, or a transport failure. */
export type Exchange =
  | { ok: true; rcode: Rcode; answers: string[]; truncated: boolean; latencyMs: number }
  | { ok: false; outcome: TransportOutcome; detail: string };

export const DEFAULT_EDNS_UDP_SIZE = 1232;

export function encodeQuery(id: number, q: Question, ednsUdpSize: number): Buffer {
  const packet: Packet = {
    type: 'query',
    id,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type: q.type, name: q.name, class: 'IN' }],
  };
  if (ednsUdpSize > 0) {
    // dns-packet's OptAnswer type wants every field; the encoder needs only these.
    packet.additionals = [{ type: 'OPT', name: '.', udpPayloadSize: ednsUdpSize } as dnsPacket.Answer];
  }
  return dnsPacket.encode(packet);
}

/** Encoded queries by question and EDNS size: a send copies one and writes its id (bytes 0–1). */
const encoded = new WeakMap<Question, Map<number, Buffer>>();

/** encodeQuery, from a per-question template: the encoder runs once per question, not once per send. */
export function encodeQueryCached(id: number, q: Question, ednsUdpSize: number): Buffer {
  let bySize = encoded.get(q);
  if (!bySize) encoded.set(q, (bySize = new Map()));
  let template = bySize.get(ednsUdpSize);
  if (!template) bySize.set(ednsUdpSize, (template = encodeQuery(0, q, ednsUdpSize)));
  const buf = Buffer.from(template);
  buf.writeUInt16BE(id, 0);
  return buf;
}

/**
 * Arrivals are timestamped in their socket callback and handled after the poll phase (setImmediate):
 * when several sockets are readable at once, each one's timestamp is taken before any answer is
 * decoded, so no latency includes the decoding of another's answer.
 */
const inbox: (() => void)[] = [];
let draining = false;

function drainInbox(): void {
  draining = false;
  for (const handle of inbox.splice(0)) handle();
}

function handleLater(handle: () => void): void {
  inbox.push(handle);
  if (!draining) {
    draining = true;
    setImmediate(drainInbox);
  }
}

/** True when `p` is a response to exactly this question (RFC 5452 §9.1: id, name, type, class). */
export function answersQuestion(p: DecodedPacket, id: number, q: Question): boolean {
  const asked = p.questions?.[0];
  return (
    p.type === 'response' &&
    p.id === id &&
    p.questions?.length === 1 &&
    asked !== undefined &&
    asked.type === q.type &&
    (asked.class ?? 'IN') === 'IN' &&
    normalizeName(asked.name) === normalizeName(q.name)
  );
}

/** Decodes a datagram; null when it is not a DNS message. */
export function decodeOrNull(buf: Buffer): DecodedPacket | null {
  try {
    return dnsPacket.decode(buf);
  } catch {
    return null;
  }
}

function answered(p: DecodedPacket, q: Question, latencyMs: number): Exchange {
  const rcode = (p as DecodedPacket & { rcode?: string }).rcode ?? 'NOERROR';
  return { ok: true, rcode, answers: normalizeAnswers(q.type, p.answers ?? []), truncated: p.flag_tc, latencyMs };
}

/** The code of a dial error that is the path's, not the target's (a tunnel the API server refused). */
export const PATH_ERROR_CODE = 'ESENTINELPATH';

/** A dial failure of the path to the target: its samples are outcome "path", with `message` as their detail. */
export function pathError(message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code: PATH_ERROR_CODE });
}

/** Maps a socket error to an outcome: ICMP port unreachable and TCP RST are "refused". */
export function classifySocketError(err: NodeJS.ErrnoException): { outcome: TransportOutcome; detail: string } {
  switch (err.code) {
    case PATH_ERROR_CODE:
      return { outcome: 'path', detail: err.message };
    case 'ECONNREFUSED':
      return { outcome: 'refused', detail: 'connection refused' };
    case 'ECONNRESET':
    case 'EPIPE':
      return { outcome: 'refused', detail: 'connection reset by the server' };
    case 'ENETUNREACH':
    case 'EHOSTUNREACH':
    case 'ENETDOWN':
    case 'EHOSTDOWN':
      return { outcome: 'unreachable', detail: `network unreachable (${err.code})` };
    default:
      return { outcome: 'io', detail: `socket error ${err.code ?? err.message}` };
  }
}

const timeout = (ms: number): Exchange => ({ ok: false, outcome: 'timeout', detail: `timeout after ${formatMs(ms)} ms` });

interface InFlight {
  question: Question;
  started: bigint;
  timer: NodeJS.Timeout;
  /** An undecodable datagram carried this query's id: reported if no valid answer follows. */
  malformed: boolean;
  resolve(result: Exchange): void;
}

type Failure = { outcome: TransportOutcome; detail: string };

/** The queries in flight on one socket, keyed by id; each ends once, by answer, failure or timeout. */
class Pending {
  private readonly entries = new Map<number, InFlight>();

  /**
   * Registers a query under a free id; `send(message)` puts `encode(id)` on the wire. The clock starts
   * after encoding, right before the send.
   */
  start(q: Question, timeoutMs: number, encode: (id: number) => Buffer, send: (message: Buffer) => void): Promise<Exchange> {
    return new Promise<Exchange>((resolve) => {
      const id = this.freeId();
      const message = encode(id);
      const entry: InFlight = {
        question: q,
        started: 0n,
        malformed: false,
        timer: setTimeout(() => {
          this.settle(id, entry.malformed ? { ok: false, outcome: 'malformed', detail: 'malformed response' } : timeout(timeoutMs));
        }, timeoutMs),
        resolve,
      };
      this.entries.set(id, entry);
      entry.started = process.hrtime.bigint();
      send(message);
    });
  }

  /** Settles the query a decoded message answers; strays and spoofs (no match) are ignored. */
  answer(p: DecodedPacket, received: bigint): void {
    const entry = p.id === undefined ? undefined : this.entries.get(p.id);
    if (!entry || !answersQuestion(p, p.id as number, entry.question)) return;
    this.settle(p.id as number, answered(p, entry.question, Number((received - entry.started) / 1000n) / 1000));
  }

  /** Remembers that garbage arrived carrying a query's id. */
  markMalformed(msg: Buffer): void {
    const entry = msg.length >= 2 ? this.entries.get(msg.readUInt16BE(0)) : undefined;
    if (entry) entry.malformed = true;
  }

  failAll(failure: Failure): void {
    for (const id of [...this.entries.keys()]) this.settle(id, { ok: false, ...failure });
  }

  private settle(id: number, result: Exchange): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    clearTimeout(entry.timer);
    this.entries.delete(id);
    entry.resolve(result);
  }

  private freeId(): number {
    for (;;) {
      const id = Math.floor(Math.random() * 0x10000);
      if (!this.entries.has(id)) return id;
    }
  }
}

/** Queries to one target over one transport. */
export interface Channel {
  query(q: Question, opts: ExchangeOptions): Promise<Exchange>;
  close(): void;
}

/**
 * One connected UDP socket per target, shared by all its queries (ids keep them apart). Connecting
 * makes the kernel deliver ICMP port unreachable as ECONNREFUSED and drop datagrams from any other
 * source address.
 */
export class UdpChannel implements Channel {
  private readonly socket: dgram.Socket;
  private readonly connected: Promise<NodeJS.ErrnoException | null>;
  private readonly pending = new Pending();

  constructor(endpoint: Endpoint) {
    this.socket = dgram.createSocket(net.isIPv6(endpoint.address) ? 'udp6' : 'udp4');
    this.socket.on('message', (msg) => {
      const received = process.hrtime.bigint();
      handleLater(() => {
        const p = decodeOrNull(msg);
        if (p === null) this.pending.markMalformed(msg);
        else this.pending.answer(p, received);
      });
    });
    // Errors after connecting come from recvmsg (an ICMP error for this socket): they concern the
    // target as a whole, so every query waiting on it ends with that error.
    this.socket.on('error', (err: NodeJS.ErrnoException) => handleLater(() => this.pending.failAll(classifySocketError(err))));
    // Node passes a connect error to the callback; @types/node declares it without arguments.
    const connect = this.socket.connect.bind(this.socket) as (port: number, address: string, cb: (err?: NodeJS.ErrnoException) => void) => void;
    this.connected = new Promise((resolve) => connect(endpoint.port, endpoint.address, (err) => resolve(err ?? null)));
  }

  async query(q: Question, opts: ExchangeOptions): Promise<Exchange> {
    const connectError = await this.connected;
    if (connectError) return { ok: false, ...classifySocketError(connectError) };
    return this.pending.start(q, opts.timeoutMs, (id) => encodeQueryCached(id, q, opts.ednsUdpSize), (message) =>
      // A send error is a pending ICMP error of an earlier datagram (Linux reports it once, to
      // whichever call comes first): like a recvmsg error it concerns every query to this target.
      this.socket.send(message, (err) => {
        if (err) this.pending.failAll(classifySocketError(err));
      }),
    );
  }

  close(): void {
    this.pending.failAll({ outcome: 'io', detail: 'socket closed' });
    try {
      this.socket.close();
    } catch {
      // already closed
    }
  }
}

/**
 * Opens the byte stream DNS-over-TCP runs on: a TCP connection, or a tunnel to the target (port-forward
 * mode, src/modes/portforward.ts). Errors shaped like socket errors are classified as such.
 */
export type Dial = (endpoint: Endpoint) => Duplex;

const dialTcp: Dial = (e) => net.connect({ host: e.address, port: e.port, noDelay: true });

/**
 * DNS over TCP to one target (2-byte length prefix, RFC 1035 §4.2.2), one connection reused and
 * pipelined by all its queries as RFC 7766 asks of clients (and as NodeLocal DNSCache does); a new
 * connection is opened when the previous one is gone. A query's latency runs from when it is ready
 * to send, so the first one on a connection includes the handshake. Over TCP every byte comes from
 * the server: an undecodable message fails the connection's queries as malformed at once.
 */
export class TcpChannel implements Channel {
  private connection: { socket: Duplex; pending: Pending } | null = null;

  constructor(
    private readonly endpoint: Endpoint,
    private readonly dial: Dial = dialTcp,
  ) {}

  query(q: Question, opts: ExchangeOptions): Promise<Exchange> {
    const live = this.connection && !this.connection.socket.destroyed ? this.connection : this.connect();
    const frame = (id: number): Buffer => {
      const query = encodeQueryCached(id, q, opts.ednsUdpSize);
      const framed = Buffer.allocUnsafe(query.length + 2);
      framed.writeUInt16BE(query.length, 0);
      query.copy(framed, 2);
      return framed;
    };
    return live.pending.start(q, opts.timeoutMs, frame, (framed) => live.socket.write(framed));
  }

  close(): void {
    const live = this.connection;
    this.connection = null;
    live?.pending.failAll({ outcome: 'io', detail: 'socket closed' });
    live?.socket.destroy();
  }

  /** A new connection with its own in-flight table; events are handled in order, after the poll phase. */
  private connect(): { socket: Duplex; pending: Pending } {
    const live = { socket: this.dial(this.endpoint), pending: new Pending() };
    const { socket, pending } = live;
    this.connection = live;
    let buffered: Buffer = Buffer.alloc(0);
    // Queries of a dead connection end with its error; later queries get a new connection.
    const drop = (failure: Failure): void => {
      if (this.connection === live) this.connection = null;
      socket.destroy();
      pending.failAll(failure);
    };
    const receive = (chunk: Buffer, received: bigint): void => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2) {
        const size = buffered.readUInt16BE(0);
        if (buffered.length < size + 2) return;
        const p = decodeOrNull(buffered.subarray(2, size + 2));
        buffered = buffered.subarray(size + 2);
        if (p === null) return drop({ outcome: 'malformed', detail: 'malformed response' });
        pending.answer(p, received);
      }
    };
    socket.on('error', (err: NodeJS.ErrnoException) => handleLater(() => drop(classifySocketError(err))));
    socket.on('close', () => handleLater(() => drop({ outcome: 'io', detail: 'connection closed without an answer' })));
    socket.on('data', (chunk: Buffer) => {
      const received = process.hrtime.bigint();
      handleLater(() => receive(chunk, received));
    });
    return live;
  }
}
