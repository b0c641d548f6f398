// The sim's controller manager: Deployment → ReplicaSet (rolling updates with maxSurge/maxUnavailable),
// ReplicaSet → pods (replacing deleted/evicted ones), EndpointSlices following pod readiness, and
// ClusterIP allocation for Services created without one. Level-triggered: every relevant change
// schedules one pass over the current state; writes happen only when something differs.
import type { KObject, Store } from './store.ts';
import { AddressPool } from './network.ts';

/** Coalesces store events into one reconcile pass per tick. */
export abstract class Reconciler {
  private unsubscribe?: () => void;
  private pending = false;
  private stopped = false;

  constructor(
    protected readonly store: Store,
    private readonly resources: string[],
  ) {}

  start(): void {
    this.unsubscribe = this.store.subscribe((ev) => {
      if (this.resources.includes(ev.resource)) this.kick();
    });
    this.kick();
  }

  kick(): void {
    if (this.pending || this.stopped) return;
    this.pending = true;
    setImmediate(() => {
      this.pending = false;
      if (!this.stopped) this.reconcile();
    });
  }

  protected abstract reconcile(): void;

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
  }
}

const SAFE = 'bcdfghjklmnpqrstvwxz2456789';
/** Like k8s utilrand.String: 5 characters that never spell words. */
export const randomSuffix = (n = 5) => Array.from({ length: n }, () => SAFE[Math.floor(Math.random() * SAFE.length)]).join('');

/** Like k8s ComputeHash: FNV-1a 32 of the template, its decimal digits safe-encoded. */
export function templateHash(template: unknown): string {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(JSON.stringify(template))) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return [...String(h)].map((c) => SAFE[c.charCodeAt(0) % SAFE.length]).join('');
}

type Condition = { type: string; status: string };
export const conditionTrue = (o: KObject, type: string) => ((o.status as { conditions?: Condition[] } | undefined)?.conditions ?? []).some((c) => c.type === type && c.status === 'True');
const phaseOf = (p: KObject) => (p.status as { phase?: string } | undefined)?.phase;
export const isActive = (p: KObject) => !p.metadata.deletionTimestamp && phaseOf(p) !== 'Succeeded' && phaseOf(p) !== 'Failed';
export const ownedBy = (o: KObject, owner: KObject) => (o.metadata.ownerReferences ?? []).some((r) => r.controller && r.uid === owner.metadata.uid);
export const matchesLabels = (selector: Record<string, string> | undefined, labels: Record<string, string> | undefined) =>
  !!selector && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels?.[k] === v);
export const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The pods `owner` controls, after releasing those whose labels no longer match its selector, as the
 * controllers' ClaimPods does: a relabelled pod loses its ownerReference (an orphan the controller no
 * longer counts), so a ReplicaSet or DaemonSet starts a replacement for it.
 */
export function claimPods(store: Store, owner: KObject, selector: Record<string, string>): KObject[] {
  const owned = store.list('pods', owner.metadata.namespace, (p) => ownedBy(p, owner));
  for (const p of owned.filter((x) => !matchesLabels(selector, x.metadata.labels)))
    store.mutate('pods', p.metadata.namespace, p.metadata.name ?? '', (o) => {
      o.metadata.ownerReferences = (o.metadata.ownerReferences ?? []).filter((r) => r.uid !== owner.metadata.uid);
    });
  return owned.filter((p) => matchesLabels(selector, p.metadata.labels));
}
export const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

/** "25%" of n rounded up or down, or an absolute number. */
export function scaledValue(v: number | string | undefined, total: number, fallback: string, roundUp: boolean): number {
  const val = v ?? fallback;
  if (typeof val === 'number') return val;
  const pct = Number(val.replace('%', '')) / 100;
  return roundUp ? Math.ceil(pct * total) : Math.floor(pct * total);
}

export const ownerRef = (o: KObject, apiVersion: string, kind: string) => ({ apiVersion, kind, name: o.metadata.name ?? '', uid: o.metadata.uid ?? '', controller: true, blockOwnerDeletion: true });

