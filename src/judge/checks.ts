// Per check: does it fail under the judge's own thresholds (k of n samples, optional latency limit)?
// Per report: which targets fail which checks, and is the probe itself blind?
import type { CheckPlan, CheckResult, ConnectResult, Outcome, ProbeReport, Query, Sample } from '../probe/contract.ts';
import { resultReason } from '../probe/summary.ts';
import type { Zones } from '../discover/types.ts';
import { sourceOf } from '../plan/index.ts';
import type { CheckScope, FailedCheck } from './types.ts';

export interface CheckThresholds {
  failSamples?: number;
  latencyThresholdMs?: number;
  /** Without latencyThresholdMs: the limit for UDP answers only (the default). */
  udpLatencyThresholdMs?: number;
}

/** The latency limit of a check over `transport`: the explicit one for every transport, else the UDP default. */
export const latencyLimit = (t: CheckThresholds, transport: string): number | undefined =>
  t.latencyThresholdMs ?? (transport === 'udp' ? t.udpLatencyThresholdMs : undefined);

/** A majority of n by default; never more than n, so a check with few samples can still fail. */
export function requiredFailures(samples: number, failSamples?: number): number {
  const k = failSamples ?? Math.floor(samples / 2) + 1;
  return Math.max(1, Math.min(k, samples));
}

/** Outcome of one sample after the latency threshold: an ok answer that came too late is "slow". */
function judgedOutcome(outcome: Outcome, latencyMs: number | null, thresholdMs?: number): Outcome {
  if (outcome === 'ok' && thresholdMs !== undefined && latencyMs !== null && latencyMs > thresholdMs) return 'slow';
  return outcome;
}

/**
 * Who answers the query: a name in a stub zone is its forwarder's (whatever the check says), a name the
 * check marks external is the upstream's, anything else CoreDNS's own.
 */
export function scopeOf(query: Query | undefined, zones?: Zones): { scope: CheckScope; stub?: { zone: string; forwarders: string[] } } {
  const source = query && zones ? sourceOf(query.name, zones) : undefined;
  if (source?.kind === 'stub') return { scope: 'stub', stub: { zone: source.zone, forwarders: source.forwarders } };
  return { scope: query?.external === true ? 'external' : 'internal' };
}

/** A sample that never reached the target (the API could not open the path to it) says nothing about it. */
const reachedTarget = (s: Sample): boolean => s.outcome !== 'path';

/**
 * The check's failure, or null when it passes. Only samples that reached the target count: a result
 * without such samples says nothing and passes (unreachedTargets names the targets that are unknown).
 */
export function evaluateCheck(result: CheckResult, query: Query | undefined, t: CheckThresholds, zones?: Zones): FailedCheck | null {
  const samples = result.samples.filter(reachedTarget);
  const n = samples.length;
  if (n === 0) return null;
  const outcomes: Partial<Record<Outcome, number>> = {};
  let failed = 0;
  let slowByThreshold = 0;
  for (const s of samples) {
    const o = judgedOutcome(s.outcome, s.latencyMs, latencyLimit(t, result.transport));
    if (o === 'ok') continue;
    failed++;
    if (s.outcome === 'ok') slowByThreshold++;
    outcomes[o] = (outcomes[o] ?? 0) + 1;
  }
  if (failed < requiredFailures(n, t.failSamples)) return null;
  const reason =
    result.verdict === 'fail' && slowByThreshold === 0
      ? n === result.samples.length
        ? result.reason
        : resultReason(samples)
      : `${failed}/${n} samples failed: slower than ${latencyLimit(t, result.transport)} ms`;
  const { scope, stub } = scopeOf(query, zones);
  return {
    queryId: result.queryId,
    query: query ? `${query.name} ${query.type}` : result.queryId,
    transport: result.transport,
    external: scope !== 'internal',
    scope,
    ...(stub && { stub }),
    ...(query?.source && { source: query.source }),
    failedSamples: failed,
    samples: n,
    outcomes,
    reason,
  };
}

/** Failing checks per target id (targets without failures map to an empty list). */
export function failuresByTarget(report: ProbeReport, plan: CheckPlan, t: CheckThresholds, zones?: Zones): Map<string, FailedCheck[]> {
  const queries = new Map(plan.queries.map((q) => [q.id, q]));
  const byTarget = new Map<string, FailedCheck[]>(plan.targets.map((target) => [target.id, []]));
  for (const result of report.results) {
    const failure = evaluateCheck(result, queries.get(result.queryId), t, zones);
    if (failure) byTarget.get(result.targetId)?.push(failure);
  }
  return byTarget;
}

/**
 * Targets no sample reached (every one failed as "path": the API server would not open the tunnel to
 * it), with the API's line for each: unknown this cycle, never a failure of the target.
 */
export function unreachedTargets(report: ProbeReport): Map<string, string> {
  const byTarget = new Map<string, Sample[]>();
  for (const r of report.results) byTarget.set(r.targetId, [...(byTarget.get(r.targetId) ?? []), ...r.samples]);
  const unreached = new Map<string, string>();
  for (const [id, samples] of byTarget)
    if (samples.length > 0 && !samples.some(reachedTarget)) unreached.set(id, samples[0]!.detail ?? 'not reached through the API');
  return unreached;
}

const NETWORK_ERRORS: ReadonlySet<Outcome> = new Set(['unreachable', 'io']);

/**
 * Why this probe's view cannot be trusted, or null when it can: it did not run the plan, returned no
 * results, or every sample it took failed with a network error (its pod has no usable network).
 */
export function probeBlindness(report: ProbeReport): string | null {
  if (report.error) return `the probe could not run the plan (${report.error.kind}: ${report.error.message})`;
  if (report.results.length === 0) return 'the probe returned no results';
  const samples = report.results.flatMap((r) => r.samples);
  if (samples.length > 0 && samples.every((s) => NETWORK_ERRORS.has(s.outcome)))
    return 'every query failed with a network error (unreachable) before reaching any DNS server';
  return null;
}

/** "queryId/transport,…" sorted and unique: the same failing checks give the same text. */
export function failureSignature(checks: FailedCheck[]): string {
  return [...new Set(checks.map((c) => `${c.queryId}/${c.transport}`))].sort().join(',');
}

/** What the probe's own TCP connects (plan.connects) say about its network, or null when they say nothing. */
export interface NetworkEvidence {
  /** works: every connect succeeded; cut-off: every one failed. */
  state: 'works' | 'cut-off';
  /** "kubernetes Service 10.96.0.1:443 connected in 1.2 ms" / "… failed: timeout after 2000 ms". */
  detail: string;
}

export function networkEvidence(report: ProbeReport, plan: CheckPlan): NetworkEvidence | null {
  const results = report.connects ?? [];
  const label = (c: ConnectResult) => plan.connects?.find((p) => p.id === c.id)?.label ?? c.id;
  if (results.length === 0) return null;
  if (results.every((c) => c.ok)) return { state: 'works', detail: results.map((c) => `${label(c)} connected in ${c.latencyMs} ms`).join(', ') };
  if (results.every((c) => !c.ok)) return { state: 'cut-off', detail: results.map((c) => `${label(c)} failed: ${c.detail ?? 'no connection'}`).join(', ') };
  return null;
}
