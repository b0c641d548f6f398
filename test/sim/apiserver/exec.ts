// pods/exec over a websocket, as the API server's stream translator and the kubelet serve it:
// subprotocols v5.channel.k8s.io and v4.channel.k8s.io, one byte of channel per binary frame
// (0 stdin, 1 stdout, 2 stderr, 3 status, 4 resize, 255 close on v5), the exit status as a
// metav1.Status on channel 3, then a normal close.
import type { IncomingMessage } from 'node:http';
import { STATUS_CODES } from 'node:http';
import { constants } from 'node:os';
import type { Duplex, Readable } from 'node:stream';
import { WebSocket, type WebSocketServer } from 'ws';
import type { KObject } from '../store.ts';
import { SimError, type Status } from '../status.ts';
import type { ExecProcess, ExecRequest } from '../types.ts';
import { authenticate, mustAuthorize, type ServerContext } from './context.ts';
import { toStatus } from './http.ts';
import { ConnectionReset, KubeletFailure, nodeOfPod } from './faults.ts';
import { parseRequestInfo } from './requestinfo.ts';

export const EXEC_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'] as const;
const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const STATUS = 3;
const CLOSE = 255;

/** The first protocol in the client's order that we speak (the server picks by the client's preference). */
export const pickProtocol = (offered: string[]): string | undefined => offered.find((p) => (EXEC_PROTOCOLS as readonly string[]).includes(p));

const offeredProtocols = (req: IncomingMessage) =>
  (req.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);

/** The channel-3 Status the kubelet writes when the command ends (no kind/apiVersion, like json.Marshal of metav1.Status). */
export function exitStatusJson(command: string[], exit: { code: number | null; signal: NodeJS.Signals | null }): string {
  const code = exit.code ?? 128 + (exit.signal ? (constants.signals[exit.signal] ?? 0) : 0);
  if (code === 0) return JSON.stringify({ metadata: {}, status: 'Success' });
  return JSON.stringify({
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${code}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
  });
}

const bool = (v: string | null) => v === 'true' || v === '1';

type PodSpec = { nodeName?: string; containers?: { name: string }[] };

/** The ExecRequest for a pod, or the 400 the real server answers for a bad one. */
export function execRequest(pod: KObject, q: URLSearchParams): ExecRequest {
  const name = pod.metadata.name!;
  const command = q.getAll('command');
  const req: ExecRequest = { namespace: pod.metadata.namespace!, pod: name, command, stdin: bool(q.get('stdin')), tty: bool(q.get('tty')) };
  if (!command.length) throw SimError.badRequest('you must specify at least 1 command');
  if (!req.stdin && !bool(q.get('stdout')) && !bool(q.get('stderr'))) throw SimError.badRequest('you must specify at least one of stdin, stdout, stderr');
  const spec = (pod.spec ?? {}) as PodSpec;
  const names = (spec.containers ?? []).map((c) => c.name);
  const container = q.get('container') ?? (names.length === 1 ? names[0] : undefined);
  if (!container) throw SimError.badRequest(`a container name must be specified for pod ${name}, choose one of: [${names.join(' ')}]`);
  if (!names.includes(container)) throw SimError.badRequest(`container ${container} is not valid for pod ${name}`);
  if (!spec.nodeName) throw SimError.badRequest(`pod ${name} does not have a host assigned`);
  return { ...req, container };
}

/** An HTTP error answer on a socket that was never upgraded (clients read it as 'unexpected-response'). */
function refuse(socket: Duplex, status: Status): void {
  const body = JSON.stringify(status);
  const retry = status.details?.retryAfterSeconds ? `Retry-After: ${status.details.retryAfterSeconds}\r\n` : '';
  socket.end(
    `HTTP/1.1 ${status.code} ${STATUS_CODES[status.code] ?? ''}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${retry}Connection: close\r\n\r\n${body}`,
  );
}

const ended = (s: Readable) => new Promise<void>((resolve) => (s.readableEnded || s.destroyed ? resolve() : s.once('close', resolve).once('end', resolve)));

