// client-node objects (and raw watch JSON, whose dates are strings) → the plain data of ./types.ts.
// Written against loose records so both shapes pass through the same code.
import type { KConfigMap, KEndpointSlice, KEvent, KLease, KNode, KPdb, KPod, KService } from './types.ts';
import type { KContainer, KContainerStatus, KController, KControllerKind } from './types.ts';

type Obj = Record<string, unknown>;

const obj = (v: unknown): Obj => (typeof v === 'object' && v !== null ? (v as Obj) : {});
const arr = (v: unknown): Obj[] => (Array.isArray(v) ? v.map(obj) : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const optStr = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);
const num = (v: unknown): number => (typeof v === 'number' ? v : 0);
const strMap = (v: unknown): Record<string, string> =>
  Object.fromEntries(Object.entries(obj(v)).filter((e): e is [string, string] => typeof e[1] === 'string'));

/** Dates arrive as Date (deserialized) or as RFC 3339 strings (watch events). */
function time(v: unknown): string | undefined {
  if (v instanceof Date) return v.toISOString();
  return optStr(v);
}

function only<T extends Obj>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

export function toNode(raw: unknown): KNode {
  const n = obj(raw);
  const spec = obj(n.spec);
  const status = obj(n.status);
  return {
    name: str(obj(n.metadata).name),
    ready: arr(status.conditions).some((c) => c.type === 'Ready' && c.status === 'True'),
    unschedulable: spec.unschedulable === true,
    ...only({ os: optStr(obj(obj(n.metadata).labels)['kubernetes.io/os']) }),
    taints: arr(spec.taints).map((t) => only({ key: str(t.key), value: optStr(t.value), effect: str(t.effect) })),
  };
}

/** An IntOrString (targetPort): client-node keeps a number or a name. */
const intOrString = (v: unknown): number | string | undefined => (typeof v === 'number' ? v : optStr(v));

function toContainers(v: unknown): KContainer[] {
  return arr(v).map((c) =>
    only({
      name: str(c.name),
      ports: arr(c.ports).map((p) =>
        only({ name: optStr(p.name), containerPort: num(p.containerPort), protocol: str(p.protocol) || 'TCP', hostPort: typeof p.hostPort === 'number' && p.hostPort > 0 ? p.hostPort : undefined }),
      ),
      args: Array.isArray(c.args) ? c.args.map(str) : undefined,
      image: optStr(c.image),
    }),
  );
}

const configMapVolumes = (spec: Obj): string[] => arr(spec.volumes).flatMap((v) => (optStr(obj(v.configMap).name) ? [str(obj(v.configMap).name)] : []));

export function toController(kind: KControllerKind, raw: unknown): KController {
  const c = obj(raw);
  const meta = obj(c.metadata);
  const spec = obj(c.spec);
  const status = obj(c.status);
  const template = obj(obj(spec.template).spec);
  const daemon = kind === 'DaemonSet';
  return {
    kind,
    name: str(meta.name),
    namespace: str(meta.namespace),
    desired: daemon ? num(status.desiredNumberScheduled) : typeof spec.replicas === 'number' ? spec.replicas : 1,
    ready: num(daemon ? status.numberReady : status.readyReplicas),
    containers: toContainers(template.containers),
    configMapVolumes: configMapVolumes(template),
    selector: strMap(obj(spec.selector).matchLabels),
  };
}

export function toService(raw: unknown): KService {
  const s = obj(raw);
  const meta = obj(s.metadata);
  const spec = obj(s.spec);
  const ips = Array.isArray(spec.clusterIPs) ? spec.clusterIPs.map(str) : [str(spec.clusterIP)];
  return {
    name: str(meta.name),
    namespace: str(meta.namespace),
    clusterIPs: ips.filter((ip) => ip && ip !== 'None'),
    ports: arr(spec.ports).map((p) => only({ name: optStr(p.name), port: num(p.port), protocol: str(p.protocol) || 'TCP', targetPort: intOrString(p.targetPort) })),
    selector: strMap(spec.selector),
    type: str(spec.type) || 'ClusterIP',
    headless: spec.clusterIP === 'None',
    externalName: optStr(spec.externalName),
    labels: strMap(meta.labels),
    annotations: strMap(meta.annotations),
    creationTimestamp: time(meta.creationTimestamp),
  };
}

