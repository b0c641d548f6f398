// Network evidence: a plain TCP connect to an address that is not DNS (the kubernetes Service
// ClusterIP:443). If it succeeds while every DNS pod fails, the probe's network works and the pods are
// at fault; if it fails too, the probe's node is cut off. Only the handshake is timed; nothing is sent.
import net from 'node:net';
import type { ConnectCheck, ConnectResult } from './contract.ts';

export function connectOnce(check: ConnectCheck, timeoutMs: number): Promise<ConnectResult> {
  const started = process.hrtime.bigint();
  return new Promise((resolve) => {
    const socket = net.connect({ host: check.address, port: check.port });
    const done = (ok: boolean, detail?: string) => {
      clearTimeout(timer);
      socket.destroy();
      const latencyMs = ok ? Number((process.hrtime.bigint() - started) / 1000n) / 1000 : null;
      resolve({ id: check.id, ok, latencyMs, ...(detail !== undefined && { detail }) });
    };
    const timer = setTimeout(() => done(false, `timeout after ${timeoutMs} ms`), timeoutMs);
    socket.once('connect', () => done(true));
    socket.once('error', (err: NodeJS.ErrnoException) => done(false, err.code ?? err.message));
  });
}

/** Every connect of the plan, in parallel (there are at most LIMITS.connects). */
export function runConnects(checks: readonly ConnectCheck[], timeoutMs: number): Promise<ConnectResult[]> {
  return Promise.all(checks.map((c) => connectOnce(c, timeoutMs)));
}
