// The one seam through which a cycle gets its probe reports. Every deployment mode is a Prober and
// yields the same ProbeRunResult (src/probepod/lifecycle.ts), so judgment, repair and the report never
// know how the queries were sent.
import type { CheckPlan } from '../probe/contract.ts';
import type { DnsWorkload } from '../discover/types.ts';
import { runProbePods, type ProbeRunResult } from '../probepod/lifecycle.ts';
import type { Progress } from '../report/index.ts';
import type { CycleContext } from './context.ts';

export interface Prober {
  /** The mode's name, as the report shows it. */
  readonly mode: string;
  /**
   * Fits the plan to what the mode reaches (src/modes/types.ts): the judge and the report see the fitted
   * plan, and its notes say what was not checked and why. Absent: the plan runs as built.
   */
  prepare?(plan: CheckPlan, workload: DnsWorkload): Promise<{ plan: CheckPlan; notes: string[] }>;
  /**
   * Runs the plan once per node in `nodes` (pinned probes), or once unpinned when `nodes` is empty.
   * The first result is the primary probe; the others corroborate.
   */
  run(plan: CheckPlan, nodes: string[]): Promise<ProbeRunResult[]>;
}

/** Today's mode: short-lived probe pods, the plan run over the exec websocket; `signal` deletes them and stops. */
export function probePodProber(ctx: CycleContext, progress: Progress, signal?: AbortSignal): Prober {
  const s = ctx.settings;
  return {
    mode: 'probe-pod',
    run: (plan, nodes) =>
      runProbePods(ctx.client, plan, {
        namespace: ctx.probeNamespace,
        image: s.probeImage,
        ...(ctx.probeSource ? { probeSource: ctx.probeSource } : {}),
        nodeSelector: s.nodeSelector,
        tolerations: s.tolerations,
        imagePullSecrets: s.imagePullSecrets,
        podTimeoutMs: s.podTimeoutMs,
        nodes,
        onStage: (stage, detail) => progress.stage(stage, detail),
        ...(signal ? { signal } : {}),
      }),
  };
}
