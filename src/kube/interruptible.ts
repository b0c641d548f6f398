// A view of a client whose requests stop at a signal: a call made after it fires throws Interrupted
// without a request, and a call in flight is given up at once (its HTTP request ends on its own; a
// read's answer is dropped). For the stages that only read or start something — discovery, auto's
// access reviews, the canary's create — never for the requests that clean up after a signal.
import { Interrupted, raceAbort } from '../common/abort.ts';

const SIGNAL = Symbol('interrupting signal');

/**
 * The signal that stops `client`, when it is such a view: a stage handed the view can stop work it
 * does on the plain client too (a probe pod it must be able to delete after the signal).
 */
export const signalOf = (client: object): AbortSignal | undefined => (client as { [SIGNAL]?: AbortSignal })[SIGNAL];

/** Every method of `client` must return a promise (a KubeClient's do). */
export function interruptibleClient<T extends object>(client: T, signal: AbortSignal | undefined): T {
  if (!signal) return client;
  return new Proxy(client, {
    get(target, property) {
      if (property === SIGNAL) return signal;
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (signal.aborted) return Promise.reject(new Interrupted());
        return raceAbort(Promise.resolve((value as (...a: unknown[]) => unknown).apply(target, args)), signal);
      };
    },
  });
}
