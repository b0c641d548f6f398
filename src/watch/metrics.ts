// Prometheus metrics of `watch`, in a Registry of their own (never prom-client's global one, so tests
// and embedders can hold several). Each cycle is folded in with `recordCycle`; target gauges are
// rebuilt from the cycle's targets, so a replaced pod's label sets disappear and cardinality stays
// bounded by the current targets. Metric names and meanings are documented in docs/watch.md.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Classification } from '../judge/types.ts';
import type { CheckOutput, TargetResult } from '../report/index.ts';

export const METRIC_PREFIX = 'coredns_sentinel_';

export type CycleResultLabel = 'healthy' | 'unhealthy' | 'error';

/** A restart this cycle did: the pod, evict|delete|rollout, and how it went (e.g. restarted, refused, failed). */
export interface RestartRecord {
  pod: string;
  method: string;
  outcome: string;
}

/** What a cycle tells the metrics; plain data so the loop and the tests build it without a cluster. */
export interface CycleRecord {
  result: CycleResultLabel;
  durationSeconds: number;
  /** Wall clock at the cycle's end, ms since the epoch. */
  endedAt: number;
  /** Per-target verdicts; absent for an error cycle (the last known target values stay). */
  targets?: TargetResult[];
  classification?: Classification;
  restarts?: RestartRecord[];
  /** Escalations raised for the first time this cycle. */
  newEscalations?: number;
  /** With --repair: a sick pod was left alone because the restart budget was used up. */
  budgetExhausted?: boolean;
}

/** The repair policy's skip reason when the budget is used up (src/repair/policy.ts). */
const BUDGET_SKIP = /^restart budget used\b/;

/** A judged or failed cycle's report as the metrics see it (check's push and watch share this). */
export function cycleRecord(output: CheckOutput, durationSeconds: number, endedAt: number): CycleRecord {
  if (output.verdict === 'error') return { result: 'error', durationSeconds, endedAt };
  const repair = output.repair;
  return {
    result: output.verdict,
    durationSeconds,
    endedAt,
    targets: output.targets ?? [],
    ...(output.classification ? { classification: output.classification } : {}),
    // A dry run restarts nothing.
    restarts: repair?.mode === 'repair' ? repair.actions.filter((a) => a.outcome !== 'dry-run').map((a) => ({ pod: a.pod, method: a.method, outcome: a.outcome })) : [],
    newEscalations: repair?.escalations.filter((e) => e.isNew).length ?? 0,
    ...(repair ? { budgetExhausted: repair.skipped.some((s) => BUDGET_SKIP.test(s.reason)) } : {}),
  };
}

export interface SentinelMetrics {
  registry: Registry;
  recordCycle(record: CycleRecord): void;
}

/** Seconds buckets around the expected cycle: probe pod start (~1 s on a warm node) to a slow repair. */
const DURATION_BUCKETS = [0.25, 0.5, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144];

/** The Service target's metric label is the Service name; a pod target's is the pod name. */
export const targetLabel = (t: Pick<TargetResult, 'kind' | 'label'>): string => (t.kind === 'service' ? t.label.replace(/^service /, '') : t.label);

export function createMetrics(options: { processMetrics?: boolean } = {}): SentinelMetrics {
  const registry = new Registry();
  if (options.processMetrics) {
    collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });
    // prom-client's gauges named *_total break the naming rules promtool checks; the per-type
    // series of the same name without _total (nodejs_active_handles …) carry the same counts.
    for (const kind of ['handles', 'requests', 'resources']) registry.removeSingleMetric(`${METRIC_PREFIX}nodejs_active_${kind}_total`);
  }
  const registers = [registry];

  const cycles = new Counter({ name: `${METRIC_PREFIX}cycles_total`, help: 'Check cycles by result: healthy, unhealthy (a target failed), error (the cycle could not judge: API, probe pod).', labelNames: ['result'], registers });
  for (const result of ['healthy', 'unhealthy', 'error'] as const) cycles.inc({ result }, 0);
  const duration = new Histogram({ name: `${METRIC_PREFIX}cycle_duration_seconds`, help: 'Wall time of a check cycle, errors included.', buckets: DURATION_BUCKETS, registers });
  const lastCycle = new Gauge({ name: `${METRIC_PREFIX}last_cycle_timestamp_seconds`, help: 'Unix time the last cycle ended, whatever its result.', registers });
  const up = new Gauge({ name: `${METRIC_PREFIX}target_up`, help: '1 when every check of the target over this transport passed in the last judged cycle, else 0.', labelNames: ['target', 'kind', 'transport'], registers });
  const latency = new Gauge({ name: `${METRIC_PREFIX}target_latency_seconds`, help: "The probe's answer latency for the target in the last judged cycle, by percentile (50, 99).", labelNames: ['target', 'percentile'], registers });
  const restarts = new Counter({ name: `${METRIC_PREFIX}restarts_total`, help: 'Restarts of CoreDNS pods by pod, method (evict, delete, rollout; quarantine: taken out of rotation when a restart was refused) and outcome.', labelNames: ['pod', 'method', 'outcome'], registers });
  const escalations = new Counter({ name: `${METRIC_PREFIX}escalations_total`, help: 'Escalations raised: the same failure returned after repeated restarts; a human must look.', registers });
  const classification = new Gauge({ name: `${METRIC_PREFIX}classification`, help: "1 for the last judged cycle's classification (healthy, pod-local, upstream, probe-side …).", labelNames: ['classification'], registers });
  const budget = new Gauge({ name: `${METRIC_PREFIX}restart_budget_exhausted`, help: 'With --repair: 1 when the last judged cycle left a sick pod alone because the restart budget was used up, else 0.', registers });
  escalations.inc(0);

  function recordTargets(targets: TargetResult[]): void {
    // Rebuilt, not updated: targets that disappeared (replaced pods) lose their series.
    up.reset();
    latency.reset();
    for (const t of targets) {
      const target = targetLabel(t);
      for (const transport of ['udp', 'tcp'] as const) {
        // Not probed over it (n/a) or not reached through the API (unknown): no sample, rather than a false 0.
        if (t[transport] === 'pass' || t[transport] === 'fail') up.set({ target, kind: t.kind, transport }, t[transport] === 'pass' ? 1 : 0);
      }
      if (t.p50Ms !== null) latency.set({ target, percentile: '50' }, t.p50Ms / 1000);
      if (t.p99Ms !== null) latency.set({ target, percentile: '99' }, t.p99Ms / 1000);
    }
  }

  return {
    registry,
    recordCycle(record) {
      cycles.inc({ result: record.result });
      duration.observe(record.durationSeconds);
      lastCycle.set(record.endedAt / 1000);
      if (record.targets) recordTargets(record.targets);
      if (record.classification) {
        classification.reset();
        classification.set({ classification: record.classification }, 1);
      }
      for (const r of record.restarts ?? []) restarts.inc({ pod: r.pod, method: r.method, outcome: r.outcome });
      if (record.newEscalations) escalations.inc(record.newEscalations);
      if (record.budgetExhausted !== undefined) budget.set(record.budgetExhausted ? 1 : 0);
    },
  };
}