function toContainerStatus(c: Obj): KContainerStatus {
  const state = obj(c.state);
  const waiting = obj(state.waiting);
  const terminated = obj(state.terminated);
  const lastTerminated = obj(obj(c.lastState).terminated);
  return only({
    name: str(c.name),
    ready: c.ready === true,
    restartCount: num(c.restartCount),
    waitingReason: optStr(waiting.reason),
    waitingMessage: optStr(waiting.message),
    terminatedReason: optStr(terminated.reason),
    terminatedExitCode: typeof terminated.exitCode === 'number' ? terminated.exitCode : undefined,
    lastTerminationReason: optStr(lastTerminated.reason),
  });
}

export function toPod(raw: unknown): KPod {
  const p = obj(raw);
  const meta = obj(p.metadata);
  const spec = obj(p.spec);
  const status = obj(p.status);
  const podIPs = arr(status.podIPs).map((x) => str(x.ip)).filter(Boolean);
  if (podIPs.length === 0 && str(status.podIP)) podIPs.push(str(status.podIP));
  return only({
    name: str(meta.name),
    namespace: str(meta.namespace),
    uid: str(meta.uid),
    resourceVersion: str(meta.resourceVersion),
    labels: strMap(meta.labels),
    annotations: strMap(meta.annotations),
    ownerReferences: arr(meta.ownerReferences).map((o) => ({ kind: str(o.kind), name: str(o.name) })),
    nodeName: str(spec.nodeName),
    phase: str(status.phase) || 'Pending',
    reason: optStr(status.reason),
    message: optStr(status.message),
    podIPs,
    conditions: arr(status.conditions).map((c) =>
      only({ type: str(c.type), status: str(c.status), reason: optStr(c.reason), message: optStr(c.message), lastTransitionTime: optStr(c.lastTransitionTime) }),
    ),
    containerStatuses: arr(status.containerStatuses).map(toContainerStatus),
    initContainerStatuses: arr(status.initContainerStatuses).map(toContainerStatus),
    creationTimestamp: time(meta.creationTimestamp),
    startTime: time(status.startTime),
    deletionTimestamp: time(meta.deletionTimestamp),
    activeDeadlineSeconds: typeof spec.activeDeadlineSeconds === 'number' ? spec.activeDeadlineSeconds : undefined,
    containers: toContainers(spec.containers),
    initContainers: toContainers(spec.initContainers),
    configMapVolumes: configMapVolumes(spec),
    hostNetwork: spec.hostNetwork === true ? true : undefined,
  });
}

export function toEndpointSlice(raw: unknown): KEndpointSlice {
  const s = obj(raw);
  return {
    name: str(obj(s.metadata).name),
    namespace: optStr(obj(s.metadata).namespace),
    serviceName: optStr(strMap(obj(s.metadata).labels)['kubernetes.io/service-name']),
    addressType: str(s.addressType),
    ports: arr(s.ports).map((p) => only({ name: optStr(p.name), port: typeof p.port === 'number' ? p.port : undefined, protocol: optStr(p.protocol) })),
    endpoints: arr(s.endpoints).map((e) =>
      only({
        addresses: Array.isArray(e.addresses) ? e.addresses.map(str) : [],
        ready: obj(e.conditions).ready !== false,
        podName: optStr(obj(e.targetRef).name),
        nodeName: optStr(e.nodeName),
      }),
    ),
  };
}

