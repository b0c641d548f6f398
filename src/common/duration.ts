// Durations as kubectl reads them, for flags and the config file alike: a bare number is seconds
// (client-go's ParseTimeout), otherwise Go's time.ParseDuration units ms, s, m, h, combinable as in
// 1m30s. Every duration is bounded: nothing may reach a Node timer above 2^31−1 ms (~24.8 days).
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** The longest delay a Node timer takes without overflowing to 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

const BARE = /^\d+(?:\.\d+)?$/;
const GO_STYLE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;

/** Milliseconds as written, before rounding (floating point aside): 0.5ms is not a whole one. */
function exactMs(t: string): number {
  if (BARE.test(t)) return Number(t) * 1000;
  let ms = 0;
  for (const [, n, unit] of t.matchAll(PART)) ms += Number(n) * UNIT_MS[unit!]!;
  return ms;
}

/** Timers count whole milliseconds: a fraction would silently round (0.5ms ran as 1 ms). */
const wholeMs = (text: string): boolean => {
  const ms = exactMs(text.trim());
  return Math.abs(ms - Math.round(ms)) < 1e-6;
};

/** Milliseconds, or undefined when the text is not a duration. */
export function parseDurationMs(text: string): number | undefined {
  const t = text.trim();
  if (!BARE.test(t) && !GO_STYLE.test(t)) return undefined;
  return Math.round(exactMs(t));
}

/** "from 1s to 24h" — the bounds of a duration setting, written the way it is typed. */
export function durationRange(minMs: number, maxMs: number): string {
  const f = (ms: number) => (ms === 0 ? '0s' : ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : ms % 60_000 === 0 ? `${ms / 60_000}m` : ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`);
  return `from ${f(minMs)} to ${f(maxMs)}`;
}

/**
 * A duration within [minMs, maxMs]; `problem` gets the one-line complaint (the caller wraps it in its
 * own error type, naming the flag or config key).
 */
export function boundedDuration(text: string, minMs: number, maxMs: number): { ms: number } | { problem: string } {
  const ms = parseDurationMs(text);
  if (ms === undefined) return { problem: `must be a duration such as 30 (seconds), 500ms, 2s, 5m, 1h or 1m30s, got "${text}"` };
  if (!wholeMs(text)) return { problem: `must be a whole number of milliseconds, got "${text}"` };
  if (ms < minMs || ms > Math.min(maxMs, MAX_TIMER_MS)) return { problem: `must be ${durationRange(minMs, Math.min(maxMs, MAX_TIMER_MS))}, got "${text}"` };
  return { ms };
}
