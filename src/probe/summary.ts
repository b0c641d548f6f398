// Pure folds of samples into what a report says about them: a sample's outcome from its exchange, a
// result's reason, a target's summary. The probe writes reports with them and the orchestrator checks
// reports with them (src/probe/contract.ts validateReport), so both sides compute the same.
import type { CheckResult, Query, Sample, TargetSummary } from './contract.ts';
import type { Exchange } from './dns.ts';
import { evaluate } from './expect.ts';

/** Judges one exchange against the query's expectation. */
export function toSample(ex: Exchange, query: Query): Sample {
  if (!ex.ok) return { outcome: ex.outcome, rcode: null, answers: [], latencyMs: null, detail: ex.detail };
  const verdict = evaluate(query.type, query.expect, { rcode: ex.rcode, answers: ex.answers, latencyMs: ex.latencyMs });
  const sample: Sample = { outcome: verdict?.outcome ?? 'ok', rcode: ex.rcode, answers: ex.answers, latencyMs: ex.latencyMs };
  if (verdict) sample.detail = verdict.detail;
  return sample;
}

/** "ok", or how many samples failed with the first failure's reason. */
export function resultReason(samples: readonly Sample[]): string {
  const failed = samples.filter((s) => s.outcome !== 'ok');
  if (failed.length === 0) return 'ok';
  return `${failed.length}/${samples.length} samples failed: ${failed[0]?.detail ?? failed[0]?.outcome}`;
}

/** Nearest-rank percentile of an ascending list; null when empty. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] ?? null;
}

/** Summary of one target's results (all of `mine` belong to it). */
export function summarize(targetId: string, mine: readonly CheckResult[]): TargetSummary {
  const latencies = mine
    .flatMap((r) => r.samples.map((s) => s.latencyMs))
    .filter((l): l is number => l !== null)
    .sort((a, b) => a - b);
  return {
    targetId,
    checks: mine.length,
    failedChecks: mine.filter((r) => r.verdict === 'fail').length,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
  };
}