/** Graceful deletion as the API server does it: the kubelet finishes it. */
export function markDeleted(store: Store, pod: KObject): void {
  const grace = (pod.spec as { terminationGracePeriodSeconds?: number }).terminationGracePeriodSeconds ?? 30;
  store.mutate('pods', pod.metadata.namespace, pod.metadata.name ?? '', (p) => {
    p.metadata.deletionTimestamp ??= now();
    p.metadata.deletionGracePeriodSeconds ??= grace;
  });
}

type RsSpec = { replicas?: number; selector: { matchLabels: Record<string, string> }; template: { metadata: KObject['metadata']; spec: Record<string, unknown> } };

export class ReplicaSetController extends Reconciler {
  constructor(store: Store) {
    super(store, ['replicasets.apps', 'pods']);
  }

  protected reconcile(): void {
    for (const rs of this.store.list('replicasets.apps')) {
      if (rs.metadata.deletionTimestamp) continue;
      const spec = rs.spec as RsSpec;
      const pods = claimPods(this.store, rs, spec.selector.matchLabels);
      const active = pods.filter(isActive);
      const want = spec.replicas ?? 1;
      for (let i = active.length; i < want; i++) this.createPod(rs, spec);
      if (active.length > want) for (const p of deletionOrder(active).slice(0, active.length - want)) markDeleted(this.store, p);
      const ready = active.filter((p) => conditionTrue(p, 'Ready')).length;
      const status = { replicas: active.length, fullyLabeledReplicas: active.length, readyReplicas: ready, availableReplicas: ready, observedGeneration: rs.metadata.generation };
      if (!same(status, rs.status)) this.store.mutate('replicasets.apps', rs.metadata.namespace, rs.metadata.name ?? '', (o) => void (o.status = status));
    }
  }

  private createPod(rs: KObject, spec: RsSpec): void {
    const t = spec.template;
    this.store.create('pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: `${rs.metadata.name}-${randomSuffix()}`,
        namespace: rs.metadata.namespace,
        labels: { ...t.metadata.labels },
        ...(t.metadata.annotations ? { annotations: { ...t.metadata.annotations } } : {}),
        ownerReferences: [ownerRef(rs, 'apps/v1', 'ReplicaSet')],
      },
      spec: { restartPolicy: 'Always', terminationGracePeriodSeconds: 30, dnsPolicy: 'ClusterFirst', schedulerName: 'default-scheduler', ...structuredClone(t.spec) },
      status: { phase: 'Pending' },
    });
  }
}

/** Like the ReplicaSet controller: unscheduled, then pending, then not ready, then newest go first. */
function deletionOrder(pods: KObject[]): KObject[] {
  const rank = (p: KObject) => [(p.spec as { nodeName?: string }).nodeName ? 1 : 0, phaseOf(p) === 'Running' ? 1 : 0, conditionTrue(p, 'Ready') ? 1 : 0];
  return [...pods].sort((a, b) => {
    const ra = rank(a);
    const rb = rank(b);
    for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return (ra[i] ?? 0) - (rb[i] ?? 0);
    return (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? '');
  });
}

type DeploySpec = {
  replicas?: number;
  selector: { matchLabels: Record<string, string> };
  template: RsSpec['template'];
  strategy?: { type?: string; rollingUpdate?: { maxSurge?: number | string; maxUnavailable?: number | string } };
};

export class DeploymentController extends Reconciler {
  constructor(store: Store) {
    super(store, ['deployments.apps', 'replicasets.apps', 'pods']);
  }

  private readyOf(rs: KObject): number {
    return this.store.list('pods', rs.metadata.namespace, (p) => ownedBy(p, rs) && isActive(p) && conditionTrue(p, 'Ready')).length;
  }

  protected reconcile(): void {
    for (const d of this.store.list('deployments.apps')) if (!d.metadata.deletionTimestamp) this.sync(d);
  }

