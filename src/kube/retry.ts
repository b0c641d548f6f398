// The one retry policy for every API request (client.ts and exec.ts use nothing else): transient
// failures — 5xx, 429 (Retry-After honoured), connection resets and timeouts — are retried with
// exponential backoff, all attempts together within the request's time budget. Which requests may be
// retried at all is decided per request in client.ts: reads, deletes by name, exec handshakes,
// name-based creates, updates guarded by resourceVersion and evictions guarded by the pod's uid. For
// writes, an attempt after a failed one may meet the first attempt's effect (409 AlreadyExists, 409
// Conflict, 404): `settle` then reads the object and decides whether that effect was ours.
import { isRetryable, type KubeError } from './errors.ts';

export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 250, maxDelayMs: 4000 };

/** Delay before retry number `attempt` (1-based), in ms: the server's Retry-After, else exponential. */
export function backoffDelay(policy: RetryPolicy, attempt: number, err: KubeError): number {
  if (err.retryAfterSeconds !== undefined) return err.retryAfterSeconds * 1000;
  return Math.min(policy.baseDelayMs * 2 ** (attempt - 1), policy.maxDelayMs);
}

export interface Attempt {
  /** 1-based. */
  n: number;
  /** What is left of the budget: the bound for this attempt's own timeout. */
  timeoutMs: number;
}

export interface RetryHooks<T> {
  /** After a failed attempt, a later attempt's error may be the earlier attempt's effect: a value settles it. */
  settle?: (err: KubeError) => Promise<T | undefined>;
  /** Narrows which errors are transient for this request (default: isRetryable). */
  retryable?: (err: KubeError) => boolean;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const spent = (err: KubeError, n: number, ms: number, why = '') =>
  n > 1 || why ? err.withMessage(`${err.message} (${n} attempt${n > 1 ? 's' : ''} in ${(ms / 1000).toFixed(1)} s${why})`) : err;

/**
 * Runs `attempt` until it succeeds, fails with a non-transient error, the attempts are spent or the
 * next wait would pass the budget. The error thrown says how many attempts were made.
 */
export async function withRetry<T>(policy: RetryPolicy, budgetMs: number, attempt: (a: Attempt) => Promise<T>, toError: (e: unknown) => KubeError, hooks: RetryHooks<T> = {}): Promise<T> {
  const now = hooks.now ?? Date.now;
  const sleep = hooks.sleep ?? realSleep;
  const started = now();
  const deadline = started + budgetMs;
  for (let n = 1; ; n++) {
    try {
      return await attempt({ n, timeoutMs: Math.max(deadline - now(), 1) });
    } catch (raw) {
      const err = toError(raw);
      if (n > 1 && hooks.settle) {
        const settled = await hooks.settle(err);
        if (settled !== undefined) return settled;
      }
      if (!(hooks.retryable ?? isRetryable)(err)) throw spent(err, n, now() - started);
      if (n >= policy.attempts) throw spent(err, n, now() - started);
      const delay = backoffDelay(policy, n, err);
      if (now() + delay >= deadline) {
        const why = err.retryAfterSeconds !== undefined ? `; the server asked to wait ${err.retryAfterSeconds} s, past the request timeout` : '';
        throw spent(err, n, now() - started, why);
      }
      await sleep(delay);
    }
  }
}
