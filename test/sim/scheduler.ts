// The sim's scheduler: binds unscheduled pods to a Ready node that honours their nodeSelector, node
// affinity on metadata.name, taints (NoSchedule/NoExecute, as tolerated) and the cpu and memory its
// pods request against the node's allocatable, spreading
// by pod count; when none fits, the pod stays Pending with PodScheduled False / Unschedulable.
import type { KObject, Store } from './store.ts';
import { Reconciler } from './controllers.ts';

type Condition = { type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string; lastProbeTime?: null };

const isReady = (n: KObject) =>
  !(n.spec as { unschedulable?: boolean } | undefined)?.unschedulable &&
  ((n.status as { conditions?: Condition[] } | undefined)?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

const matches = (selector: Record<string, string> | undefined, labels: Record<string, string> | undefined) =>
  Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);

const isActive = (p: KObject) => !['Succeeded', 'Failed'].includes((p.status as { phase?: string } | undefined)?.phase ?? '');

type Term = { matchFields?: { key: string; operator: string; values?: string[] }[] };
type Affinity = { nodeAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms?: Term[] } } };

/** Required node affinity by metadata.name (what the DaemonSet controller sets); other terms are not modelled. */
const affinityAllows = (pod: KObject, node: KObject) => {
  const terms = (pod.spec as { affinity?: Affinity }).affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (!terms?.length) return true;
  return terms.some((t) => (t.matchFields ?? []).every((f) => f.key !== 'metadata.name' || f.operator !== 'In' || (f.values ?? []).includes(node.metadata.name ?? '')));
};

type Taint = { key: string; value?: string; effect: string };
type Toleration = { key?: string; operator?: string; value?: string; effect?: string };

/** v1.Toleration.ToleratesTaint (k8s.io/api/core/v1/toleration.go). */
const tolerates = (t: Toleration, taint: Taint) =>
  (!t.effect || t.effect === taint.effect) &&
  (t.key === undefined || t.key === '' ? t.operator === 'Exists' : t.key === taint.key && (t.operator === 'Exists' || (t.value ?? '') === (taint.value ?? '')));

/** The first NoSchedule/NoExecute taint of the node that the pod does not tolerate (TaintToleration plugin). */
const untolerated = (pod: KObject, node: KObject): Taint | undefined => {
  const tolerations = (pod.spec as { tolerations?: Toleration[] }).tolerations ?? [];
  const taints = (node.spec as { taints?: Taint[] } | undefined)?.taints ?? [];
  return taints.find((taint) => taint.effect !== 'PreferNoSchedule' && !tolerations.some((t) => tolerates(t, taint)));
};

type Resources = Record<'cpu' | 'memory', number>;
const RESOURCES = ['cpu', 'memory'] as const;
const SUFFIX: Record<string, number> = { m: 1e-3, k: 1e3, M: 1e6, G: 1e9, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30 };

/** A resource.Quantity as a number: "100m" → 0.1 (cores), "64Mi" → bytes. */
export function quantity(q: unknown): number {
  const m = /^(\d+(?:\.\d+)?)([a-zA-Z]*)$/.exec(String(q ?? '0'));
  return m ? Number(m[1]) * (SUFFIX[m[2]!] ?? 1) : 0;
}

/** What a pod requests of a node (its containers' requests; NodeResourcesFit). */
export function podRequests(pod: KObject): Resources {
  const containers = (pod.spec as { containers?: { resources?: { requests?: Record<string, unknown> } }[] }).containers ?? [];
  const sum = (r: string) => containers.reduce((n, c) => n + quantity(c.resources?.requests?.[r]), 0);
  return { cpu: sum('cpu'), memory: sum('memory') };
}

const allocatable = (node: KObject): Resources => {
  const a = (node.status as { allocatable?: Record<string, unknown> } | undefined)?.allocatable ?? {};
  return { cpu: a.cpu === undefined ? Infinity : quantity(a.cpu), memory: a.memory === undefined ? Infinity : quantity(a.memory) };
};