  private sync(d: KObject): void {
    const spec = d.spec as DeploySpec;
    const desired = spec.replicas ?? 1;
    const hash = templateHash(spec.template);
    const all = this.store.list('replicasets.apps', d.metadata.namespace, (rs) => ownedBy(rs, d));
    const revisionOf = (rs: KObject) => Number(rs.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? 0);
    let newRs = all.find((rs) => rs.metadata.labels?.['pod-template-hash'] === hash);
    const old = all.filter((rs) => rs !== newRs);
    const replicasOf = (rs: KObject) => (rs.spec as RsSpec).replicas ?? 0;
    if (!newRs) {
      const revision = Math.max(0, ...all.map(revisionOf)) + 1;
      const activeOld = old.some((rs) => replicasOf(rs) > 0);
      newRs = this.store.create('replicasets.apps', newReplicaSet(d, spec, hash, revision, activeOld ? 0 : desired));
    }
    const scale = (rs: KObject, replicas: number) => {
      if (replicasOf(rs) !== replicas) this.store.mutate('replicasets.apps', rs.metadata.namespace, rs.metadata.name ?? '', (o) => void ((o.spec as RsSpec).replicas = replicas));
      (rs.spec as RsSpec).replicas = replicas;
    };
    const oldActive = old.filter((rs) => replicasOf(rs) > 0);
    if (!oldActive.length) scale(newRs, desired);
    else this.roll(spec, desired, newRs, oldActive, [newRs, ...old], scale);
    this.writeStatus(d, newRs, [newRs, ...old]);
  }

  /** One step of a rolling update, as the deployment controller computes it. */
  private roll(spec: DeploySpec, desired: number, newRs: KObject, old: KObject[], all: KObject[], scale: (rs: KObject, n: number) => void): void {
    const ru = spec.strategy?.rollingUpdate;
    const maxSurge = scaledValue(ru?.maxSurge, desired, '25%', true);
    let maxUnavailable = scaledValue(ru?.maxUnavailable, desired, '25%', false);
    if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
    const replicasOf = (rs: KObject) => (rs.spec as RsSpec).replicas ?? 0;
    const total = () => all.reduce((n, rs) => n + replicasOf(rs), 0);
    const newReplicas = replicasOf(newRs);
    if (newReplicas < desired) scale(newRs, Math.min(desired, newReplicas + Math.max(0, desired + maxSurge - total())));
    else if (newReplicas > desired) scale(newRs, desired);
    const minAvailable = desired - maxUnavailable;
    const newUnavailable = replicasOf(newRs) - this.readyOf(newRs);
    let budget = total() - minAvailable - newUnavailable;
    if (budget <= 0) return;
    // Unhealthy old replicas go first, then healthy ones while availability stays above the floor.
    const ready = new Map(old.map((rs) => [rs, this.readyOf(rs)]));
    for (const rs of old) {
      const unhealthy = Math.max(0, replicasOf(rs) - (ready.get(rs) ?? 0));
      const cut = Math.min(unhealthy, budget);
      if (cut <= 0) continue;
      scale(rs, replicasOf(rs) - cut);
      budget -= cut;
    }
    const available = all.reduce((n, rs) => n + (rs === newRs ? this.readyOf(rs) : Math.min(ready.get(rs) ?? 0, replicasOf(rs))), 0);
    let canDrop = Math.min(budget, available - minAvailable);
    for (const rs of old) {
      if (canDrop <= 0) break;
      const cut = Math.min(replicasOf(rs), canDrop);
      scale(rs, replicasOf(rs) - cut);
      canDrop -= cut;
    }
  }

