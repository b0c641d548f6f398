// Injected API faults: matching requests are delayed and/or answered with an error Status, `count` times.
import type { ApiFault } from '../types.ts';
import { SimError, type Status } from '../status.ts';

export interface FaultTarget {
  verb: string;
  resource: string; // with subresource: "pods/exec"
  namespace?: string;
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
export function faultStatus(code: number): Status {
  const [reason, message] = REASONS[code] ?? ['InternalError', `injected fault (HTTP ${code})`];
  return SimError.of(code, reason, message, code === 429 ? { retryAfterSeconds: 1 } : undefined).status;
}

/** Thrown by a `reset` fault: the handler drops the connection rather than answering. */
export class ConnectionReset extends Error {}

export const faultMatches = (f: ApiFault, t: FaultTarget): boolean =>
  (f.verb === undefined || f.verb === t.verb || (f.verb === 'exec' && t.resource === 'pods/exec')) &&
  (f.resource === undefined || f.resource === t.resource) &&
  (f.namespace === undefined || f.namespace === t.namespace) &&
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
    if (f.status) throw new SimError(faultStatus(f.status));
  }
}