/** The node for a pod, or why none fits (the scheduler's message, its reasons counted per node). Pure. */
export function chooseNode(pod: KObject, nodes: KObject[], podsPerNode: Map<string, number>, requested = new Map<string, Resources>()): { node: string } | { message: string } {
  const wants = podRequests(pod);
  const selector = (pod.spec as { nodeSelector?: Record<string, string> }).nodeSelector;
  const ready = nodes.filter(isReady);
  const reasons = new Map<string, number>();
  const count = (reason: string) => reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
  for (let i = ready.length; i < nodes.length; i++) count('node(s) had untolerated taint {node.kubernetes.io/not-ready: }');
  const fit = ready.filter((n) => {
    if (!matches(selector, n.metadata.labels) || !affinityAllows(pod, n)) return void count("node(s) didn't match Pod's node affinity/selector");
    const taint = untolerated(pod, n);
    if (taint) return void count(`node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`);
    // "Insufficient cpu": what the node's pods request plus this one's over its allocatable (noderesources/fit.go).
    const used = requested.get(n.metadata.name ?? '') ?? { cpu: 0, memory: 0 };
    const short = RESOURCES.filter((r) => wants[r] > 0 && used[r] + wants[r] > allocatable(n)[r]);
    for (const r of short) count(`Insufficient ${r}`);
    return short.length === 0;
  });
  if (!fit.length) {
    const parts = [...reasons].sort(([a], [b]) => a.localeCompare(b)).map(([reason, n]) => `${n} ${reason}`);
    return { message: `0/${nodes.length} nodes are available: ${parts.join(', ')}.` };
  }
  const best = fit.reduce((a, b) => ((podsPerNode.get(b.metadata.name ?? '') ?? 0) < (podsPerNode.get(a.metadata.name ?? '') ?? 0) ? b : a));
  return { node: best.metadata.name ?? '' };
}

export class Scheduler extends Reconciler {
  constructor(store: Store) {
    super(store, ['pods', 'nodes']);
  }

  protected reconcile(): void {
    const pods = this.store.list('pods');
    const nodes = this.store.list('nodes');
    const perNode = new Map<string, number>();
    const requested = new Map<string, Resources>();
    const book = (node: string, pod: KObject) => {
      perNode.set(node, (perNode.get(node) ?? 0) + 1);
      const [was, adds] = [requested.get(node) ?? { cpu: 0, memory: 0 }, podRequests(pod)];
      requested.set(node, { cpu: was.cpu + adds.cpu, memory: was.memory + adds.memory });
    };
    for (const p of pods) {
      const n = (p.spec as { nodeName?: string }).nodeName;
      if (n && isActive(p)) book(n, p);
    }
    for (const pod of pods) {
      if ((pod.spec as { nodeName?: string }).nodeName || pod.metadata.deletionTimestamp || !isActive(pod)) continue;
      const choice = chooseNode(pod, nodes, perNode, requested);
      const { namespace, name } = pod.metadata;
      if ('node' in choice) {
        book(choice.node, pod);
        this.store.mutate('pods', namespace, name ?? '', (p) => {
          (p.spec as { nodeName?: string }).nodeName = choice.node;
          p.status = { ...(p.status as object), phase: 'Pending', conditions: [scheduled('True')] };
        });
        continue;
      }
      const cur = ((pod.status as { conditions?: Condition[] } | undefined)?.conditions ?? []).find((c) => c.type === 'PodScheduled');
      if (cur?.message === choice.message) continue;
      this.store.mutate('pods', namespace, name ?? '', (p) => {
        p.status = { ...(p.status as object), phase: 'Pending', conditions: [scheduled('False', 'Unschedulable', choice.message)] };
      });
    }
  }
}

function scheduled(status: string, reason?: string, message?: string): Condition {
  return { type: 'PodScheduled', status, ...(reason ? { reason } : {}), ...(message ? { message } : {}), lastProbeTime: null, lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') };
}
