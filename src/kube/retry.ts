// Bounded retries for idempotent reads: 429, 5xx and network errors, exponential backoff, Retry-After
// honoured but capped so a misbehaving server cannot stall a check. Never used for creates.
import { isRetryable, type KubeError } from './errors.ts';

export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const READ_RETRY: RetryPolicy = { attempts: 3, baseDelayMs: 200, maxDelayMs: 2000 };

/** Delay before retry number `attempt` (1-based), in ms. */
export function backoffDelay(policy: RetryPolicy, attempt: number, err: KubeError): number {
  if (err.retryAfterSeconds !== undefined) return Math.min(err.retryAfterSeconds * 1000, policy.maxDelayMs);
  return Math.min(policy.baseDelayMs * 2 ** (attempt - 1), policy.maxDelayMs);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs `attempt` until it succeeds, fails with a non-retryable error, or the attempts are spent. */
export async function withRetry<T>(policy: RetryPolicy, attempt: () => Promise<T>, toError: (e: unknown) => KubeError): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (raw) {
      const err = toError(raw);
      if (n >= policy.attempts || !isRetryable(err)) throw err;
      await sleep(backoffDelay(policy, n, err));
    }
  }
}
