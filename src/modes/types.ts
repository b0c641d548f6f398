// What every deployment mode is to the engine: a Prober — a name, an optional step that fits the plan to
// what the mode can reach (saying in notes what it could not check), and the run itself. Every mode
// yields the same ProbeRunResult (src/probepod/lifecycle.ts), so judgment, repair and the report never
// know how the queries were sent. The modes themselves are entries of src/modes/registry.ts.
import type { CheckPlan, Target } from '../probe/contract.ts';
import type { Endpoint } from '../probe/dns.ts';
import type { DnsWorkload } from '../discover/types.ts';
import { trustedReport, type ProbeRunResult } from '../probepod/lifecycle.ts';
import type { PinnedNode } from '../probepod/spec.ts';

/** The modes that run, in the registry's order (auto resolves to one of these). */
export const CONCRETE_MODES = ['probe-pod', 'port-forward', 'direct', 'in-cluster'] as const;
export type ConcreteMode = (typeof CONCRETE_MODES)[number];
export const MODES = ['auto', ...CONCRETE_MODES] as const;
export type ModeName = (typeof MODES)[number];

export interface ScopedPlan {
  plan: CheckPlan;
  /** What this mode cannot check, and why: one report note each. */
  notes: string[];
}

export interface Prober {
  /** The mode's name, as the report shows it. */
  readonly mode: string;
  /** Runs one probe on each node it is given (probe pods); in-process modes probe from here and ignore nodes. */
  readonly perNode?: boolean;
  /** Fits the planned targets and transports to what the mode reaches; the judge sees the fitted plan. Absent: the plan runs as built. */
  prepare?(plan: CheckPlan, workload: DnsWorkload): Promise<ScopedPlan>;
  /**
   * Runs the plan once per node in `nodes` (pinned probes), or once unpinned when `nodes` is empty.
   * The first result is the primary probe; the others corroborate.
   */
  run(plan: CheckPlan, nodes: PinnedNode[]): Promise<ProbeRunResult[]>;
}

/** `--dns-address host:port` as given (IPv6 as [addr]:port). */
export type DnsAddress = Endpoint;

/**
 * The result of a run in this process: no pod, no node; only the exec stage has a duration. Its report
 * is checked as a probe pod's is (trustedReport: exit 4 when it cannot be trusted).
 */
export const inProcessResult = (report: unknown, plan: CheckPlan, mode: ConcreteMode, pod: string, execMs: number): ProbeRunResult => ({
  pod,
  node: '',
  report: trustedReport(report, plan, `the in-process probe (${mode} mode)`),
  timings: { createMs: 0, startMs: 0, execMs, deleteMs: 0 },
});

/** NodeLocal DNSCache answers on each node's own host network: from outside a node its address is no cache at all. */
export const NODE_LOCAL_NOTE = (mode: string, caches: readonly Target[]) =>
  `${mode}: the NodeLocal DNSCache address ${[...new Set(caches.map((t) => t.address))].join(', ')} answers only on a node, not checked from here (use --mode probe-pod for each node's cache)`;
