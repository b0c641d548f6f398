// DNS outages discovery can name before any query is sent: the controller scaled to 0, no pod at all,
// every pod Pending (the scheduler's words), stuck in ContainerCreating (the kubelet's Events), none
// Ready, or a Service that routes nowhere. The judge turns one into an unhealthy verdict with this
// reason (src/judge/judge.ts), never a "workload not found" error. Pure functions over plain data.
import type { KEvent, KPod } from '../kube/index.ts';
import type { DnsController, Outage, ServiceEndpoint } from './types.ts';
import { SentinelError } from '../common/errors.ts';
import { EXIT } from '../common/exit-codes.ts';

const MAX_QUOTED = 3;

const live = (p: KPod) => p.phase !== 'Succeeded' && p.phase !== 'Failed' && p.deletionTimestamp === undefined;
const ready = (p: KPod) => p.conditions.some((c) => c.type === 'Ready' && c.status === 'True');

/** The scheduler's message when the pod cannot be placed (PodScheduled False, reason Unschedulable). */
export function unschedulableMessage(p: KPod): string | undefined {
  const c = p.conditions.find((x) => x.type === 'PodScheduled' && x.status === 'False');
  return c ? (c.message ?? c.reason ?? 'not scheduled') : undefined;
}

/** Scheduled, but its containers wait for a sandbox (the CNI, volumes, image). */
export const isContainerCreating = (p: KPod): boolean =>
  p.phase === 'Pending' && !unschedulableMessage(p) && (p.containerStatuses.length === 0 || p.containerStatuses.some((c) => c.waitingReason === 'ContainerCreating'));

/** The newest Warning Event about the pod (the kubelet's FailedCreatePodSandBox, FailedMount…). */
export function podEvent(pod: string, events: KEvent[]): KEvent | undefined {
  const about = events.filter((e) => e.involvedKind === 'Pod' && e.involvedName === pod);
  return about.filter((e) => e.type === 'Warning').at(-1) ?? about.at(-1);
}

const controllerText = (c: DnsController) => `${c.kind} ${c.name}`;

/** One pod's state in a few words: why it is not Ready. */
function stateOf(p: KPod, events: KEvent[]): string {
  const unscheduled = unschedulableMessage(p);
  if (unscheduled) return `Pending: ${unscheduled}`;
  if (isContainerCreating(p)) {
    const e = podEvent(p.name, events);
    return e ? `ContainerCreating: ${e.reason}: ${e.message}` : 'ContainerCreating';
  }
  const waiting = p.containerStatuses.find((c) => c.waitingReason)?.waitingReason;
  return waiting ? `${p.phase}, ${waiting}` : `${p.phase}, not Ready`;
}

const quote = (pods: KPod[], text: (p: KPod) => string): string => {
  const shown = pods.slice(0, MAX_QUOTED).map((p) => `${p.name}: ${text(p)}`);
  return shown.join('; ') + (pods.length > MAX_QUOTED ? `; and ${pods.length - MAX_QUOTED} more` : '');
};

export interface OutageInput {
  namespace: string;
  labelSelector: string;
  /** Whose selector it is: the DNS Service's (its drift from the pods is an outage), or the default. */
  selectorOf?: { service: string };
  pods: KPod[];
  controller?: DnsController;
  /** The ClusterIP Service, when there is one; its endpoints when they could be read. */
  service?: { name: string; endpoints?: ServiceEndpoint[] };
  /** The namespace's Events; read only when a pod waits in ContainerCreating. */
  events?: KEvent[];
}

/** The outage, or undefined when at least one pod is Ready and the Service routes to one. */
export function detectOutage(i: OutageInput): Outage | undefined {
  const c = i.controller;
  if (c && c.desired === 0)
    return {
      kind: 'scaled-to-zero',
      reason:
        c.kind === 'DaemonSet'
          ? `DaemonSet ${i.namespace}/${c.name} wants 0 pods: no DNS server runs — check its nodeSelector and tolerations against the nodes`
          : `${controllerText(c)} in namespace ${i.namespace} is scaled to 0 replicas: no DNS server runs — scale it up (kubectl -n ${i.namespace} scale ${c.kind.toLowerCase()} ${c.name} --replicas=2)`,
    };
  const pods = i.pods.filter(live);
  // The Service selects no pod while its controller's pods run: the selector drifted from their labels.
  if (pods.length === 0 && c && c.ready > 0 && i.selectorOf)
    return {
      kind: 'selector-drift',
      reason: `selector drift: Service ${i.namespace}/${i.selectorOf.service} selects ${i.labelSelector}, which no pod matches, while ${controllerText(c)} runs ${c.ready} Ready pod(s): the Service routes nowhere — set its selector to the pods' labels (kubectl -n ${i.namespace} get ${c.kind.toLowerCase()} ${c.name} -o jsonpath='{.spec.selector}')`,
    };
  if (pods.length === 0)
    return {
      kind: 'no-pods',
      reason: c
        ? `${controllerText(c)} wants ${c.desired} pod(s) but no DNS pod exists in namespace ${i.namespace} — read its events (kubectl -n ${i.namespace} describe ${c.kind.toLowerCase()} ${c.name})`
        : `no DNS pod matches ${i.labelSelector} in namespace ${i.namespace}, and no controller of them was found — the DNS workload is gone, or pass -l SELECTOR`,
    };
  const events = i.events ?? [];
  if (!pods.some(ready)) {
    if (pods.every((p) => unschedulableMessage(p)))
      return { kind: 'unschedulable', reason: `every DNS pod is Pending, none can be scheduled — ${quote(pods, (p) => unschedulableMessage(p)!)}` };
    if (pods.every(isContainerCreating))
      return { kind: 'container-creating', reason: `every DNS pod is stuck in ContainerCreating — ${quote(pods, (p) => { const e = podEvent(p.name, events); return e ? `${e.reason}: ${e.message}` : 'no Event yet'; })}` };
    return { kind: 'none-ready', reason: `no DNS pod is Ready — ${quote(pods, (p) => stateOf(p, events))}` };
  }
  const endpoints = i.service?.endpoints;
  if (i.service && endpoints && !endpoints.some((e) => e.ready))
    return {
      kind: 'no-endpoints',
      reason: `Service ${i.namespace}/${i.service.name} has no ready endpoints although ${pods.filter(ready).length} DNS pod(s) are Ready: its IP routes nowhere — compare its selector and ports with the pods (kubectl -n ${i.namespace} get endpointslices -l kubernetes.io/service-name=${i.service.name})`,
    };
  return undefined;
}

/** Whether discovery should read the namespace's Events: no pod is Ready and one waits in ContainerCreating. */
export const needsEvents = (pods: KPod[]): boolean => {
  const l = pods.filter(live);
  return l.length > 0 && !l.some(ready) && l.some(isContainerCreating);
};

/**
 * An outage with nothing to probe (a headless Service or pods only, and no pod with an IP): the run
 * ends unhealthy with the outage as its line (exit 1), never "the check plan cannot run".
 */
export class OutageError extends SentinelError {
  constructor(readonly outage: Outage) {
    super(`DNS unhealthy — outage: ${outage.reason}`, { exitCode: EXIT.unhealthy });
    this.name = 'OutageError';
  }
}

/** The outage, when the workload leaves no address to probe: no Service IP and no pod IP. */
export function unprobeableOutage(w: { outage?: Outage; service: { clusterIPs: string[] }; pods: { ip: string }[] }): OutageError | undefined {
  return w.outage && w.service.clusterIPs.length === 0 && !w.pods.some((p) => p.ip) ? new OutageError(w.outage) : undefined;
}
