// One cancellation through the engine: the CLI turns SIGINT/SIGTERM into an AbortSignal, every stage
// that waits checks it, and whoever holds something in the cluster (a probe pod, the Lease, a started
// restart) cleans up before the Interrupted error reaches the CLI, which exits 130. A leaf module.
import { SentinelError } from './errors.ts';
import { EXIT } from './exit-codes.ts';

/** The run was cut short by a signal; what was held has been cleaned up (or the message says not). */
export class Interrupted extends SentinelError {
  constructor(message = 'interrupted') {
    super(message, { exitCode: EXIT.interrupted });
    this.name = 'Interrupted';
  }
}

/** Throws Interrupted when the signal fired. */
export function throwIfAborted(signal: AbortSignal | undefined, what = 'interrupted'): void {
  if (signal?.aborted) throw new Interrupted(what);
}

/** Resolves after `ms`, or rejects with Interrupted as soon as the signal fires. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(new Interrupted());
    const onAbort = () => {
      clearTimeout(timer);
      reject(new Interrupted());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * `work`, or Interrupted as soon as the signal fires. The work itself goes on (an HTTP request cannot be
 * taken back): callers that must clean up after it await `work` again before doing so.
 */
export function raceAbort<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(new Interrupted());
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Interrupted());
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
