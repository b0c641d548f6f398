// The cluster autoscaler (kubernetes/autoscaler cluster-autoscaler) as far as a pod meets it, and nodes
// at capacity for it to act on:
//  - a pod Pending for want of room (the scheduler's "Insufficient cpu", "Too many pods") that a new node
//    of the group would hold gets the Normal Event TriggeredScaleUp, "pod triggered scale-up:
//    [{<group> 1->2 (max: N)}]" (core/scaleup/orchestrator: ScaleUpInfo's String), and a Ready node
//    joins after a delay (real: a minute or two; short here);
//  - a pod no new node would hold (pinned to another node, a selector the group's nodes lack, the group
//    at its max) gets NotTriggerScaleUp, "pod didn't trigger scale-up: 1 max node group size reached" or
//    the predicates' reasons counted per group;
//  - fillNodes: pods that take what every Linux node has left, as a busy cluster's workloads do, so
//    that a new pod fits nowhere until the autoscaler adds a node.
import type { KObject, Store } from './store.ts';
import { Reconciler } from './controllers.ts';
import { chooseNode, podRequests, quantity } from './scheduler.ts';
import { recordPodEvent } from './events.ts';

export interface AutoscalerOptions {
  /** The node group's name as its cloud knows it (an ASG, a VMSS, a MIG). */
  group: string;
  /** The most nodes the group may have. */
  max: number;
  /** From the decision to the new node Ready. */
  delayMs: number;
  /** The group's i-th node (0-based: the sim's worker i), Ready. */
  newNode(i: number): KObject;
}

type Condition = { type: string; status: string; reason?: string; message?: string };
const unschedulable = (p: KObject) =>
  ((p.status as { conditions?: Condition[] } | undefined)?.conditions ?? []).find((c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable')?.message;
const wantsRoom = (message: string | undefined) => message !== undefined && /Insufficient [\w./-]+|Too many pods/.test(message);

export class ClusterAutoscaler extends Reconciler {
  private adding?: NodeJS.Timeout;
  /** Pods already told at a group size (uid@size): each hears once per size, as the Event would only be counted up. */
  private readonly told = new Set<string>();

  constructor(
    store: Store,
    private readonly o: AutoscalerOptions,
    /** The group's nodes at start. */
    private size: number,
  ) {
    super(store, ['pods', 'nodes']);
  }

  protected reconcile(): void {
    const waiting = this.store.list('pods', undefined, (p) => !(p.spec as { nodeName?: string }).nodeName && !p.metadata.deletionTimestamp && wantsRoom(unschedulable(p)));
    for (const pod of waiting) {
      const key = `${pod.metadata.uid}@${this.size}`;
      if (this.told.has(key)) continue;
      this.told.add(key);
      const fit = chooseNode(pod, [this.o.newNode(this.size)], new Map());
      if ('message' in fit) {
        this.event(pod, 'NotTriggerScaleUp', `pod didn't trigger scale-up: ${fit.message.replace(/^0\/1 nodes are available: /, '').replace(/\.$/, '')}`);
        continue;
      }
      if (this.size >= this.o.max && !this.adding) {
        this.event(pod, 'NotTriggerScaleUp', "pod didn't trigger scale-up: 1 max node group size reached");
        continue;
      }
      this.event(pod, 'TriggeredScaleUp', `pod triggered scale-up: [{${this.o.group} ${this.size}->${this.size + 1} (max: ${this.o.max})}]`);
      this.adding ??= setTimeout(() => {
        this.store.create('nodes', this.o.newNode(this.size));
        this.size++;
        this.adding = undefined;
        this.kick();
      }, this.o.delayMs);
    }
  }

  private event(pod: KObject, reason: string, message: string): void {
    recordPodEvent(this.store, pod, { reason, message, type: 'Normal', component: 'cluster-autoscaler' });
  }

  override stop(): void {
    clearTimeout(this.adding);
    super.stop();
  }
}

export const FILLER_NAMESPACE = 'workloads';
/** What each node keeps free: less than a pod like the probe pod requests (100m), so nothing new fits. */
const LEFT_FREE_MILLICPU = 50;

const isActive = (p: KObject) => !['Succeeded', 'Failed'].includes((p.status as { phase?: string } | undefined)?.phase ?? '');
const isLinux = (n: KObject) => (n.metadata.labels?.['kubernetes.io/os'] ?? 'linux') === 'linux';

/**
 * Nodes at capacity: on every Linux node a pod (namespace `workloads`, bound to the node) requesting
 * the cpu its pods leave, less LEFT_FREE_MILLICPU. Returns the pods' names.
 */
export function fillNodes(store: Store): string[] {
  if (!store.get('namespaces', undefined, FILLER_NAMESPACE))
    store.create('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: FILLER_NAMESPACE, labels: { 'kubernetes.io/metadata.name': FILLER_NAMESPACE } }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } });
  const pods = store.list('pods', undefined, isActive);
  const made: string[] = [];
  for (const node of store.list('nodes').filter(isLinux)) {
    const name = node.metadata.name ?? '';
    const booked = pods.filter((p) => (p.spec as { nodeName?: string }).nodeName === name).reduce((cpu, p) => cpu + podRequests(p).cpu, 0);
    const allocatable = quantity((node.status as { allocatable?: { cpu?: string } } | undefined)?.allocatable?.cpu ?? '0');
    const millis = Math.round(allocatable * 1000) - Math.round(booked * 1000) - LEFT_FREE_MILLICPU;
    if (millis <= 0) continue;
    const pod = store.create('pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { generateName: `busy-${name.split('.')[0]}-`, namespace: FILLER_NAMESPACE, labels: { app: 'busy' } },
      spec: { nodeName: name, containers: [{ name: 'work', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: `${millis}m` } } }] },
      status: { phase: 'Pending' },
    });
    made.push(pod.metadata.name ?? '');
  }
  return made;
}