/** Streams one exec session over an open websocket. */
function runSession(ws: WebSocket, proc: ExecProcess, protocol: string, req: ExecRequest, q: URLSearchParams): void {
  const send = (channel: number, data: Buffer = Buffer.alloc(0)) => {
    if (ws.readyState === WebSocket.OPEN) ws.send(Buffer.concat([Buffer.from([channel]), data]));
  };
  const wantOut = bool(q.get('stdout'));
  const wantErr = bool(q.get('stderr')) && !req.tty;
  // The real server announces the lowest writable channel with an empty frame.
  send(wantOut ? STDOUT : wantErr ? STDERR : STATUS);
  proc.stdout.on('data', (d: Buffer) => wantOut && send(STDOUT, d));
  proc.stderr.on('data', (d: Buffer) => wantErr && send(STDERR, d));
  proc.stdin?.on('error', () => undefined); // EPIPE after the process ended is not the client's problem
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (!isBinary || data.length === 0) return;
    if (data[0] === STDIN) proc.stdin?.write(data.subarray(1));
    else if (data[0] === CLOSE && protocol === 'v5.channel.k8s.io' && data[1] === STDIN) proc.stdin?.end();
    // channel 4 (terminal resize) is accepted and ignored: processes run without a terminal
  });
  // A client that goes away closes stdin; like a real kubelet we do NOT kill the process (the node
  // side kills exec'd processes when the pod is deleted).
  ws.on('close', () => proc.stdin?.end());
  ws.on('error', () => undefined);
  void Promise.all([proc.exited, ended(proc.stdout), ended(proc.stderr)]).then(
    ([exit]) => {
      send(STATUS, Buffer.from(exitStatusJson(req.command, exit)));
      ws.close(1000);
    },
    (e: unknown) => {
      const { kind: _k, apiVersion: _a, ...status } = SimError.internal(`error executing command in container: ${e instanceof Error ? e.message : String(e)}`).status;
      send(STATUS, Buffer.from(JSON.stringify(status)));
      ws.close(1000);
    },
  );
}

/**
 * The kubelet failed. API servers ≤ 1.29 proxy its text/plain 500 before the upgrade; ≥ 1.30 translate
 * websockets themselves, upgrade first, then write NewInternalError on the error channel
 * (k8s.io/apiserver/pkg/util/proxy/streamtranslator.go).
 */
function failAtKubelet(wss: WebSocketServer, req: IncomingMessage, socket: Duplex, head: Buffer, failure: KubeletFailure, record: () => void): void {
  record();
  if (failure.legacy) {
    const body = `${failure.message}\n`;
    return void socket.end(`HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  }
  wss.handleUpgrade(req, socket, head, (ws) => {
    const { kind: _k, apiVersion: _a, ...status } = SimError.internal(failure.message).status;
    ws.send(Buffer.concat([Buffer.from([STATUS]), Buffer.from(JSON.stringify(status))]));
    ws.close(1000);
  });
}

/** The 'upgrade' handler of the HTTPS server: pods/exec only; everything checked before the 101. */
export async function handleUpgrade(ctx: ServerContext, wss: WebSocketServer, req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
  socket.on('error', () => undefined);
  const url = new URL(req.url ?? '/', 'https://sim');
  const info = parseRequestInfo(req.method ?? 'GET', url);
  const record = { verb: 'create', resource: 'pods/exec', namespace: info.namespace, name: info.name || undefined, user: '', code: 0, path: req.url ?? '' };
  try {
    const user = authenticate(ctx, req);
    record.user = user.name;
    if (!info.isResource || info.group !== '' || info.resource !== 'pods' || info.subresource !== 'exec' || !info.namespace)
      throw SimError.of(404, 'NotFound', 'the server could not find the requested resource');
    // KEP-4006: a websocket exec is a GET, but servers that close the "get pods/exec" loophole
    // (1.35+, and this sim) also require "create pods/exec". RBAC for the product grants both.
    const attrs = { group: '', resource: 'pods/exec', namespace: info.namespace, name: info.name };
    mustAuthorize(user, { ...attrs, verb: 'get' });
    mustAuthorize(user, { ...attrs, verb: 'create' });
    const kubelet = await ctx.faults.apply({ verb: 'create', resource: 'pods/exec', namespace: info.namespace, name: info.name, node: nodeOfPod(ctx.store.get('pods', info.namespace, info.name)), user: user.name }).then(() => undefined, (e: unknown) => {
      if (e instanceof KubeletFailure) return e;
      throw e;
    });
    const pod = ctx.store.mustGet('pods', info.namespace, info.name);
    const execReq = execRequest(pod, url.searchParams);
    const protocol = pickProtocol(offeredProtocols(req));
    if (!protocol)
      throw SimError.badRequest(`unable to upgrade connection: requested protocols [${offeredProtocols(req).join(' ')}] are not supported; supported: [${EXEC_PROTOCOLS.join(' ')}]`);
    if (kubelet) return void failAtKubelet(wss, req, socket, head, kubelet, () => ctx.requests.push({ ...record, code: kubelet.legacy ? 500 : 101 }));
    const proc = ctx.runtime.exec(execReq);
    record.code = 101;
    ctx.requests.push(record);
    // ws refuses a malformed handshake without calling back: do not leave the process behind then.
    let upgraded = false;
    socket.once('close', () => upgraded || proc.kill('SIGKILL'));
    wss.handleUpgrade(req, socket, head, (ws) => {
      upgraded = true;
      runSession(ws, proc, protocol, execReq, url.searchParams);
    });
  } catch (e) {
    if (e instanceof ConnectionReset) {
      ctx.requests.push(record);
      return void socket.destroy();
    }
    const status = toStatus(e);
    record.code = status.code;
    ctx.requests.push(record);
    refuse(socket, status);
  }
}