  private writeStatus(d: KObject, newRs: KObject, all: KObject[]): void {
    const count = (rs: KObject) => this.store.list('pods', rs.metadata.namespace, (p) => ownedBy(p, rs) && isActive(p)).length;
    const replicas = all.reduce((n, rs) => n + count(rs), 0);
    const ready = all.reduce((n, rs) => n + this.readyOf(rs), 0);
    const updated = count(newRs);
    const desired = (d.spec as DeploySpec).replicas ?? 1;
    const complete = updated === desired && replicas === desired && ready === desired;
    const prev = (d.status as { conditions?: { type: string; status: string; reason: string; lastTransitionTime?: string }[] } | undefined)?.conditions ?? [];
    const cond = (type: string, status: string, reason: string, message: string) => {
      const old = prev.find((c) => c.type === type);
      const same = old?.status === status && old.reason === reason;
      return { type, status, reason, message, lastUpdateTime: same ? (old as { lastUpdateTime?: string }).lastUpdateTime : now(), lastTransitionTime: old?.status === status ? old.lastTransitionTime : now() };
    };
    const status = {
      observedGeneration: d.metadata.generation,
      replicas,
      updatedReplicas: updated,
      readyReplicas: ready,
      availableReplicas: ready,
      ...(replicas - ready > 0 ? { unavailableReplicas: replicas - ready } : {}),
      conditions: [
        ready >= desired - scaledValue((d.spec as DeploySpec).strategy?.rollingUpdate?.maxUnavailable, desired, '25%', false)
          ? cond('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.')
          : cond('Available', 'False', 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.'),
        complete
          ? cond('Progressing', 'True', 'NewReplicaSetAvailable', `ReplicaSet "${newRs.metadata.name}" has successfully progressed.`)
          : cond('Progressing', 'True', 'ReplicaSetUpdated', `ReplicaSet "${newRs.metadata.name}" is progressing.`),
      ],
    };
    if (!same(status, d.status)) this.store.mutate('deployments.apps', d.metadata.namespace, d.metadata.name ?? '', (o) => void (o.status = status));
  }
}

function newReplicaSet(d: KObject, spec: DeploySpec, hash: string, revision: number, replicas: number): KObject {
  const labels = { ...spec.template.metadata.labels, 'pod-template-hash': hash };
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `${d.metadata.name}-${hash}`,
      namespace: d.metadata.namespace,
      labels,
      annotations: { 'deployment.kubernetes.io/revision': String(revision), 'deployment.kubernetes.io/desired-replicas': String(spec.replicas ?? 1) },
      ownerReferences: [ownerRef(d, 'apps/v1', 'Deployment')],
    },
    spec: {
      replicas,
      selector: { matchLabels: { ...spec.selector.matchLabels, 'pod-template-hash': hash } },
      template: { ...structuredClone(spec.template), metadata: { ...structuredClone(spec.template.metadata), labels } },
    },
  };
}

type ServiceSpec = { selector?: Record<string, string>; clusterIP?: string; type?: string; ports?: { name?: string; port: number; protocol?: string; targetPort?: number | string }[] };
const SLICES = 'endpointslices.discovery.k8s.io';

export class EndpointSliceController extends Reconciler {
  constructor(store: Store) {
    super(store, ['services', 'pods', SLICES]);
  }

  protected reconcile(): void {
    for (const svc of this.store.list('services')) {
      const spec = svc.spec as ServiceSpec;
      if (!spec.selector || !Object.keys(spec.selector).length) continue;
      const ns = svc.metadata.namespace;
      const pods = this.store.list('pods', ns, (p) => matchesLabels(spec.selector, p.metadata.labels) && !!(p.status as { podIP?: string } | undefined)?.podIP && phaseOf(p) !== 'Succeeded' && phaseOf(p) !== 'Failed');
      // One slice per address family the Service has (a dual-stack Service gets an IPv6 slice too).
      for (const family of (spec as { ipFamilies?: string[] }).ipFamilies ?? ['IPv4']) this.syncSlice(svc, spec, pods, family);
    }
  }

