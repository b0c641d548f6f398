// The settings one cycle runs with: every flag of `check` (and the repair flags), validated and typed.
// The CLI builds it from flags (src/cli/options.ts); every default comes from src/common/defaults.ts.
import type { LogFormat, LogLevel } from '../report/index.ts';
import type { Toleration } from '../probepod/spec.ts';
import type { PlanFlags } from '../plan/index.ts';
import type { JudgeConfig } from '../judge/types.ts';
import type { RepairConfig } from '../repair/policy.ts';
import type { QuarantineConfig } from '../repair/quarantine.ts';
import type { DnsAddress, ModeName } from '../modes/types.ts';

export type OutputFormat = 'table' | 'json' | 'yaml';

export interface RepairSettings {
  /** Repair at all (--repair). Without it the cycle only judges. */
  enabled: boolean;
  /** Print what would be done; change nothing (no lease, no state, no event, no eviction). */
  dryRun: boolean;
  policy: Partial<RepairConfig>;
  /** Bound on each repair action: PDB retries plus the wait for a Ready replacement. */
  timeoutMs: number;
  /** The repair Lease's duration. */
  leaseSeconds: number;
  /** Grace period for restarting a pod that answers no DNS at all (src/repair/grace.ts). */
  silentGraceSeconds: number;
  /** A silent pod whose restart is refused leaves rotation (src/repair/quarantine.ts). */
  quarantine: QuarantineConfig;
  /** Pods that began failing in different cycles are not cluster-wide (src/repair/timeline.ts); off only to measure the behaviour before it. */
  timeline: boolean;
}

/** Several clusters in one run: --context a,b (repeatable) or --all-contexts, --parallel N. */
export interface FleetSettings {
  contexts: string[] | 'all';
  parallel: number;
}

export interface CheckSettings {
  kubeconfig?: string;
  context?: string;
  /** The DNS workload as kubeadm names it, for the access questions asked before discovery (modes). */
  namespace: string;
  selector: string;
  service: string;
  configmap: string;
  /**
   * What the flags (or nothing) say about the workload, for discovery: unset means find it (the
   * Service of the pods' nameserver, the distributions' names); service "" means pods only.
   */
  discover: { namespace?: string; selector?: string; service?: string; configmap?: string };
  /** undefined: the kubeconfig context's namespace. */
  probeNamespace?: string;
  probeImage: string;
  /** Without --probe-image: the dedicated probe image of this release, tried when the default's registry fails. */
  probeImageFallback?: string;
  /** Probe from N distinct DNS-pod nodes, or from every schedulable node ('all'). */
  probeNodes: number | 'all';
  plan: PlanFlags;
  configFile?: string;
  output: OutputFormat;
  logFormat: LogFormat;
  logLevel: LogLevel;
  podTimeoutMs: number;
  imagePullSecrets: string[];
  nodeSelector: Record<string, string>;
  tolerations: Toleration[];
  requestTimeoutMs: number;
  judge: Partial<JudgeConfig>;
  repair: RepairSettings;
  /** The freshness canary (src/freshness/canary.ts); --no-freshness turns it off. */
  freshness: boolean;
  /** The client's view (src/probe/clientview.ts), opt-in with --client-view. */
  clientView: boolean;
  /** Set when the run covers several clusters; `context` is then filled per cluster. */
  fleet?: FleetSettings;
  /** How the queries are sent (--mode; docs/modes.md). */
  mode: ModeName;
  /** --dns-address host:port (repeatable): endpoints direct mode probes as the Service. */
  dnsAddresses: DnsAddress[];
}
