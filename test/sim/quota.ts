// ResourceQuota usage as the API server keeps it: the pods of a namespace that have not ended count
// against each quota's hard limits (requests.*, limits.*, cpu/memory as requests.*, pods); the quota
// controller writes the sums to status.used, and admission refuses a pod that would take a quota over
// with the plugin's 403, "exceeded quota: compute, requested: requests.cpu=100m, used:
// requests.cpu=7950m, limited: requests.cpu=8" (plugin/pkg/admission/resourcequota/controller.go:
// each list sorted, "name=quantity" joined by commas, only the resources that are over).
import type { KObject, Store } from './store.ts';
import { Reconciler } from './controllers.ts';
import { quantity } from './scheduler.ts';

type Resources = { requests?: Record<string, string>; limits?: Record<string, string> };
type Spec = { containers?: { resources?: Resources }[]; initContainers?: { resources?: Resources }[] };

const BYTES = new Set(['memory', 'ephemeral-storage']);

/** The key a quota's hard map uses for the resource ("cpu" means requests.cpu), or undefined when not tracked here. */
function quotaKey(key: string): { kind: 'requests' | 'limits'; resource: string } | 'pods' | undefined {
  if (key === 'pods' || key === 'count/pods') return 'pods';
  const m = /^(requests|limits)\.(cpu|memory|ephemeral-storage)$/.exec(key);
  if (m) return { kind: m[1] as 'requests' | 'limits', resource: m[2]! };
  return ['cpu', 'memory', 'ephemeral-storage'].includes(key) ? { kind: 'requests', resource: key } : undefined;
}

/** What one pod takes of a quota key: its containers' sum, or its largest init container when more (the pod's effective request). */
export function podUsage(pod: KObject, key: string): number {
  const q = quotaKey(key);
  if (q === undefined) return 0;
  if (q === 'pods') return 1;
  const spec = (pod.spec ?? {}) as Spec;
  const of = (c: { resources?: Resources }) => quantity(c.resources?.[q.kind]?.[q.resource]);
  const containers = (spec.containers ?? []).reduce((n, c) => n + of(c), 0);
  return Math.max(containers, ...(spec.initContainers ?? []).map(of));
}

const counts = (p: KObject) => !['Succeeded', 'Failed'].includes((p.status as { phase?: string } | undefined)?.phase ?? '');

/** Usage of each of the quota's hard keys by the namespace's pods. */
export function quotaUsed(store: Store, quota: KObject): Record<string, number> {
  const pods = store.list('pods', quota.metadata.namespace, counts);
  const hard = (quota.spec as { hard?: Record<string, string> } | undefined)?.hard ?? {};
  return Object.fromEntries(Object.keys(hard).filter((k) => quotaKey(k) !== undefined).map((k) => [k, pods.reduce((n, p) => n + podUsage(p, k), 0)]));
}

/** A quantity as resource.Quantity prints it canonically: 8, 100m; bytes as 16Gi, 64Mi, 1000Ki or a plain number. */
export function formatQuantity(key: string, value: number): string {
  const resource = key.replace(/^(requests|limits)\./, '');
  if (BYTES.has(resource)) {
    const bytes = Math.round(value);
    for (const [suffix, size] of [['Gi', 2 ** 30], ['Mi', 2 ** 20], ['Ki', 2 ** 10]] as const) if (bytes !== 0 && bytes % size === 0) return `${bytes / size}${suffix}`;
    return String(bytes);
  }
  const millis = Math.round(value * 1000);
  return millis % 1000 === 0 ? String(millis / 1000) : `${millis}m`;
}

const listed = (values: Record<string, number>, keys: string[]) => keys.map((k) => `${k}=${formatQuantity(k, values[k] ?? 0)}`).join(',');

/** Why the pod would take a quota of its namespace over (the plugin's message), or undefined. */
export function exceededQuota(store: Store, pod: KObject): string | undefined {
  for (const quota of store.list('resourcequotas', pod.metadata.namespace)) {
    const hard = Object.fromEntries(Object.entries((quota.spec as { hard?: Record<string, string> } | undefined)?.hard ?? {}).map(([k, v]) => [k, quantity(v)]));
    const used = quotaUsed(store, quota);
    const requested = Object.fromEntries(Object.keys(used).map((k) => [k, podUsage(pod, k)]));
    // A small tolerance: quantities are sums of floats here, exact decimals in Kubernetes.
    const over = Object.keys(used).filter((k) => requested[k]! > 0 && used[k]! + requested[k]! > hard[k]! + 1e-9).sort();
    if (over.length) return `exceeded quota: ${quota.metadata.name}, requested: ${listed(requested, over)}, used: ${listed(used, over)}, limited: ${listed(hard, over)}`;
  }
  return undefined;
}

/** The quota controller: status.hard and status.used follow the spec and the namespace's pods. */
export class QuotaController extends Reconciler {
  constructor(store: Store) {
    super(store, ['pods', 'resourcequotas']);
  }

  protected reconcile(): void {
    for (const quota of this.store.list('resourcequotas')) {
      const hard = (quota.spec as { hard?: Record<string, string> } | undefined)?.hard ?? {};
      const usage = quotaUsed(this.store, quota);
      const used = Object.fromEntries(Object.entries(usage).map(([k, v]) => [k, formatQuantity(k, v)]));
      const status = { hard, used };
      if (JSON.stringify(quota.status) === JSON.stringify(status)) continue;
      this.store.mutate('resourcequotas', quota.metadata.namespace, quota.metadata.name ?? '', (q) => void (q.status = status));
    }
  }
}
