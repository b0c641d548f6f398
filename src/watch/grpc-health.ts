// grpc.health.v1 on the metrics port, beside HTTP/1.1: a Kubernetes `grpc:` probe (HTTP/2 cleartext
// with prior knowledge) and `httpGet: /healthz` both work against one container port. A connection
// opening with the HTTP/2 preface goes to an HTTP/2 server answering Health/Check from the same
// health function as /healthz; anything else goes to the HTTP/1.1 server. The two messages are tiny
// protobufs, encoded here: HealthCheckRequest { string service = 1 } and HealthCheckResponse
// { ServingStatus status = 1 } (SERVING = 1, NOT_SERVING = 2).
import http2 from 'node:http2';
import net from 'node:net';
import { Duplex } from 'node:stream';
import type { Server } from 'node:http';
import type { Health } from './server.ts';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
export const HEALTH_CHECK_PATH = '/grpc.health.v1.Health/Check';
/** The service names this server knows: "" (the whole server, the probe's default) and ours. */
export const GRPC_SERVICES = ['', 'coredns-sentinel'];

const SERVING = 1;
const NOT_SERVING = 2;
const GRPC = { ok: 0, invalidArgument: 3, notFound: 5, unimplemented: 12 } as const;

/** The `service` field of a HealthCheckRequest; null when the bytes are not one. */
export function decodeHealthRequest(msg: Buffer): string | null {
  let service = '';
  let i = 0;
  const varint = (): number | null => {
    let v = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (i >= msg.length) return null;
      const b = msg[i++]!;
      v += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return v;
    }
    return null;
  };
  while (i < msg.length) {
    const tag = varint();
    if (tag === null) return null;
    const wire = tag & 7;
    if (wire === 2) {
      const len = varint();
      if (len === null || i + len > msg.length) return null;
      if (tag >>> 3 === 1) service = msg.subarray(i, i + len).toString('utf8');
      i += len;
    } else if (wire === 0) {
      if (varint() === null) return null;
    } else return null;
  }
  return service;
}

/** One gRPC message (uncompressed) carrying HealthCheckResponse { status }. */
export const encodeHealthResponse = (status: number): Buffer => Buffer.from([0, 0, 0, 0, 2, 0x08, status]);

function answerStream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, health: () => Health): void {
  const end = (grpcStatus: number, message?: Buffer, grpcMessage?: string) => {
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': String(grpcStatus), ...(grpcMessage ? { 'grpc-message': encodeURIComponent(grpcMessage) } : {}) }));
    stream.end(message);
  };
  stream.on('error', () => undefined);
  if (headers[':path'] !== HEALTH_CHECK_PATH) {
    stream.resume();
    return end(GRPC.unimplemented, undefined, `unknown method ${String(headers[':path'])}`);
  }
  const chunks: Buffer[] = [];
  stream.on('data', (d: Buffer) => {
    if (chunks.reduce((n, c) => n + c.length, 0) < 64 * 1024) chunks.push(d);
  });
  stream.on('end', () => {
    const body = Buffer.concat(chunks);
    const length = body.length >= 5 ? body.readUInt32BE(1) : -1;
    const service = length >= 0 && body[0] === 0 && body.length === 5 + length ? decodeHealthRequest(body.subarray(5)) : null;
    if (service === null) return end(GRPC.invalidArgument, undefined, 'not a HealthCheckRequest');
    if (!GRPC_SERVICES.includes(service)) return end(GRPC.notFound, undefined, 'unknown service');
    end(GRPC.ok, encodeHealthResponse(health().ok ? SERVING : NOT_SERVING));
  });
}

/**
 * The socket as a stream that first replays the bytes already read: the HTTP/2 server reads a
 * net.Socket through its native handle, past anything unshifted, so it gets this JS stream instead.
 */
function replaying(socket: net.Socket, seen: Buffer): Duplex {
  const stream = new Duplex({
    read: () => void socket.resume(),
    write: (chunk: Buffer, _enc, done) => void socket.write(chunk, done),
    final: (done) => (socket.end(), done()),
    destroy: (err, done) => (socket.destroy(), done(err)),
  });
  stream.push(seen);
  socket.on('data', (d: Buffer) => {
    if (!stream.push(d)) socket.pause();
  });
  socket.once('end', () => stream.push(null));
  socket.once('close', () => stream.destroy());
  return stream;
}

export interface DualServer {
  /** The listening front: bind it like any net.Server. */
  front: net.Server;
  close(): Promise<void>;
}

/** A front that hands HTTP/2 connections to the gRPC health server and the rest to `http1`. */
export function withGrpcHealth(http1: Server, health: () => Health): DualServer {
  const h2 = http2.createServer();
  h2.on('stream', (stream, headers) => answerStream(stream, headers, health));
  h2.on('sessionError', () => undefined);
  const sockets = new Set<net.Socket>();
  const front = net.createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let seen = Buffer.alloc(0);
    const sniff = (chunk: Buffer) => {
      seen = Buffer.concat([seen, chunk]);
      const n = Math.min(seen.length, PREFACE.length);
      const isH2 = seen.subarray(0, n).equals(PREFACE.subarray(0, n));
      if (isH2 && seen.length < PREFACE.length) return; // wait for the rest of the preface
      socket.off('data', sniff);
      if (isH2) return void h2.emit('connection', replaying(socket, seen));
      socket.pause();
      socket.unshift(seen);
      http1.emit('connection', socket);
      socket.resume();
    };
    socket.on('data', sniff);
  });
  return {
    front,
    close: () =>
      new Promise((resolve) => {
        front.close(() => resolve());
        for (const s of sockets) s.destroy();
        h2.close();
        http1.closeAllConnections();
      }),
  };
}
