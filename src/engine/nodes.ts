// --probe-nodes N|all: one probe pod on each node (every schedulable node for all), at most
// DEFAULTS.probe.nodesParallel at once; a node whose probe cannot run (its exec refused, as when the API
// server cannot reach that node's kubelet) is no evidence and a note, not the end of the cycle — unless
// no node could run. The first node that ran is the primary probe.
import { KubeError, type KNode } from '../kube/index.ts';
import type { CheckPlan } from '../probe/contract.ts';
import { ProbePodError, type ProbeRunResult } from '../probepod/lifecycle.ts';
import type { Toleration } from '../probepod/spec.ts';
import { bounded } from '../common/bounded.ts';
import { DEFAULTS } from '../common/defaults.ts';
import type { Prober } from '../modes/types.ts';

const tolerates = (tolerations: Toleration[], taint: KNode['taints'][number]) =>
  tolerations.some((t) => (t.effect === undefined || t.effect === taint.effect) && (t.key === undefined || (t.key === taint.key && (t.operator === 'Exists' || t.value === taint.value))));

/** Ready nodes a probe pod can land on: not cordoned, every NoSchedule/NoExecute taint tolerated. Pure. */
export function schedulableNodes(nodes: KNode[], tolerations: Toleration[]): string[] {
  return nodes
    .filter((n) => n.ready && !n.unschedulable && n.taints.every((t) => t.effect === 'PreferNoSchedule' || tolerates(tolerations, t)))
    .map((n) => n.name)
    .sort();
}

export async function probeEveryNode(prober: Prober, plan: CheckPlan, nodes: string[], notes: string[]): Promise<ProbeRunResult[]> {
  const failures: (ProbePodError | KubeError)[] = [];
  const runs = await bounded(nodes, DEFAULTS.probe.nodesParallel, async (node) => {
    try {
      return await prober.run(plan, [node]);
    } catch (err) {
      if (!(err instanceof ProbePodError || err instanceof KubeError)) throw err;
      failures.push(err);
      notes.push(`probe on node ${node} could not run, so it is no evidence either way: ${err.line}`);
      return [];
    }
  });
  const all = runs.flat();
  if (all.length === 0) throw failures[0] ?? new ProbePodError('unschedulable', 'no schedulable node to probe from', 'uncordon a node, or pass --toleration for tainted nodes');
  return all;
}
