// --probe-nodes N|all: one probe pod on each node (every schedulable Linux node for all), at most
// DEFAULTS.probe.nodesParallel at once; a node whose probe cannot run (its exec refused, as when the API
// server cannot reach that node's kubelet) is no evidence and a note, not the end of the cycle — unless
// no node could run. The first node that ran is the primary probe.
import { KubeError, type KNode } from '../kube/index.ts';
import type { CheckPlan } from '../probe/contract.ts';
import { ProbePodError, type ProbeRunResult } from '../probepod/lifecycle.ts';
import { tolerationsFor, type PinnedNode } from '../probepod/spec.ts';
import { bounded } from '../common/bounded.ts';
import { DEFAULTS } from '../common/defaults.ts';
import type { Prober } from '../modes/types.ts';

/** The nodes named, each with its taints (none for a node the list did not hold). Pure. */
export function pinNodes(names: string[], known: KNode[]): PinnedNode[] {
  return names.map((name) => ({ name, taints: known.find((n) => n.name === name)?.taints ?? [] }));
}

/** What the probe pods tolerate and why: only the taints of the nodes they are pinned to. Pure. */
export function tolerationNote(nodes: PinnedNode[]): string | undefined {
  const tainted = nodes.flatMap((n) => {
    const taints = tolerationsFor(n);
    return taints.length ? [`${n.name} (${taints.map((t) => `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`).join(', ')})`] : [];
  });
  return tainted.length ? `probe pods tolerate the taints of the nodes they are pinned to: ${tainted.join('; ')}` : undefined;
}

/**
 * --probe-nodes all: Ready, schedulable Linux nodes (the probe images are Linux-only), each pinned
 * with its taints tolerated; the nodes left out are named in notes. Pure.
 */
export function probeableNodes(nodes: KNode[]): { nodes: PinnedNode[]; notes: string[] } {
  const notLinux = nodes.filter((n) => n.os !== undefined && n.os !== 'linux');
  const unschedulable = nodes.filter((n) => !notLinux.includes(n) && (!n.ready || n.unschedulable));
  const chosen = nodes.filter((n) => !notLinux.includes(n) && !unschedulable.includes(n)).sort((a, b) => a.name.localeCompare(b.name));
  const pinned = pinNodes(chosen.map((n) => n.name), chosen);
  const names = (ns: KNode[]) => ns.map((n) => n.name).sort().join(', ');
  const notes = [
    ...(notLinux.length ? [`--probe-nodes all: left out ${notLinux.length} node(s) not running Linux: ${names(notLinux)}`] : []),
    ...(unschedulable.length ? [`--probe-nodes all: left out ${unschedulable.length} cordoned or not Ready node(s): ${names(unschedulable)}`] : []),
    ...(tolerationNote(pinned) ? [tolerationNote(pinned)!] : []),
  ];
  return { nodes: pinned, notes };
}

/** Runs of several probe nodes, with a note for each node whose probe could not run. */
export interface NodeRuns {
  runs: ProbeRunResult[];
  notes: string[];
}

export async function probeEveryNode(prober: Prober, plan: CheckPlan, nodes: PinnedNode[]): Promise<NodeRuns> {
  const failures: (ProbePodError | KubeError)[] = [];
  const outcomes = await bounded(nodes, DEFAULTS.probe.nodesParallel, async (node): Promise<NodeRuns> => {
    try {
      return { runs: await prober.run(plan, [node]), notes: [] };
    } catch (err) {
      if (!(err instanceof ProbePodError || err instanceof KubeError)) throw err;
      failures.push(err);
      return { runs: [], notes: [`probe on node ${node.name} could not run, so it is no evidence either way: ${err.line}`] };
    }
  });
  const runs = outcomes.flatMap((o) => o.runs);
  if (runs.length === 0) throw failures[0] ?? new ProbePodError('unschedulable', 'no schedulable node to probe from', 'uncordon a node or make one Ready');
  return { runs, notes: outcomes.flatMap((o) => o.notes) };
}
