// PodDisruptionBudget status (computed on read, as the disruption controller would keep it) and the
// eviction subresource's decision (kubernetes pkg/registry/core/pod/storage/eviction.go).
import type { KObject, Store } from '../store.ts';
import { SimError } from '../status.ts';
import { labelSelectorMatcher } from './selectors.ts';

type IntOrPercent = number | string | undefined;

interface PdbSpec {
  minAvailable?: IntOrPercent;
  maxUnavailable?: IntOrPercent;
  selector?: Parameters<typeof labelSelectorMatcher>[0];
  unhealthyPodEvictionPolicy?: 'IfHealthyBudget' | 'AlwaysAllow';
}

export interface PdbStatus {
  observedGeneration?: number;
  currentHealthy: number;
  desiredHealthy: number;
  disruptionsAllowed: number;
  expectedPods: number;
}

const conditionTrue = (pod: KObject, type: string) =>
  ((pod.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? []).some((c) => c.type === type && c.status === 'True');

export const isPodReady = (pod: KObject) => conditionTrue(pod, 'Ready');
const phaseOf = (pod: KObject) => (pod.status as { phase?: string } | undefined)?.phase || 'Pending';

/** Rounds up like GetScaledValueFromIntOrPercent(…, roundUp=true). */
export function scaled(v: IntOrPercent, total: number): number {
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(v ?? '');
  if (!m) throw SimError.badRequest(`invalid value for IntOrString: invalid value "${v}": must be an integer or a percentage`);
  return Math.ceil((Number(m[1]) * total) / 100);
}

/** Expected pod count: the owning controllers' replicas (pods without a controller count as one). */
function expectedPods(store: Store, pods: KObject[]): number {
  const owners = new Map<string, number>();
  let bare = 0;
  for (const pod of pods) {
    const ref = pod.metadata.ownerReferences?.find((r) => r.controller);
    const owner = ref?.kind === 'ReplicaSet' || ref?.kind === 'StatefulSet' ? store.get(`${ref.kind.toLowerCase()}s.apps`, pod.metadata.namespace, ref.name) : undefined;
    const ds = ref?.kind === 'DaemonSet' ? store.get('daemonsets.apps', pod.metadata.namespace, ref.name) : undefined;
    const replicas = ds ? (ds.status as { desiredNumberScheduled?: number } | undefined)?.desiredNumberScheduled : (owner?.spec as { replicas?: number } | undefined)?.replicas;
    if (ref && replicas !== undefined) owners.set(ref.uid, replicas);
    else bare++;
  }
  return bare + [...owners.values()].reduce((a, b) => a + b, 0);
}

export function matchingPods(store: Store, pdb: KObject): KObject[] {
  const matches = labelSelectorMatcher((pdb.spec as PdbSpec | undefined)?.selector);
  return store.list('pods', pdb.metadata.namespace, matches);
}

export function pdbStatus(store: Store, pdb: KObject): PdbStatus {
  const spec = (pdb.spec ?? {}) as PdbSpec;
  const pods = matchingPods(store, pdb);
  const currentHealthy = pods.filter((p) => !p.metadata.deletionTimestamp && isPodReady(p)).length;
  let expected: number;
  let desired: number;
  if (spec.maxUnavailable !== undefined) {
    expected = expectedPods(store, pods);
    desired = expected - scaled(spec.maxUnavailable, expected);
  } else if (typeof spec.minAvailable === 'number') {
    expected = pods.length;
    desired = spec.minAvailable;
  } else {
    expected = expectedPods(store, pods);
    desired = scaled(spec.minAvailable ?? 1, expected);
  }
  desired = Math.max(0, desired);
  return {
    ...(pdb.metadata.generation !== undefined ? { observedGeneration: pdb.metadata.generation } : {}),
    currentHealthy,
    desiredHealthy: desired,
    disruptionsAllowed: Math.max(0, currentHealthy - desired),
    expectedPods: expected,
  };
}

/** A PDB as a client reads it: the stored object with its status computed now. */
export const withPdbStatus = (store: Store, pdb: KObject): KObject => ({ ...pdb, status: { ...(pdb.status as object), ...pdbStatus(store, pdb) } });

/**
 * Throws the real server's 429 or 500 when the PDBs forbid evicting `pod`; returns when it may go.
 * Terminal, pending and terminating pods skip the check (they already disrupt nothing).
 */
export function checkEviction(store: Store, pod: KObject): void {
  if (pod.metadata.deletionTimestamp || ['Pending', 'Succeeded', 'Failed'].includes(phaseOf(pod))) return;
  const pdbs = store.list('poddisruptionbudgets.policy', pod.metadata.namespace, (pdb) => labelSelectorMatcher((pdb.spec as PdbSpec | undefined)?.selector)(pod));
  if (pdbs.length > 1) throw SimError.internal('This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.');
  const pdb = pdbs[0];
  if (!pdb) return;
  const status = pdbStatus(store, pdb);
  if (!isPodReady(pod)) {
    // An unready pod does not count as healthy: evicting it costs nothing while the budget holds.
    const policy = (pdb.spec as PdbSpec).unhealthyPodEvictionPolicy;
    if (policy === 'AlwaysAllow' || (status.currentHealthy >= status.desiredHealthy && status.desiredHealthy > 0)) return;
  }
  if (status.disruptionsAllowed === 0)
    throw SimError.tooManyRequests("Cannot evict pod as it would violate the pod's disruption budget.", [
      {
        reason: 'DisruptionBudget',
        message: `The disruption budget ${pdb.metadata.name} needs ${status.desiredHealthy} healthy pods and has ${status.currentHealthy} currently`,
      },
    ]);
}
