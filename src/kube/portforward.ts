// pods/portforward over the API server's websocket, legacy protocol v4.channel.k8s.io (what the
// kubelet's websocket port-forwarder speaks): per forwarded port a data channel (2·i) and an error
// channel (2·i+1), one byte of channel number in front of every binary frame, and the server's first
// frame on each channel carrying the port as a little-endian uint16 — not DNS-over-TCP's length prefix,
// which travels inside the data channel. One websocket carries one TCP connection to the pod's port
// (the kubelet dials once per stream), so a new connection is a new websocket.
// The handshake is retried under the policy of retry.ts (nothing has been sent yet); KEP-4006
// (Kubernetes 1.35+) wants `create` as well as `get` on pods/portforward for the upgrade.
import type { IncomingMessage } from 'node:http';
import { stringify } from 'node:querystring';
import { Duplex } from 'node:stream';
import WebSocket from 'ws';
import type { KubeConfig } from '@kubernetes/client-node';
import { fromHttp, isRetryable, parseStatus, type KubeError, type RequestContext } from './errors.ts';
import { pathError } from '../probe/dns.ts';
import { readBody, wsUrl } from './exec.ts';
import { RETRY, withRetry } from './retry.ts';
import type { PortForwardRequest } from './types.ts';

export const PORT_FORWARD_PROTOCOL = 'v4.channel.k8s.io';
const DATA = 0;
const ERROR = 1;

export interface PortForwardHandshake {
  /** Time for all handshake attempts together. */
  budgetMs: number;
  /** Counts each attempt as a request. */
  onAttempt: () => void;
  mapError: (err: unknown, ctx: RequestContext) => KubeError;
}

/** An error the kubelet reported on the error channel, shaped like a socket error for the DNS channel. */
export function forwardError(text: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`port-forward: ${text.trim().slice(0, 300)}`);
  if (/connection refused/i.test(text)) err.code = 'ECONNREFUSED';
  else if (/connection reset/i.test(text)) err.code = 'ECONNRESET';
  return err;
}

/**
 * The pod's TCP port as a Duplex: writes go out on the data channel, the data channel's frames (after
 * the port header) come in as reads. An error-channel message destroys the stream with that error; the
 * websocket's close ends it.
 */
export class PortForwardStream extends Duplex {
  private readonly headerPending = [true, true];
  private errorText = '';
  private opened = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly port: number,
  ) {
    super({ allowHalfOpen: false });
    ws.on('message', (data: Buffer, isBinary: boolean) => this.onFrame(isBinary ? data : Buffer.from(data)));
    ws.on('close', () => {
      if (this.errorText) this.destroy(forwardError(this.errorText));
      else this.push(null);
    });
    ws.once('open', () => (this.opened = true));
    // Once open, a websocket error is the connection to the API server breaking, never the pod's answer:
    // a path failure (outcome "path"). Before, it is the handshake's, which openPortForward retries.
    ws.on('error', (err) => this.destroy(this.opened ? pathError(`port-forward: the connection to the API server broke (${err.message})`) : err));
  }

  private onFrame(frame: Buffer): void {
    const channel = frame[0];
    if (channel !== DATA && channel !== ERROR) return; // only one port is forwarded
    let payload = frame.subarray(1);
    if (this.headerPending[channel]) {
      if (payload.length < 2) return void this.destroy(forwardError(`the server's first frame on channel ${channel} carries no port`));
      const port = payload.readUInt16LE(0);
      if (port !== this.port) return void this.destroy(forwardError(`the server announced port ${port} on channel ${channel}, not ${this.port}`));
      this.headerPending[channel] = false;
      payload = payload.subarray(2);
    }
    if (payload.length === 0) return;
    if (channel === DATA) this.push(payload);
    else this.errorText += payload.toString('utf8');
  }

  override _read(): void {
    // frames are pushed as they arrive; DNS answers are small and consumed at once
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    if (this.ws.readyState !== WebSocket.OPEN) return done(forwardError('the tunnel is closed'));
    this.ws.send(Buffer.concat([Buffer.from([DATA]), chunk]), { binary: true }, (err) => done(err ?? null));
  }

  override _destroy(err: Error | null, done: (err: Error | null) => void): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(1000);
    else if (this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
    done(err);
  }
}

/** Opens a tunnel to `req.pod`:`req.port`; resolves once the websocket is open. Throws KubeError. */
export async function openPortForward(kc: KubeConfig, req: PortForwardRequest, handshake: PortForwardHandshake): Promise<PortForwardStream> {
  const ctx: RequestContext = { verb: 'create', resource: 'pods/portforward', namespace: req.namespace, name: req.pod };
  const path = `/api/v1/namespaces/${encodeURIComponent(req.namespace)}/pods/${encodeURIComponent(req.pod)}/portforward?${stringify({ ports: req.port })}`;
  const once = () =>
    new Promise<PortForwardStream>((opened, failed) => {
      // client-node applies the kubeconfig's TLS material and credentials (exec plugins included).
      const opts: WebSocket.ClientOptions = { handshakeTimeout: handshake.budgetMs };
      kc.applyToHTTPSOptions(opts).then(() => {
        const ws = new WebSocket(wsUrl(kc, path), [PORT_FORWARD_PROTOCOL], opts);
        ws.on('unexpected-response', (_request, res: IncomingMessage) => {
          void readBody(res)
            .then((body) => failed(fromHttp(res.statusCode ?? 0, parseStatus(body), ctx, res.headers)))
            .finally(() => ws.terminate());
        });
        // The stream is made before 'open' so that the server's port headers, sent right after the 101, are never missed.
        const stream = new PortForwardStream(ws, req.port);
        const early = (err: Error) => failed(err);
        stream.once('error', early);
        ws.once('open', () => {
          stream.off('error', early);
          opened(stream);
        });
      }, failed);
    });
  return withRetry(RETRY, handshake.budgetMs, () => (handshake.onAttempt(), once()), (e) => handshake.mapError(e, ctx), { retryable: isRetryable });
}
