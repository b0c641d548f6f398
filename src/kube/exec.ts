// Exec over the Kubernetes websocket, avoiding client-node Exec's pitfalls (docs/design.md, "Exec"):
// the completion promise exists before the connection is made; our own timeout terminates the socket;
// a close without an exit status is an error; a failed handshake keeps its Status body (via the ws
// 'unexpected-response' event) so a 403 can name the missing RBAC rule. The socket is opened here with
// client-node's TLS/auth options rather than through its Exec (whose handler is not exported and whose
// frame parser throws on a malformed status), so every frame is ours to judge. The handshake (nothing has
// run yet) is retried under the one policy of retry.ts; once the socket is open, never.
import { stringify } from 'node:querystring';
import type { IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import type { KubeConfig } from '@kubernetes/client-node';
import { KubeError, fromHttp, isRetryable, statusOrText, type KubeStatus, type RequestContext } from './errors.ts';
import { RETRY, withRetry } from './retry.ts';
import type { ExecRequest, ExecResult } from './types.ts';

const CHANNEL = { stdout: 1, stderr: 2, status: 3 } as const;
/** v5 first (current API servers), v4 for 1.24–1.29; both carry the exit status on channel 3. */
const PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];

/** The API server's URL for a websocket upgrade of `path` (exec, port-forward). */
export function wsUrl(kc: KubeConfig, path: string): string {
  const server = kc.getCurrentCluster()?.server ?? '';
  return server.replace(/^http/, 'ws').replace(/\/$/, '') + path;
}

/**
 * The exit code from the Status sent on channel 3, or the failure it reports. `internal`: an
 * InternalError, which API servers ≥ 1.30 send here when reaching the kubelet failed after the
 * websocket upgrade (the stream translator writes NewInternalError on the error channel:
 * k8s.io/apiserver/pkg/util/proxy/streamtranslator.go) — the same failures a v4 exec reports as a 500
 * before the upgrade.
 */
export function interpretExecStatus(text: string): { exitCode: number } | { error: string; internal?: true } {
  let status: (KubeStatus & { status?: string }) | undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null) status = parsed;
  } catch {
    // reported below
  }
  if (!status) return { error: `exec returned an unreadable status: ${text.slice(0, 120)}` };
  if (status.status === 'Success') return { exitCode: 0 };
  if (status.reason === 'NonZeroExitCode') {
    const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
    const code = Number(cause?.message);
    if (Number.isInteger(code)) return { exitCode: code };
  }
  const error = status.message || `exec failed: ${status.reason ?? 'unknown reason'}`;
  return status.reason === 'InternalError' ? { error: `${error} (${status.reason})`, internal: true } : { error };
}

/** Reads an HTTP error response body (bounded) for the handshake's Status. */
export function readBody(res: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      if (body.length < 64 * 1024) body += chunk;
    });
    res.on('end', () => resolve(body));
    res.on('error', () => resolve(body));
  });
}

export interface HandshakeOptions {
  /** Time for all handshake attempts together. */
  budgetMs: number;
  /** Counts each attempt as a request. */
  onAttempt: () => void;
  mapError: (err: unknown, ctx: RequestContext) => KubeError;
}

/** Failures reported after the upgrade before the command ran: execInPod tries once more. */
const afterUpgrade = new WeakSet<KubeError>();

function notRun(error: string, ctx: RequestContext): KubeError {
  const err = new KubeError('server', 500, `the API server could not reach the container after the upgrade: ${error}`, 'check the node and its kubelet, then run again', { request: ctx });
  afterUpgrade.add(err);
  return err;
}

/**
 * Runs the command once more when the first exec failed before it ran: a retryable failure of the
 * handshake is retried by execOnce; one that API servers ≥ 1.30 report after the upgrade (see
 * interpretExecStatus) gets one more exec, within what is left of the timeout.
 */
