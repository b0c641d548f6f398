// Pure validators of one DNS response against a query's Expectation, in the spirit of
// blackbox_exporter's prober/dns.go: response code first, then the answer set, then latency.
// Each returns null when satisfied, or the failing outcome with a human reason.
import type { Expectation, Outcome, Rcode, RecordType } from './contract.ts';
import { normalizeValue } from './answers.ts';

export interface Verdict {
  outcome: Exclude<Outcome, 'ok'>;
  detail: string;
}

/** A response that arrived and decoded; answers already normalized (answers.ts). */
export interface Response {
  rcode: Rcode;
  answers: string[];
  latencyMs: number;
}

export const DEFAULT_RCODES: readonly Rcode[] = ['NOERROR'];

/** Codes that mean the server failed to serve, as opposed to answering "no such name". */
const SERVER_FAILURE_RCODES: ReadonlySet<string> = new Set(['SERVFAIL', 'REFUSED', 'NOTIMP', 'FORMERR']);

const listed = (values: readonly string[]): string => (values.length === 0 ? 'no answers' : values.join(', '));

const sortedUnique = (values: readonly string[]): string[] => [...new Set(values)].sort();

export function checkRcode(rcode: Rcode, allowed: readonly Rcode[] = DEFAULT_RCODES): Verdict | null {
  const upper = allowed.map((r) => r.toUpperCase());
  if (upper.includes(rcode.toUpperCase())) return null;
  const detail = `rcode ${rcode}, expected ${upper.join(' or ')}`;
  return { outcome: SERVER_FAILURE_RCODES.has(rcode.toUpperCase()) ? 'server-failure' : 'unexpected-rcode', detail };
}

export function checkNonEmpty(type: RecordType, answers: readonly string[]): Verdict | null {
  return answers.length > 0 ? null : { outcome: 'wrong-answer', detail: `no ${type} records in the answer` };
}

/** Every expected value must be among the answers. */
export function checkInclude(type: RecordType, expected: readonly string[], answers: readonly string[]): Verdict | null {
  const got = new Set(answers);
  const missing = expected.map((v) => normalizeValue(type, v)).filter((v) => !got.has(v));
  if (missing.length === 0) return null;
  return { outcome: 'wrong-answer', detail: `expected ${listed(sortedUnique(missing))}, got ${listed(sortedUnique(answers))}` };
}

/** The answers, as a set, must equal the expected values. */
export function checkEqual(type: RecordType, expected: readonly string[], answers: readonly string[]): Verdict | null {
  const want = sortedUnique(expected.map((v) => normalizeValue(type, v)));
  const got = sortedUnique(answers);
  if (want.length === got.length && want.every((v, i) => v === got[i])) return null;
  return { outcome: 'wrong-answer', detail: `expected ${listed(want)}, got ${listed(got)}` };
}

export function checkLatency(latencyMs: number, maxLatencyMs: number | undefined): Verdict | null {
  if (maxLatencyMs === undefined || latencyMs <= maxLatencyMs) return null;
  return { outcome: 'slow', detail: `answered in ${formatMs(latencyMs)} ms, limit ${maxLatencyMs} ms` };
}

/**
 * The first failed check of a response, or null when it meets the expectation. Answer checks only run
 * when the rcode is NOERROR: an allowed NXDOMAIN has no answers to compare.
 */
export function evaluate(type: RecordType, expect: Expectation, res: Response): Verdict | null {
  const rcode = checkRcode(res.rcode, expect.rcodes);
  if (rcode) return rcode;
  if (res.rcode.toUpperCase() === 'NOERROR') {
    const answer =
      (expect.nonEmpty ? checkNonEmpty(type, res.answers) : null) ??
      (expect.include ? checkInclude(type, expect.include, res.answers) : null) ??
      (expect.equal ? checkEqual(type, expect.equal, res.answers) : null);
    if (answer) return answer;
  }
  return checkLatency(res.latencyMs, expect.maxLatencyMs);
}

/** Milliseconds with at most 3 decimals, trailing zeros dropped: 2000, 1.5, 0.123. */
export function formatMs(ms: number): string {
  return String(Math.round(ms * 1000) / 1000);
}