/** The last write that changed a ConfigMap's data: the newest managedFields entry owning data, else its creation. */
function dataChange(meta: Obj): { changedAt?: string; changedBy?: string } {
  const writes = arr(meta.managedFields)
    .filter((m) => { const f = obj(m.fieldsV1); return 'f:data' in f || 'f:binaryData' in f; })
    .map((m) => ({ at: time(m.time), by: optStr(m.manager) }))
    .filter((m): m is { at: string; by: string | undefined } => m.at !== undefined)
    .sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  const last = writes.at(-1);
  // As kubectl shows it: RFC 3339 to the second (the API's resolution).
  const seconds = (t: string | undefined) => t?.replace(/\.000Z$/, 'Z');
  return last ? { changedAt: seconds(last.at), changedBy: last.by } : { changedAt: seconds(time(meta.creationTimestamp)) };
}

export function toConfigMap(raw: unknown): KConfigMap {
  const c = obj(raw);
  const meta = obj(c.metadata);
  return only({ name: str(meta.name), namespace: str(meta.namespace), data: strMap(c.data), resourceVersion: optStr(meta.resourceVersion), ...dataChange(meta) });
}

export function toPdb(raw: unknown): KPdb {
  const p = obj(raw);
  const spec = obj(p.spec);
  const status = obj(p.status);
  const selector = spec.selector === undefined || spec.selector === null ? undefined : obj(spec.selector);
  return {
    name: str(obj(p.metadata).name),
    matchLabels: strMap(selector?.matchLabels),
    matchExpressions: arr(selector?.matchExpressions).map((e) => ({ key: str(e.key), operator: str(e.operator), values: Array.isArray(e.values) ? e.values.map(str) : [] })),
    hasSelector: selector !== undefined,
    disruptionsAllowed: num(status.disruptionsAllowed),
    currentHealthy: num(status.currentHealthy),
    desiredHealthy: num(status.desiredHealthy),
  };
}

export function toLease(raw: unknown): KLease {
  const l = obj(raw);
  const meta = obj(l.metadata);
  const spec = obj(l.spec);
  return only({
    name: str(meta.name),
    namespace: str(meta.namespace),
    resourceVersion: optStr(meta.resourceVersion),
    holderIdentity: optStr(spec.holderIdentity),
    leaseDurationSeconds: typeof spec.leaseDurationSeconds === 'number' ? spec.leaseDurationSeconds : undefined,
    acquireTime: time(spec.acquireTime),
    renewTime: time(spec.renewTime),
    leaseTransitions: typeof spec.leaseTransitions === 'number' ? spec.leaseTransitions : undefined,
  });
}

export function toEvent(raw: unknown): KEvent {
  const e = obj(raw);
  const meta = obj(e.metadata);
  const involved = obj(e.involvedObject);
  return {
    name: str(meta.name),
    namespace: str(meta.namespace),
    resourceVersion: str(meta.resourceVersion),
    involvedKind: str(involved.kind),
    involvedName: str(involved.name),
    reason: str(e.reason),
    message: str(e.message),
    type: str(e.type),
    component: str(obj(e.source).component) || str(e.reportingComponent),
  };
}

/**
 * An Event's message cut to what the API server accepts: core/v1 Events with eventTime are validated
 * like events.k8s.io ones, `len(event.Message) > 1024` bytes is TooLong (kubernetes
 * pkg/apis/core/validation/events.go, NoteLengthLimit). Cut on a code point, marked with "…". Pure.
 */
export const EVENT_MESSAGE_MAX_BYTES = 1024;
export function fitEventMessage(message: string): string {
  if (Buffer.byteLength(message) <= EVENT_MESSAGE_MAX_BYTES) return message;
  const room = EVENT_MESSAGE_MAX_BYTES - Buffer.byteLength('…');
  let out = '';
  let bytes = 0;
  for (const ch of message) {
    const size = Buffer.byteLength(ch);
    if (bytes + size > room) break;
    out += ch;
    bytes += size;
  }
  return `${out}…`;
}