export async function execInPod(kc: KubeConfig, req: ExecRequest, handshake: HandshakeOptions): Promise<ExecResult> {
  const started = Date.now();
  try {
    return await execOnce(kc, req, handshake);
  } catch (err) {
    const left = req.timeoutMs - (Date.now() - started) - RETRY.baseDelayMs;
    if (!(err instanceof KubeError && afterUpgrade.has(err)) || left <= 0) throw err;
    await new Promise((r) => setTimeout(r, RETRY.baseDelayMs));
    return await execOnce(kc, { ...req, timeoutMs: left }, handshake).catch((again: unknown) => {
      throw again instanceof KubeError ? again.withMessage(`${again.message} (2 execs)`) : again;
    });
  }
}

async function execOnce(kc: KubeConfig, req: ExecRequest, handshake: HandshakeOptions): Promise<ExecResult> {
  const ctx: RequestContext = { verb: 'create', resource: 'pods/exec', namespace: req.namespace, name: req.pod };
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  let socket: WebSocket | undefined;

  let settle!: (outcome: { exitCode: number } | { error: KubeError }) => void;
  const done = new Promise<{ exitCode: number } | { error: KubeError }>((resolve) => (settle = resolve));
  const timeout = new KubeError('timeout', 0, `did not finish within ${req.timeoutMs} ms`, 'the probe hung: check the pod and run again', { request: ctx });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    settle({ error: timeout });
    (socket ?? pending)?.terminate();
  }, req.timeoutMs);

  const onFrame = (data: Buffer): void => {
    const channel = data[0];
    const payload = data.subarray(1);
    if (channel === CHANNEL.stdout) stdout.push(payload);
    else if (channel === CHANNEL.stderr) stderr.push(payload);
    else if (channel === CHANNEL.status) {
      const status = interpretExecStatus(payload.toString('utf8'));
      // An InternalError before any output: the command never ran, as with a 500 before the upgrade.
      const beforeRun = 'error' in status && status.internal === true && stdout.length === 0 && stderr.length === 0;
      settle('exitCode' in status ? status : { error: beforeRun ? notRun(status.error, ctx) : new KubeError('exec', 500, status.error, 'the container could not run the probe: check the pod', { request: ctx }) });
    }
  };
  const path = `/api/v1/namespaces/${encodeURIComponent(req.namespace)}/pods/${encodeURIComponent(req.pod)}/exec?` +
    stringify({ command: req.command, container: req.container, stdin: false, stdout: true, stderr: true, tty: false });
  const connectOnce = () => new Promise<void>((opened, failed) => {
    // client-node applies the kubeconfig's TLS material and credentials (exec plugins included).
    const opts: WebSocket.ClientOptions = {};
    kc.applyToHTTPSOptions(opts).then(() => {
      if (timedOut) return failed(timeout);
      const ws = new WebSocket(wsUrl(kc, path), PROTOCOLS, opts);
      let open = false;
      ws.on('unexpected-response', (_request, res: IncomingMessage) => {
        // Listening to this event means ws no longer fails the handshake itself: read the Status, then fail.
        void readBody(res)
          .then((body) => failed(fromHttp(res.statusCode ?? 0, statusOrText(body), ctx, res.headers)))
          .finally(() => ws.terminate());
      });
      ws.on('open', () => {
        open = true;
        socket = ws;
        opened();
      });
      ws.on('error', (err) => (open ? settle({ error: handshake.mapError(err, ctx) }) : failed(timedOut ? timeout : err)));
      ws.on('message', (data: Buffer, isBinary: boolean) => onFrame(isBinary ? data : Buffer.from(data)));
      ws.on('close', () => {
        if (open) settle({ error: new KubeError('exec', 0, 'the connection closed without an exit status', 'the connection dropped: run again', { request: ctx }) });
      });
      if (timedOut) ws.terminate();
      else pending = ws;
    }, failed);
  });
  let pending: WebSocket | undefined;
  try {
    await withRetry(RETRY, handshake.budgetMs, () => {
      if (timedOut) return Promise.reject(timeout);
      handshake.onAttempt();
      return connectOnce();
    }, (e) => handshake.mapError(e, ctx), { retryable: (e) => !timedOut && isRetryable(e) });
  } catch (err) {
    clearTimeout(timer);
    pending?.terminate();
    throw err;
  }
  const outcome = await done;
  clearTimeout(timer);
  if (socket?.readyState === WebSocket.OPEN) socket.close();
  if ('error' in outcome) throw outcome.error;
  return { stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8'), exitCode: outcome.exitCode };
}
