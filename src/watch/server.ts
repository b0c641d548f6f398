// The metrics endpoint of `watch`: GET /metrics (Prometheus text format) and GET /healthz (200 while
// the loop makes progress, 503 when it has not finished a cycle for too long, so a liveness probe can
// restart a stuck watcher); the same port answers grpc.health.v1 Check for a Kubernetes gRPC probe.
import { createServer, type Server } from 'node:http';
import { isIP } from 'node:net';
import type { Registry } from 'prom-client';
import { DEFAULTS } from '../common/defaults.ts';
import { withGrpcHealth } from './grpc-health.ts';

/** Default --metrics-addr: every interface (in-cluster scraping), port 9469 (not CoreDNS's own 9153). */
export const DEFAULT_METRICS_ADDR = DEFAULTS.watch.metricsAddr;

export interface ListenAddress {
  host: string;
  port: number;
}

/** "host:port", "[::1]:port" or ":port" (every interface); null when it is neither. */
export function parseListenAddress(text: string): ListenAddress | null {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text.trim());
  if (!m) return null;
  const port = Number(m[3]);
  if (port > 65535) return null;
  const host = m[1] ?? (m[2] || '0.0.0.0');
  if (m[1] !== undefined && isIP(m[1]) !== 6) return null;
  if (m[2] && !isIP(m[2]) && !/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(m[2])) return null;
  return { host, port };
}

export interface Health {
  ok: boolean;
  line: string;
}

/**
 * Healthy while the last cycle ended (or the loop started) less than `staleAfterMs` ago. A cycle is
 * bounded (pod timeout + exec budget), so a longer silence means the loop is stuck.
 */
export function loopHealth(lastProgressAt: number, staleAfterMs: number, now: number): Health {
  const silentMs = now - lastProgressAt;
  if (silentMs <= staleAfterMs) return { ok: true, line: 'ok' };
  return { ok: false, line: `no cycle finished for ${Math.round(silentMs / 1000)}s (limit ${Math.round(staleAfterMs / 1000)}s)` };
}

export interface MetricsServer {
  /** http://host:port actually bound (port 0 resolved). */
  url: string;
  close(): Promise<void>;
}

export async function startMetricsServer(address: ListenAddress, registry: Registry, health: () => Health): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/metrics') {
      registry.metrics().then(
        (text) => res.writeHead(200, { 'Content-Type': registry.contentType }).end(text),
        (err: unknown) => res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`metrics failed: ${String(err)}\n`),
      );
      return;
    }
    if (path === '/healthz') {
      const h = health();
      res.writeHead(h.ok ? 200 : 503, { 'Content-Type': 'text/plain' }).end(`${h.line}\n`);
      return;
    }
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found: try /metrics or /healthz\n');
  });
  // The same port answers grpc.health.v1 (src/watch/grpc-health.ts), so a Kubernetes gRPC probe works too.
  const dual = withGrpcHealth(server, health);
  const front = dual.front;
  await new Promise<void>((resolve, reject) => {
    front.once('error', reject);
    front.listen(address.port, address.host, () => {
      front.off('error', reject);
      resolve();
    });
  });
  const bound = front.address();
  const port = typeof bound === 'object' && bound ? bound.port : address.port;
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  return {
    url: `http://${host}:${port}`,
    close: () => dual.close(),
  };
}
