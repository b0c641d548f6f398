// Injected API faults: matching requests are delayed and/or answered with an error Status, `count` times;
// and the fault CLI's `api`/`api-latency` commands that describe them (test/sim/main.ts).
import type { ApiFault } from '../types.ts';
import type { KObject } from '../store.ts';
import { SimError, type Status } from '../status.ts';

export interface FaultTarget {
  verb: string;
  resource: string; // with subresource: "pods/exec"
  namespace?: string;
  /** The object's name, when the request names one. */
  name?: string;
  /** For requests on a pod: the node it is scheduled to. */
  node?: string;
  user: string;
}

const REASONS: Record<number, [reason: string, message: string]> = {
  429: ['TooManyRequests', 'Too many requests, please try again later.'],
  500: ['InternalError', 'Internal error occurred: injected fault'],
  502: ['InternalError', 'Internal error occurred: injected fault (bad gateway)'],
  503: ['ServiceUnavailable', 'the server is currently unable to handle the request'],
  504: ['Timeout', 'the server was unable to return a response in the time allotted, but may still be processing the request'],
  403: ['Forbidden', 'forbidden: injected fault'],
  404: ['NotFound', 'the server could not find the requested resource'],
  409: ['Conflict', 'Operation cannot be fulfilled: injected conflict'],
};

/** The Status a fault answers with; 429 carries Retry-After: 1 like API Priority and Fairness. */
export function faultStatus(code: number, text?: string): Status {
  const [reason, message] = REASONS[code] ?? ['InternalError', `injected fault (HTTP ${code})`];
  return SimError.of(code, reason, text ?? message, code === 429 ? { retryAfterSeconds: 1 } : undefined).status;
}

/** The node a pod is scheduled to (a fault's `node` filter), if any. */
export const nodeOfPod = (pod: KObject | undefined): string | undefined => (pod?.spec as { nodeName?: string } | undefined)?.nodeName || undefined;

/** Thrown by a `kubelet` fault: the exec handler reports it as the server's version would. */
export class KubeletFailure extends Error {
  constructor(message: string, readonly legacy: boolean) {
    super(message);
  }
}

/** Thrown by a `reset` fault: the handler drops the connection rather than answering. */
export class ConnectionReset extends Error {}

export const faultMatches = (f: ApiFault, t: FaultTarget): boolean =>
  (f.verb === undefined || f.verb === t.verb || (f.verb === 'exec' && t.resource === 'pods/exec')) &&
  (f.resource === undefined || f.resource === t.resource) &&
  (f.namespace === undefined || f.namespace === t.namespace) &&
  (f.name === undefined || f.name === t.name) &&
  (f.node === undefined || f.node === t.node) &&
  (f.user === undefined || f.user === t.user);

export class FaultTable {
  private nextId = 1;
  private readonly active = new Map<number, ApiFault & { left: number }>();

  add(f: ApiFault): number {
    const id = this.nextId++;
    this.active.set(id, { ...f, left: f.count ?? Infinity });
    return id;
  }

  clear(id?: number): void {
    if (id === undefined) this.active.clear();
    else this.active.delete(id);
  }

  /** The first active fault matching the request, consuming one of its `count`. */
  take(t: FaultTarget): ApiFault | undefined {
    for (const [id, f] of this.active) {
      if (!faultMatches(f, t)) continue;
      if (--f.left <= 0) this.active.delete(id);
      return f;
    }
    return undefined;
  }

  /** Applies a matching fault: waits its latency, then throws its Status if it has one. */
  async apply(t: FaultTarget): Promise<void> {
    const f = this.take(t);
    if (!f) return;
    if (f.latencyMs) await new Promise((r) => setTimeout(r, f.latencyMs));
    if (f.reset) throw new ConnectionReset('injected connection reset');
    if (f.kubelet) throw new KubeletFailure(f.kubelet, f.legacyExec === true);
    if (f.status) throw new SimError(faultStatus(f.status, f.message));
  }
}

const API_OPTIONS = ['--count', '--name', '--node', '--namespace', '--message'] as const;

/**
 * `api VERB RESOURCE STATUS [options]` or `api-latency VERB RESOURCE MS [options]` as an ApiFault; VERB
 * `*` is any verb (`exec` is create on pods/exec), RESOURCE `*` any resource.
 */
export function apiFault(command: 'api' | 'api-latency', args: string[]): ApiFault {
  const usage = `usage: ${command} VERB RESOURCE ${command === 'api' ? 'STATUS' : 'MS'} [--count N] [--name NAME] [--node NODE] [--namespace NS]${command === 'api' ? ' [--message TEXT]' : ''}`;
  const [verb, resource, value, ...rest] = args;
  if (verb === undefined || resource === undefined || value === undefined) throw new Error(usage);
  const fault: ApiFault = { ...(verb !== '*' && { verb }), ...(resource !== '*' && { resource }) };
  const n = Number(value);
  if (command === 'api') {
    if (!Number.isInteger(n) || n < 400 || n > 599) throw new Error(`api needs an HTTP status from 400 to 599, got "${value}"`);
    fault.status = n;
  } else {
    if (!Number.isFinite(n) || n < 0) throw new Error(`api-latency needs a delay in ms, got "${value}"`);
    fault.latencyMs = n;
  }
  for (let i = 0; i < rest.length; i += 2) {
    const [flag, v] = [rest[i]!, rest[i + 1]];
    if (!(API_OPTIONS as readonly string[]).includes(flag) || (flag === '--message' && command !== 'api')) throw new Error(`unknown option "${flag}"; ${usage}`);
    if (v === undefined) throw new Error(`${flag} needs a value; ${usage}`);
    if (flag === '--count') {
      const count = Number(v);
      if (!Number.isInteger(count) || count < 1) throw new Error(`--count needs a positive integer, got "${v}"`);
      fault.count = count;
    } else fault[flag.slice(2) as 'name' | 'node' | 'namespace' | 'message'] = v;
  }
  return fault;
}

/** "create pods/portforward coredns-x → HTTP 500, 2 times". */
export function describeApiFault(f: ApiFault): string {
  const what = [f.verb ?? 'any verb', f.resource ?? 'any resource', f.name, f.namespace && `in namespace ${f.namespace}`, f.node && `on node ${f.node}`].filter(Boolean).join(' ');
  const effect = [f.latencyMs !== undefined && `delayed ${f.latencyMs} ms`, f.status !== undefined && `answered HTTP ${f.status}${f.message ? ` "${f.message}"` : ''}`].filter(Boolean).join(', then ');
  return `${what} → ${effect}, ${f.count === undefined ? 'until cleared (api-clear or clear)' : `${f.count} time${f.count === 1 ? '' : 's'}`}`;
}