  private syncSlice(svc: KObject, spec: ServiceSpec, pods: KObject[], family: string): void {
    {
      const ns = svc.metadata.namespace;
      const body = sliceBody(spec, pods, family === 'IPv6');
      const slices = this.store.list(
        SLICES,
        ns,
        (s) => s.metadata.labels?.['kubernetes.io/service-name'] === svc.metadata.name && s.metadata.labels?.['endpointslice.kubernetes.io/managed-by'] === MANAGED_BY && ((s.addressType as string | undefined) ?? 'IPv4') === family,
      );
      const [slice] = slices;
      if (!slice) {
        this.store.create(SLICES, {
          apiVersion: 'discovery.k8s.io/v1',
          kind: 'EndpointSlice',
          metadata: {
            name: `${svc.metadata.name}-${randomSuffix()}`,
            namespace: ns,
            labels: { 'kubernetes.io/service-name': svc.metadata.name ?? '', 'endpointslice.kubernetes.io/managed-by': MANAGED_BY },
            ownerReferences: [ownerRef(svc, 'v1', 'Service')],
          },
          addressType: family,
          ...body,
        });
      } else if (!same(slice.endpoints, body.endpoints) || !same(slice.ports, body.ports))
        this.store.mutate(SLICES, ns, slice.metadata.name ?? '', (o) => void Object.assign(o, body));
    }
  }
}

const MANAGED_BY = 'endpointslice-controller.k8s.io';

/** The endpoints and ports of a Service's slice. Pure. */
export function sliceBody(spec: ServiceSpec, pods: KObject[], ipv6 = false): { endpoints: unknown[]; ports: unknown[] } {
  const addressOf = (p: KObject) => ((p.status as { podIPs?: { ip: string }[] }).podIPs ?? []).map((a) => a.ip).find((ip) => ip.includes(':') === ipv6);
  const endpoints = [...pods]
    .filter((p) => !ipv6 || addressOf(p))
    .sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''))
    .map((p) => {
      const ready = conditionTrue(p, 'Ready');
      const terminating = !!p.metadata.deletionTimestamp;
      return {
        addresses: [ipv6 ? addressOf(p) : (p.status as { podIP: string }).podIP],
        conditions: { ready: ready && !terminating, serving: ready, terminating },
        nodeName: (p.spec as { nodeName?: string }).nodeName,
        targetRef: { kind: 'Pod', namespace: p.metadata.namespace, name: p.metadata.name, uid: p.metadata.uid },
      };
    });
  const containerPorts = (pods[0]?.spec as { containers?: { ports?: { name?: string; containerPort: number }[] }[] } | undefined)?.containers?.flatMap((c) => c.ports ?? []) ?? [];
  const ports = (spec.ports ?? []).map((p) => ({
    name: p.name ?? '',
    protocol: p.protocol ?? 'TCP',
    port: typeof p.targetPort === 'string' ? (containerPorts.find((c) => c.name === p.targetPort)?.containerPort ?? p.port) : (p.targetPort ?? p.port),
  }));
  return { endpoints, ports };
}

/** Gives Services created without a ClusterIP one from .1.x of the subnet (the API server's allocator's job). */
export class ServiceIpAllocator extends Reconciler {
  private readonly pool: AddressPool;

  constructor(store: Store, subnet: string) {
    super(store, ['services']);
    this.pool = new AddressPool(subnet, 1, 1);
    // As the real API server does: a created ClusterIP Service carries its address in the create's answer.
    store.admit((resource, o) => {
      const spec = o.spec as ServiceSpec | undefined;
      if (resource !== 'services' || !spec || spec.clusterIP || spec.type === 'ExternalName') return;
      this.reserveExisting();
      const ip = this.pool.allocate();
      Object.assign(spec, { clusterIP: ip, clusterIPs: [ip] });
    });
  }

  private reserveExisting(): void {
    for (const s of this.store.list('services')) {
      const ip = (s.spec as ServiceSpec).clusterIP;
      if (ip) this.pool.reserve(ip);
    }
  }

  protected reconcile(): void {
    this.reserveExisting();
    for (const s of this.store.list('services')) {
      const spec = s.spec as ServiceSpec;
      if (spec.clusterIP || spec.type === 'ExternalName') continue;
      const ip = this.pool.allocate();
      this.store.mutate('services', s.metadata.namespace, s.metadata.name ?? '', (o) => void Object.assign(o.spec as object, { clusterIP: ip, clusterIPs: [ip] }));
    }
  }
}
