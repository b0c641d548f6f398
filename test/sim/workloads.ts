// The DaemonSet and StatefulSet controllers, as kube-controller-manager runs them: one pod per eligible
// node (rolling updates with maxUnavailable), and stable ordinal pods (OrderedReady or Parallel, scale
// down and rolling updates from the highest ordinal). Level-triggered like controllers.ts.
import type { KObject, Store } from './store.ts';
import { claimPods, conditionTrue, isActive, markDeleted, ownedBy, ownerRef, Reconciler, same, scaledValue, templateHash } from './controllers.ts';

type Template = { metadata: KObject['metadata']; spec: Record<string, unknown> };
const phaseOf = (p: KObject) => (p.status as { phase?: string } | undefined)?.phase;
const matchesSelector = (selector: Record<string, string> | undefined, labels: Record<string, string> | undefined) =>
  Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);

function podFrom(owner: KObject, kind: string, name: string, t: Template, labels: Record<string, string>, spec: Record<string, unknown>): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: owner.metadata.namespace,
      labels: { ...t.metadata.labels, ...labels },
      ...(t.metadata.annotations ? { annotations: { ...t.metadata.annotations } } : {}),
      ownerReferences: [ownerRef(owner, 'apps/v1', kind)],
    },
    spec: { restartPolicy: 'Always', terminationGracePeriodSeconds: 30, dnsPolicy: 'ClusterFirst', schedulerName: 'default-scheduler', ...structuredClone(t.spec), ...spec },
    status: { phase: 'Pending' },
  };
}

type DsSpec = { selector: { matchLabels: Record<string, string> }; template: Template; updateStrategy?: { type?: string; rollingUpdate?: { maxUnavailable?: number | string } } };

/** The DaemonSet controller: a pod per node matching the template's nodeSelector, pinned by node affinity. */
export class DaemonSetController extends Reconciler {
  constructor(store: Store) {
    super(store, ['daemonsets.apps', 'pods', 'nodes']);
  }

  protected reconcile(): void {
    const nodes = this.store.list('nodes');
    for (const ds of this.store.list('daemonsets.apps')) if (!ds.metadata.deletionTimestamp) this.sync(ds, nodes);
  }

  private sync(ds: KObject, nodes: KObject[]): void {
    const spec = ds.spec as DsSpec;
    const hash = templateHash(spec.template);
    const nodeSelector = (spec.template.spec as { nodeSelector?: Record<string, string> }).nodeSelector;
    const eligible = nodes.filter((n) => matchesSelector(nodeSelector, n.metadata.labels)).map((n) => n.metadata.name ?? '');
    const owned = claimPods(this.store, ds, spec.selector.matchLabels);
    const nodeOf = (p: KObject) => ((p.spec as { affinity?: { nodeAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms?: { matchFields?: { values?: string[] }[] }[] } } } }).affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms?.[0]?.matchFields?.[0]?.values?.[0]) ?? (p.spec as { nodeName?: string }).nodeName ?? '';
    const active = owned.filter(isActive);
    for (const node of eligible) {
      // A pod still terminating on the node blocks its replacement (hostNetwork ports, like the real controller).
      if (owned.some((p) => nodeOf(p) === node && phaseOf(p) !== 'Succeeded' && phaseOf(p) !== 'Failed')) continue;
      this.store.create('pods', this.newPod(ds, spec, hash, node));
    }
    for (const p of active) if (!eligible.includes(nodeOf(p))) markDeleted(this.store, p);
    // Rolling update: old pods go while fewer than maxUnavailable pods are unavailable; unready old ones first.
    const current = active.filter((p) => eligible.includes(nodeOf(p)));
    const old = current.filter((p) => p.metadata.labels?.['controller-revision-hash'] !== hash);
    const maxUnavailable = Math.max(1, scaledValue(spec.updateStrategy?.rollingUpdate?.maxUnavailable, eligible.length, '1', true));
    if (spec.updateStrategy?.type !== 'OnDelete' && old.length) {
      const missing = eligible.length - current.length;
      let budget = maxUnavailable - missing - current.filter((p) => !conditionTrue(p, 'Ready')).length;
      for (const p of [...old].sort((a, b) => Number(conditionTrue(a, 'Ready')) - Number(conditionTrue(b, 'Ready')))) {
        const ready = conditionTrue(p, 'Ready');
        if (ready && budget <= 0) break;
        markDeleted(this.store, p);
        if (ready) budget--;
      }
    }
    const ready = current.filter((p) => conditionTrue(p, 'Ready')).length;
    const updated = current.filter((p) => p.metadata.labels?.['controller-revision-hash'] === hash).length;
    const status = {
      currentNumberScheduled: current.length,
      desiredNumberScheduled: eligible.length,
      numberMisscheduled: 0,
      numberReady: ready,
      numberAvailable: ready,
      ...(eligible.length - ready > 0 ? { numberUnavailable: eligible.length - ready } : {}),
      updatedNumberScheduled: updated,
      observedGeneration: ds.metadata.generation,
    };
    if (!same(status, ds.status)) this.store.mutate('daemonsets.apps', ds.metadata.namespace, ds.metadata.name ?? '', (o) => void (o.status = status));
  }

  private newPod(ds: KObject, spec: DsSpec, hash: string, node: string): KObject {
    const affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] }] } } };
    const tolerations = [
      ...(((spec.template.spec as { tolerations?: unknown[] }).tolerations) ?? []),
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
      { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
    ];
    const labels = { 'controller-revision-hash': hash, 'pod-template-generation': String(ds.metadata.generation ?? 1) };
    return podFrom(ds, 'DaemonSet', `${ds.metadata.name}-${randomFive()}`, spec.template, labels, { affinity, tolerations });
  }
}

