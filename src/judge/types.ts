// The judge's plain data: what goes in (probe reports, workload, history counts, thresholds) and what
// comes out (a verdict per target, one classification for the cycle, the pods repair may consider).
import type { Classification } from '../contracts/generated/check-output.ts';
import type { CheckPlan, Outcome, ProbeReport, TargetKind, Transport } from '../probe/contract.ts';
import type { DnsWorkload } from '../discover/types.ts';
import type { Finding, PodEvidence } from './diagnose.ts';
import { DEFAULTS } from '../common/defaults.ts';

export interface JudgeConfig {
  /** A check fails when at least this many of its n samples failed; undefined = a majority of n. */
  failSamples?: number;
  /** Samples answered slower than this count as failed (slow), whatever the probe said (--latency-threshold). */
  latencyThresholdMs?: number;
  /** Without latencyThresholdMs: the limit for UDP answers only. */
  udpLatencyThresholdMs?: number;
  /** Consecutive failing cycles before a target is confirmed failing (1 = the first cycle). */
  confirmCycles: number;
}

export const DEFAULT_JUDGE_CONFIG: JudgeConfig = { ...DEFAULTS.judge };

/** Defaults overlaid with the given settings; an undefined setting (an unset flag) keeps its default. */
export function withDefaults<T extends object>(defaults: T, given: Partial<T> = {}): T {
  const set = Object.entries(given).filter(([, v]) => v !== undefined);
  return { ...defaults, ...Object.fromEntries(set) } as T;
}

/** One probe's report and the node its probe pod ran on. */
export interface ProbeRun {
  report: ProbeReport;
  node: string;
}

export interface JudgeInput {
  plan: CheckPlan;
  workload: DnsWorkload;
  primary: ProbeRun;
  /** Reports of the same plan from probe pods on other nodes. */
  corroborating?: ProbeRun[];
  /** Consecutive failing cycles per target key before this cycle (History.targets). */
  previousFailures?: Record<string, number>;
  /** Logs and last termination state of pods, by pod name, for diagnosing pods a restart cannot help. */
  evidence?: Record<string, PodEvidence>;
  config?: Partial<JudgeConfig>;
}

/**
 * What a failure is, for the whole cycle (see design.md, "Safety rules of repair"):
 *  healthy         nothing failed
 *  outage          discovery named an outage (the workload scaled to 0, no pod Ready, no endpoints…):
 *                  src/discover/outage.ts
 *  pod-local       some pods fail while peers pass from the same probe: those pods are repairable
 *  not-repairable  the only failing pods are crash-looping, Pending, not Ready or terminating
 *  upstream        only names outside the cluster (external checks) fail
 *  stub            only names of stub domains fail: their forwarders are at fault (named in the reason)
 *  ip-family       one address family fails on every pod while the other passes: the network, not the pods
 *  service-only    the Service IP fails while every pod passes (kube-proxy / endpoints)
 *  node-local      NodeLocal DNSCache on some nodes fails while the CoreDNS pods pass from those nodes
 *  probe-side      the probe (or its node) cannot reach DNS, not the pods' fault
 *  cluster-wide    every pod fails, from every probe
 *  uncorroborated  every pod fails from the primary probe and no other probe could confirm it
 *  slow            CoreDNS answers, only slower than the latency threshold: a pod much slower than its
 *                  peers is repairable; slowness shared by the pods is the load, the upstream or the nodes
 *  inconclusive    the probes disagree, or nothing can be compared (no pod was probed)
 *  broken-config   a restart was due, but the Corefile in the ConfigMap changed to one CoreDNS cannot load
 *                  (src/repair/config-guard.ts): a restarted pod would crash-loop on it; set by repair
 */
// The union itself is schema/check-output.v1.json's (one source: the JSON output carries it).
export type { Classification };

/** Who answers a check: CoreDNS itself (cluster, file, hosts zones), a stub domain's forwarder, or the upstream. */
export type CheckScope = 'internal' | 'stub' | 'external';

export interface FailedCheck {
  queryId: string;
  /** The queried name and type, "kubernetes.default.svc.cluster.local A". */
  query: string;
  transport: Transport;
  /** Not CoreDNS's own answer (scope stub or external): a restart cannot fix it. */
  external: boolean;
  scope: CheckScope;
  /** scope stub: the stub domain and its forwarders. */
  stub?: { zone: string; forwarders: string[] };
  /** Where the check came from (Query.source). */
  source?: string;
  failedSamples: number;
  samples: number;
  /** Samples per non-ok outcome (slow-by-threshold counts as "slow"). */
  outcomes: Partial<Record<Outcome, number>>;
  /** The probe's reason, or the judge's when only the latency threshold made it fail. */
  reason: string;
}

/**
 * pass; fail (confirmed); pending-confirmation (failing, fewer than confirmCycles cycles so far);
 * unknown (the probe could not be trusted this cycle, so it says nothing about this target).
 */
export type TargetStatus = 'pass' | 'fail' | 'pending-confirmation' | 'unknown';

export interface TargetVerdict {
  targetId: string;
  kind: TargetKind;
  label: string;
  address: string;
  /** History key: pod name AND uid, so a replacement pod starts fresh. */
  key: string;
  /** The workload's pod behind a pod target; absent when the pod is gone (or for the Service). */
  pod?: { name: string; uid: string; node: string; deployment?: string; startTime?: string };
  status: TargetStatus;
  failedChecks: FailedCheck[];
  /** Stable text of the failing checks ("queryId/transport,…"): the same failure gives the same signature. */
  signature: string;
  /** Failing cycles in a row including this one (not advanced when the cycle is probe-side). */
  consecutiveFailures: number;
  p50Ms: number | null;
  p99Ms: number | null;
  classification: Classification;
  /** One line a human reads in the report. */
  reason: string;
  /** For pods a restart cannot help: what their logs and state say. */
  diagnosis?: Finding[];
  /** Not reached through the API this cycle (its tunnel refused): the API's line. Status unknown. */
  unreached?: string;
  /**
   * Answers none of CoreDNS's own checks over some probed transport (hung, UDP dropped): the pod serves
   * no client there, so it counts as unavailable, whatever its readiness (src/repair/policy.ts).
   */
  outOfService: boolean;
}

/** A pod the judge found repairable; the repair policy decides whether and how. */
export interface RepairCandidate {
  targetId: string;
  key: string;
  pod: string;
  uid: string;
  node: string;
  deployment?: string;
  startTime?: string;
  signature: string;
  consecutiveFailures: number;
  failedChecks: number;
  /** pod-local: peers pass (or answer much faster). cluster-wide: every pod fails everywhere (repair only when explicitly allowed). */
  scope: 'pod-local' | 'cluster-wide';
  reason: string;
}

export interface Judgement {
  /** unhealthy when any target failed its checks this cycle (confirmed or not). */
  verdict: 'healthy' | 'unhealthy';
  classification: Classification;
  reason: string;
  /** The end of `reason` that offers a repair ("— it is repairable (…)"), so a report can replace it once repair was refused. */
  repairHint?: string;
  /** Secondary findings: upstream trouble next to a sick pod, unprobed pods, ignored probes. */
  notes: string[];
  targets: TargetVerdict[];
  candidates: RepairCandidate[];
  /** Node of the primary probe, for messages. */
  probeNode: string;
}
