// DNS exchanges over UDP and TCP with dns-packet. A response counts only when its id AND question
// (name, type, class; names case-insensitive) match a query in flight; anything else is a stray or
// spoofed packet and is ignored while the query keeps waiting for its own answer until the timeout.
import dgram from 'node:dgram';
import net from 'node:net';
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

export type TransportOutcome = Extract<Outcome, 'timeout' | 'refused' | 'unreachable' | 'malformed' | 'io'>;

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

/** Maps a socket error to an outcome: ICMP port unreachable and TCP RST are "refused". */
export function classifySocketError(err: NodeJS.ErrnoException): { outcome: TransportOutcome; detail: string } {
  switch (err.code) {
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

const elapsedMs = (start: bigint): number => Number((process.hrtime.bigint() - start) / 1000n) / 1000;

interface InFlight {
  question: Question;
  started: bigint;
  timer: NodeJS.Timeout;
  /** An undecodable datagram carried this query's id: reported if no valid answer follows. */
  malformed: boolean;
  settle(result: Exchange): void;
}

/**
 * One connected UDP socket per target, shared by all its queries (ids keep them apart). Connecting
 * makes the kernel deliver ICMP port unreachable as ECONNREFUSED and drop datagrams from any other
 * source address.
 */
export class UdpChannel {
  private readonly socket: dgram.Socket;
  private readonly connected: Promise<NodeJS.ErrnoException | null>;
  private readonly inFlight = new Map<number, InFlight>();

  constructor(endpoint: Endpoint) {
    this.socket = dgram.createSocket(net.isIPv6(endpoint.address) ? 'udp6' : 'udp4');
    this.socket.on('message', (msg) => this.onMessage(msg));
    // Errors after connecting come from recvmsg (an ICMP error for this socket): they concern the
    // target as a whole, so every query waiting on it ends with that error.
    this.socket.on('error', (err: NodeJS.ErrnoException) => this.failAll(classifySocketError(err)));
    // Node passes a connect error to the callback; @types/node declares it without arguments.
    const connect = this.socket.connect.bind(this.socket) as (port: number, address: string, cb: (err?: NodeJS.ErrnoException) => void) => void;
    this.connected = new Promise((resolve) => connect(endpoint.port, endpoint.address, (err) => resolve(err ?? null)));
  }

  async query(q: Question, opts: ExchangeOptions): Promise<Exchange> {
    const connectError = await this.connected;
    if (connectError) return { ok: false, ...classifySocketError(connectError) };
    const id = this.freeId();
    const packet = encodeQuery(id, q, opts.ednsUdpSize);
    return new Promise<Exchange>((resolve) => {
      const entry: InFlight = {
        question: q,
        started: process.hrtime.bigint(),
        malformed: false,
        timer: setTimeout(() => {
          entry.settle(entry.malformed ? { ok: false, outcome: 'malformed', detail: 'malformed response' } : timeout(opts.timeoutMs));
        }, opts.timeoutMs),
        settle: (result) => {
          clearTimeout(entry.timer);
          this.inFlight.delete(id);
          resolve(result);
        },
      };
      this.inFlight.set(id, entry);
      // A send error is a pending ICMP error of an earlier datagram (Linux reports it once, to
      // whichever call comes first): like a recvmsg error it concerns every query to this target.
      this.socket.send(packet, (err) => {
        if (err) this.failAll(classifySocketError(err));
      });
    });
  }

  close(): void {
    this.failAll({ outcome: 'io', detail: 'socket closed' });
    try {
      this.socket.close();
    } catch {
      // already closed
    }
  }

  private onMessage(msg: Buffer): void {
    const received = process.hrtime.bigint();
    const p = decodeOrNull(msg);
    if (p === null) {
      const entry = msg.length >= 2 ? this.inFlight.get(msg.readUInt16BE(0)) : undefined;
      if (entry) entry.malformed = true;
      return;
    }
    const entry = p.id === undefined ? undefined : this.inFlight.get(p.id);
    if (!entry || !answersQuestion(p, p.id as number, entry.question)) return;
    entry.settle(answered(p, entry.question, Number((received - entry.started) / 1000n) / 1000));
  }

  private failAll(failure: { outcome: TransportOutcome; detail: string }): void {
    for (const entry of [...this.inFlight.values()]) entry.settle({ ok: false, ...failure });
  }

  private freeId(): number {
    for (;;) {
      const id = Math.floor(Math.random() * 0x10000);
      if (!this.inFlight.has(id)) return id;
    }
  }
}

/**
 * One query over a fresh TCP connection (2-byte length prefix, RFC 1035 §4.2.2). Latency includes
 * the handshake, as a client on TCP experiences it. Over TCP every byte comes from the server, so an
 * undecodable message is malformed at once.
 */
export function queryTcp(endpoint: Endpoint, q: Question, opts: ExchangeOptions): Promise<Exchange> {
  const id = Math.floor(Math.random() * 0x10000);
  const query = encodeQuery(id, q, opts.ednsUdpSize);
  const framed = Buffer.alloc(query.length + 2);
  framed.writeUInt16BE(query.length, 0);
  query.copy(framed, 2);

  return new Promise<Exchange>((resolve) => {
    const started = process.hrtime.bigint();
    const socket = net.connect({ host: endpoint.address, port: endpoint.port, noDelay: true });
    let buffered: Buffer = Buffer.alloc(0);
    let done = false;
    const settle = (result: Exchange): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => settle(timeout(opts.timeoutMs)), opts.timeoutMs);

    socket.on('connect', () => socket.write(framed));
    socket.on('error', (err: NodeJS.ErrnoException) => settle({ ok: false, ...classifySocketError(err) }));
    socket.on('close', () => settle({ ok: false, outcome: 'io', detail: 'connection closed without an answer' }));
    socket.on('data', (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      while (!done && buffered.length >= 2) {
        const size = buffered.readUInt16BE(0);
        if (buffered.length < size + 2) return;
        const message = buffered.subarray(2, size + 2);
        buffered = buffered.subarray(size + 2);
        const p = decodeOrNull(message);
        if (p === null) settle({ ok: false, outcome: 'malformed', detail: 'malformed response' });
        else if (answersQuestion(p, id, q)) settle(answered(p, q, elapsedMs(started)));
      }
    });
  });
}
