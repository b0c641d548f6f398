// Time as the engine reads it, injectable so that tests of timed logic (the repair Lease) run without
// sleeping. Wall time is what other runners read in the objects we write; only the monotonic clock of
// this process measures how long something lasted, since another machine's clock may be skewed.
import { sleep } from './abort.ts';

export interface Clock {
  /** Wall time, for timestamps others read (a Lease's renewTime). */
  now(): Date;
  /** Milliseconds on this process's monotonic clock: for durations, never compared with another machine. */
  monotonic(): number;
  /** Resolves after `ms` on this clock, or rejects with Interrupted when the signal fires. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => new Date(),
  monotonic: () => performance.now(),
  sleep,
};
