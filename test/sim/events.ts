// core/v1 Events about a pod, as the kubelet and the cluster autoscaler record them: one object per
// (reason, message), its count and lastTimestamp bumped when the same thing happens again (client-go's
// EventCorrelator aggregates the same way).
import type { KObject, Store } from './store.ts';

export interface PodEvent {
  reason: string;
  message: string;
  type: 'Normal' | 'Warning';
  /** kubelet, cluster-autoscaler, … */
  component: string;
  /** The node for the kubelet's Events. */
  host?: string;
}

const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

let sequence = 0n;
/** client-go's Event name, "<object>.<UnixNano in hex>": listed by name, a pod's Events come in the order they happened. */
const eventName = (object: string) => `${object}.${(BigInt(Date.now()) * 1_000_000n + (sequence++ % 1_000_000n)).toString(16)}`;

export function recordPodEvent(store: Store, pod: Pick<KObject, 'metadata'>, e: PodEvent): void {
  const namespace = pod.metadata.namespace ?? 'default';
  const name = pod.metadata.name ?? '';
  const same = store.list('events', namespace, (o) => (o.involvedObject as { uid?: string } | undefined)?.uid === pod.metadata.uid && o.reason === e.reason && o.message === e.message)[0];
  const ts = now();
  if (same) return void store.mutate('events', namespace, same.metadata.name ?? '', (o) => Object.assign(o, { count: ((o.count as number) ?? 1) + 1, lastTimestamp: ts }));
  store.create('events', {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: eventName(name), namespace },
    involvedObject: { apiVersion: 'v1', kind: 'Pod', name, namespace, uid: pod.metadata.uid },
    reason: e.reason,
    message: e.message,
    type: e.type,
    source: { component: e.component, ...(e.host ? { host: e.host } : {}) },
    reportingComponent: e.component,
    reportingInstance: e.host ?? e.component,
    firstTimestamp: ts,
    lastTimestamp: ts,
    count: 1,
  });
}
