// `check --pushgateway URL`: after the check, PUT the cycle's metrics (the same families `watch` serves,
// src/watch/metrics.ts) to a Prometheus Pushgateway, so scheduled CI runs show up in Prometheus. PUT
// replaces the group's metrics: the group always shows the latest run whole, never a mix of two.
//
// The group's URL is /metrics/job/<job>{/<label>/<value>}. Every value is sent base64url-encoded
// (`<label>@base64/<value>`, the Pushgateway's encoding), because kubeconfig context names hold '/'
// and ':' (EKS ARNs) that a path segment cannot carry — prom-client's Pushgateway would send them
// percent-encoded, which the Pushgateway splits at %2F.
import type { Registry } from 'prom-client';

export interface PushTarget {
  /** http(s)://host:port[/path prefix] */
  url: string;
  job: string;
  /** Grouping labels beside job, in order. */
  labels: [string, string][];
}

export const DEFAULT_PUSH_JOB = 'coredns-sentinel';

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** A failed push: one line naming the request and what to do. */
export class PushError extends Error {
  constructor(readonly line: string) {
    super(line);
    this.name = 'PushError';
  }
}

/** Checks --pushgateway, --pushgateway-job and --pushgateway-label k=v; a problem is one line. */
export function parsePushTarget(url: string, job: string, labels: string[]): PushTarget | { problem: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { problem: `--pushgateway must be an http:// or https:// URL, got "${url}"` };
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return { problem: `--pushgateway must be an http:// or https:// URL, got "${url}"` };
  if (parsed.search || parsed.hash) return { problem: `--pushgateway takes no query or fragment, got "${url}"` };
  if (!job.trim()) return { problem: '--pushgateway-job must not be empty' };
  const pairs: [string, string][] = [];
  for (const l of labels) {
    const eq = l.indexOf('=');
    const [name, value] = eq < 0 ? [l, ''] : [l.slice(0, eq), l.slice(eq + 1)];
    if (eq < 0 || !LABEL_NAME.test(name)) return { problem: `--pushgateway-label must be name=value with a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*), got "${l}"` };
    if (name === 'job' || name.startsWith('__')) return { problem: `--pushgateway-label ${name}: job is --pushgateway-job, and names starting with __ are reserved` };
    if (pairs.some(([n]) => n === name)) return { problem: `--pushgateway-label ${name} given twice` };
    pairs.push([name, value]);
  }
  return { url: url.replace(/\/+$/, ''), job, labels: pairs };
}

const b64 = (v: string) => Buffer.from(v, 'utf8').toString('base64url');

/** The group's path under the Pushgateway URL. Empty values are encoded as '=' (the Pushgateway's rule). */
export function groupPath(target: Pick<PushTarget, 'job' | 'labels'>): string {
  const segment = (name: string, value: string) => `/${name}@base64/${value === '' ? '=' : b64(value)}`;
  return `/metrics${segment('job', target.job)}${target.labels.map(([n, v]) => segment(n, v)).join('')}`;
}

/** PUTs the registry's metrics to the group; throws PushError with one line. */
export async function pushMetrics(registry: Registry, target: PushTarget, timeoutMs: number): Promise<void> {
  const path = groupPath(target);
  const where = `PUT ${target.url}${path}`;
  let res: Response;
  try {
    res = await fetch(`${target.url}${path}`, { method: 'PUT', headers: { 'Content-Type': registry.contentType }, body: await registry.metrics(), signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    const why = e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (e.cause?.code ?? e.message);
    throw new PushError(`cannot push metrics (${where}): ${why}; check --pushgateway`);
  }
  if (!res.ok) {
    const body = (await res.text()).trim().split('\n')[0]?.slice(0, 200) ?? '';
    throw new PushError(`the Pushgateway refused the metrics (${where}): HTTP ${res.status}${body ? `: ${body}` : ''}`);
  }
}