const SAFE = 'bcdfghjklmnpqrstvwxz2456789';
const randomFive = () => Array.from({ length: 5 }, () => SAFE[Math.floor(Math.random() * SAFE.length)]).join('');

type StsSpec = {
  replicas?: number;
  serviceName?: string;
  selector: { matchLabels: Record<string, string> };
  template: Template;
  podManagementPolicy?: 'OrderedReady' | 'Parallel';
  updateStrategy?: { type?: string };
};

const ordinalOf = (sts: KObject, p: KObject) => {
  const m = new RegExp(`^${sts.metadata.name}-(\\d+)$`).exec(p.metadata.name ?? '');
  return m ? Number(m[1]) : -1;
};

/** The StatefulSet controller: pods <name>-0 … <name>-(n-1), created, deleted and updated in ordinal order. */
export class StatefulSetController extends Reconciler {
  constructor(store: Store) {
    super(store, ['statefulsets.apps', 'pods']);
  }

  protected reconcile(): void {
    for (const sts of this.store.list('statefulsets.apps')) if (!sts.metadata.deletionTimestamp) this.sync(sts);
  }

  private sync(sts: KObject): void {
    const spec = sts.spec as StsSpec;
    const want = spec.replicas ?? 1;
    const hash = templateHash(spec.template);
    const revision = `${sts.metadata.name}-${hash}`;
    const parallel = spec.podManagementPolicy === 'Parallel';
    const owned = this.store.list('pods', sts.metadata.namespace, (p) => ownedBy(p, sts));
    const byOrdinal = new Map(owned.map((p) => [ordinalOf(sts, p), p]));
    const healthy = (p: KObject | undefined) => !!p && isActive(p) && phaseOf(p) === 'Running' && conditionTrue(p, 'Ready');
    let blocked = false;
    for (let i = 0; i < want; i++) {
      const p = byOrdinal.get(i);
      if (!p) {
        if (!blocked || parallel) this.store.create('pods', this.newPod(sts, spec, revision, i));
        blocked = true;
        continue;
      }
      // A finished pod is replaced under the same name once it is gone.
      if (!p.metadata.deletionTimestamp && (phaseOf(p) === 'Failed' || phaseOf(p) === 'Succeeded')) this.store.remove('pods', p.metadata.namespace, p.metadata.name ?? '');
      if (!healthy(p)) blocked = true;
    }
    // Scale down: the highest ordinal first, one at a time (all at once with Parallel).
    const extra = owned.filter((p) => ordinalOf(sts, p) >= want && !p.metadata.deletionTimestamp).sort((a, b) => ordinalOf(sts, b) - ordinalOf(sts, a));
    const terminating = owned.some((p) => p.metadata.deletionTimestamp);
    if (extra.length && (parallel || !terminating)) for (const p of parallel ? extra : extra.slice(0, 1)) markDeleted(this.store, p);
    // Rolling update: from the highest ordinal down, one pod at a time, each only when all others are healthy.
    const inRange = owned.filter((p) => ordinalOf(sts, p) >= 0 && ordinalOf(sts, p) < want);
    if (spec.updateStrategy?.type !== 'OnDelete' && !terminating && !extra.length && inRange.length === want && inRange.every(healthy)) {
      const stale = inRange.filter((p) => p.metadata.labels?.['controller-revision-hash'] !== revision).sort((a, b) => ordinalOf(sts, b) - ordinalOf(sts, a));
      if (stale[0]) markDeleted(this.store, stale[0]);
    }
    const active = owned.filter(isActive);
    const ready = active.filter((p) => conditionTrue(p, 'Ready')).length;
    const updated = active.filter((p) => p.metadata.labels?.['controller-revision-hash'] === revision).length;
    const prev = sts.status as { currentRevision?: string } | undefined;
    const status = {
      observedGeneration: sts.metadata.generation,
      replicas: active.length,
      readyReplicas: ready,
      currentReplicas: updated === active.length ? active.length : active.length - updated,
      updatedReplicas: updated,
      availableReplicas: ready,
      currentRevision: updated === active.length ? revision : (prev?.currentRevision ?? revision),
      updateRevision: revision,
      collisionCount: 0,
    };
    if (!same(status, sts.status)) this.store.mutate('statefulsets.apps', sts.metadata.namespace, sts.metadata.name ?? '', (o) => void (o.status = status));
  }

  private newPod(sts: KObject, spec: StsSpec, revision: string, i: number): KObject {
    const name = `${sts.metadata.name}-${i}`;
    const labels = { 'controller-revision-hash': revision, 'statefulset.kubernetes.io/pod-name': name, 'apps.kubernetes.io/pod-index': String(i) };
    return podFrom(sts, 'StatefulSet', name, spec.template, labels, { hostname: name, ...(spec.serviceName ? { subdomain: spec.serviceName } : {}) });
  }
}


