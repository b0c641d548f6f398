// The watch loop: one cycle at a time (never overlapping), started every interval measured from the
// previous cycle's start; after a failed cycle, a backoff (1 s, 2 s, 4 s … capped at the interval)
// measured from its end. Stops when the signal aborts (at once while waiting, after the current cycle
// otherwise) or after maxCycles.
import { setTimeout as sleep } from 'node:timers/promises';

export interface LoopSettings {
  intervalMs: number;
  /** Stop after this many cycles (tests, CI); undefined = until stopped. */
  maxCycles?: number;
}

export interface CycleTiming {
  startedAt: number;
  endedAt: number;
  /** Failed cycles in a row, this one included (0 after a cycle that judged). */
  consecutiveErrors: number;
}

const BACKOFF_BASE_MS = 1000;

/** How long to wait after a cycle before starting the next one. */
export function nextDelayMs(intervalMs: number, last: CycleTiming): number {
  if (last.consecutiveErrors > 0) return Math.min(intervalMs, BACKOFF_BASE_MS * 2 ** Math.min(last.consecutiveErrors - 1, 30));
  return Math.max(0, last.startedAt + intervalMs - last.endedAt);
}

export interface LoopSummary<T> {
  cycles: number;
  /** The last cycle's outcome; undefined when stopped before the first one ended. */
  last?: T;
  /** True when the signal stopped the loop (not maxCycles). */
  stopped: boolean;
}

/**
 * Runs `cycle` until stopped. `cycle` must not throw: it reports its own errors in its outcome, and
 * `isError` tells the loop which outcomes are failures (for the backoff).
 */
export async function runLoop<T>(
  settings: LoopSettings,
  cycle: (n: number) => Promise<T>,
  isError: (outcome: T) => boolean,
  stop: AbortSignal,
  now: () => number = Date.now,
): Promise<LoopSummary<T>> {
  let cycles = 0;
  let consecutiveErrors = 0;
  let last: T | undefined;
  while (!stop.aborted && (settings.maxCycles === undefined || cycles < settings.maxCycles)) {
    const startedAt = now();
    last = await cycle(cycles + 1);
    cycles++;
    consecutiveErrors = isError(last) ? consecutiveErrors + 1 : 0;
    if (stop.aborted || cycles === settings.maxCycles) break;
    const delay = nextDelayMs(settings.intervalMs, { startedAt, endedAt: now(), consecutiveErrors });
    await sleep(delay, undefined, { signal: stop }).catch(() => undefined);
  }
  return { cycles, stopped: stop.aborted, ...(last === undefined ? {} : { last }) };
}
