// pods/portforward over a websocket, as the kubelet's websocket port-forwarder serves it (legacy
// protocol, subprotocols v4.channel.k8s.io / v4.base64.channel.k8s.io / channel.k8s.io): for the
// i-th port of `?ports=` a data channel 2·i and an error channel 2·i+1; the server's first frame on
// each channel is the port as a little-endian uint16; then one TCP connection per port to the pod
// (here the pod's address, where the sim's pod network front listens — src/kube/portforward.ts is
// the client). A failed dial is reported as text on the error channel, then the websocket closes.
// RBAC: get and create on pods/portforward (KEP-4006, as for exec); injected faults apply like exec's.
// No SPDY and no SPDY-over-websocket tunnel: kubectl port-forward (which speaks only those) cannot use
// this endpoint; it is refused with a 400 naming what is served.
import type { IncomingMessage } from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { SimError } from '../status.ts';
import { authenticate, mustAuthorize, type ServerContext } from './context.ts';
import { toStatus } from './http.ts';
import { parseRequestInfo } from './requestinfo.ts';
import { nodeOfPod } from './faults.ts';

export const PORT_FORWARD_PROTOCOLS = ['v4.channel.k8s.io', 'v4.base64.channel.k8s.io', 'channel.k8s.io'] as const;

/** True for an upgrade request to pods/portforward (the router sends it here, everything else to exec). */
export const isPortForward = (req: IncomingMessage): boolean => /^\/api\/v1\/namespaces\/[^/]+\/pods\/[^/]+\/portforward(\?|$)/.test(req.url ?? '');

const offered = (req: IncomingMessage) =>
  (req.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);

/** The ports of `?ports=53,5353` (repeatable), or the 400 the real server answers. */
export function forwardPorts(q: URLSearchParams): number[] {
  const raw = q.getAll('ports').flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
  if (!raw.length) throw SimError.badRequest('at least one port must be specified');
  return raw.map((v) => {
    const port = Number(v);
    if (!/^\d+$/.test(v) || port < 1 || port > 65535) throw SimError.badRequest(`unable to parse "${v}" as a port: port must be between 1 and 65535`);
    return port;
  });
}

const portHeader = (channel: number, port: number): Buffer => {
  const frame = Buffer.alloc(3);
  frame[0] = channel;
  frame.writeUInt16LE(port, 1);
  return frame;
};

/** Streams one session: for each port, the headers, then bytes both ways until either side ends. */
function runSession(ws: WebSocket, podName: string, podUid: string, address: string, ports: number[], base64: boolean): void {
  const send = (channel: number, data: Buffer) => {
    if (ws.readyState !== WebSocket.OPEN) return;
    if (base64) ws.send(String.fromCharCode(48 + channel) + data.toString('base64'));
    else ws.send(Buffer.concat([Buffer.from([channel]), data]));
  };
  const conns = ports.map((port, i) => {
    const [dataCh, errCh] = [2 * i, 2 * i + 1];
    const header = portHeader(0, port).subarray(1);
    send(dataCh, header);
    send(errCh, header);
    const conn = net.connect({ host: address, port });
    conn.on('data', (d: Buffer) => send(dataCh, d));
    conn.on('error', (err: NodeJS.ErrnoException) => {
      const why = err.code === 'ECONNREFUSED' ? 'connection refused' : (err.code ?? err.message);
      send(errCh, Buffer.from(`error forwarding port ${port} to pod ${podName}, uid ${podUid}: failed to connect to localhost:${port} inside namespace "${podUid}", IPv4: dial tcp4 127.0.0.1:${port}: connect: ${why}`));
      ws.close(1000);
    });
    conn.on('close', () => ws.close(1000));
    return conn;
  });
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    let channel: number;
    let payload: Buffer;
    if (base64) {
      const text = data.toString('utf8');
      channel = text.charCodeAt(0) - 48;
      payload = Buffer.from(text.slice(1), 'base64');
    } else {
      if (!isBinary || data.length === 0) return;
      channel = data[0]!;
      payload = data.subarray(1);
    }
    if (channel % 2 === 0 && payload.length) conns[channel / 2]?.write(payload);
  });
  ws.on('close', () => conns.forEach((c) => c.destroy()));
  ws.on('error', () => undefined);
}

function refuse(socket: Duplex, status: ReturnType<typeof toStatus>): void {
  const body = JSON.stringify(status);
  const retry = status.details?.retryAfterSeconds ? `Retry-After: ${status.details.retryAfterSeconds}\r\n` : '';
  socket.end(`HTTP/1.1 ${status.code} Error\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${retry}Connection: close\r\n\r\n${body}`);
}

const servers = new WeakMap<ServerContext, WebSocketServer>();

/** The 'upgrade' handler for pods/portforward; everything is checked before the 101. */
export async function handlePortForward(ctx: ServerContext, req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
  socket.on('error', () => undefined);
  const url = new URL(req.url ?? '/', 'https://sim');
  const info = parseRequestInfo(req.method ?? 'GET', url);
  const record = { verb: 'create', resource: 'pods/portforward', namespace: info.namespace, name: info.name || undefined, user: '', code: 0, path: req.url ?? '' };
  try {
    const user = authenticate(ctx, req);
    record.user = user.name;
    const attrs = { group: '', resource: 'pods/portforward', namespace: info.namespace, name: info.name };
    mustAuthorize(user, { ...attrs, verb: 'get' });
    mustAuthorize(user, { ...attrs, verb: 'create' });
    await ctx.faults.apply({ verb: 'create', resource: 'pods/portforward', namespace: info.namespace, name: info.name, node: nodeOfPod(ctx.store.get('pods', info.namespace, info.name)), user: user.name });
    const pod = ctx.store.mustGet('pods', info.namespace!, info.name);
    const protocol = PORT_FORWARD_PROTOCOLS.find((p) => offered(req).includes(p));
    // kubectl ≥ 1.31 offers only the SPDY-over-websocket tunnel (SPDY/3.1+portforward.k8s.io), whose
    // ports travel in stream headers: refused here before the legacy protocol's ?ports= is read.
    if (!protocol) throw SimError.badRequest(`unable to upgrade connection: requested protocols [${offered(req).join(' ')}] are not supported; supported: [${PORT_FORWARD_PROTOCOLS.join(' ')}] (this sim serves no SPDY)`);
    const ports = forwardPorts(url.searchParams);
    const status = (pod.status ?? {}) as { phase?: string; podIP?: string };
    if (!(pod.spec as { nodeName?: string }).nodeName) throw SimError.badRequest(`pod ${info.name} does not have a host assigned`);
    if (status.phase !== 'Running' || !status.podIP) throw SimError.badRequest(`pod ${info.name} is not running`);
    let wss = servers.get(ctx);
    if (!wss) servers.set(ctx, (wss = new WebSocketServer({ noServer: true, handleProtocols: (p) => PORT_FORWARD_PROTOCOLS.find((x) => p.has(x)) ?? false })));
    record.code = 101;
    ctx.requests.push(record);
    const server = wss;
    server.handleUpgrade(req, socket, head, (ws) => {
      // stop() closes what it finds in ctx.watches: a tunnel must not keep the server open.
      const close = () => ws.terminate();
      ctx.watches.add(close);
      ws.once('close', () => ctx.watches.delete(close));
      runSession(ws, pod.metadata.name!, pod.metadata.uid ?? '', status.podIP!, ports, protocol === 'v4.base64.channel.k8s.io');
    });
  } catch (e) {
    const status = toStatus(e);
    record.code = status.code;
    ctx.requests.push(record);
    refuse(socket, status);
  }
}
