// What every deployment mode is to the engine (src/engine/prober.ts's Prober, structurally): a name, whether
// it creates probe pods (only then is there anything to sweep), an optional step that fits the plan to
// what the mode can reach — saying in notes what it could not check — and the run itself.
import type { CheckPlan, Target } from '../probe/contract.ts';
import type { Endpoint } from '../probe/dns.ts';
import type { DnsWorkload } from '../discover/types.ts';
import type { ProbeRunResult } from '../probepod/lifecycle.ts';

export const MODES = ['auto', 'probe-pod', 'port-forward', 'direct', 'in-cluster'] as const;
export type ModeName = (typeof MODES)[number];
/** A mode that runs (auto resolves to one of these). */
export type ConcreteMode = Exclude<ModeName, 'auto'>;

export interface ScopedPlan {
  plan: CheckPlan;
  /** What this mode cannot check, and why: one report note each. */
  notes: string[];
}

export interface ModeProber {
  readonly mode: string;
  /** Fits the planned targets and transports to what the mode reaches; the judge sees the fitted plan. */
  prepare?(plan: CheckPlan, workload: DnsWorkload): Promise<ScopedPlan>;
  run(plan: CheckPlan, nodes: string[]): Promise<ProbeRunResult[]>;
}

/** `--dns-address host:port` as given (IPv6 as [addr]:port). */
export type DnsAddress = Endpoint;

/** The result of a run in this process: no pod, no node; only the exec stage has a duration. */
export const inProcessResult = (report: ProbeRunResult['report'], pod: string, execMs: number): ProbeRunResult => ({
  pod,
  node: '',
  report,
  timings: { createMs: 0, startMs: 0, execMs, deleteMs: 0 },
});

/** NodeLocal DNSCache answers on each node's own host network: from outside a node its address is no cache at all. */
export const NODE_LOCAL_NOTE = (mode: string, caches: readonly Target[]) =>
  `${mode}: the NodeLocal DNSCache address ${[...new Set(caches.map((t) => t.address))].join(', ')} answers only on a node, not checked from here (use --mode probe-pod for each node's cache)`;
