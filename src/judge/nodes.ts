// Every node's view (--probe-nodes all): which targets each probe node sees pass or fail, and the
// nodes whose view differs — a node that reaches no DNS pod while other nodes do has a network
// problem of its own, never a reason to restart CoreDNS. Pure.
import type { CheckPlan, ProbeReport } from '../probe/contract.ts';

export interface NodeView {
  node: string;
  pod: string;
  targets: { id: string; verdict: 'pass' | 'fail' }[];
}

export function nodeViews(plan: CheckPlan, runs: { pod: string; node: string; report: ProbeReport }[]): NodeView[] {
  return runs.map((r) => ({
    node: r.node,
    pod: r.pod,
    targets: plan.targets.map((t) => {
      const results = r.report.results.filter((x) => x.targetId === t.id);
      return { id: t.id, verdict: results.length > 0 && results.every((x) => x.verdict === 'pass') ? 'pass' : 'fail' };
    }),
  }));
}

/** One line per node that reaches no DNS pod while another node reaches at least one. */
export function differingNodes(plan: CheckPlan, views: NodeView[]): string[] {
  if (views.length < 2) return [];
  const podIds = new Set(plan.targets.filter((t) => t.kind === 'pod').map((t) => t.id));
  const reachesAPod = (v: NodeView) => v.targets.some((t) => podIds.has(t.id) && t.verdict === 'pass');
  if (!views.some(reachesAPod)) return [];
  return views
    .filter((v) => !reachesAPod(v))
    .map((v) => `node ${v.node} reaches no CoreDNS pod while other nodes do: that node's network or its DNS path (kube-proxy, CNI, a node-local cache), not CoreDNS — no restart; check the node`);
}
