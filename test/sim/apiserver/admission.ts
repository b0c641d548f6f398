// Admission of pods as real clusters do it, switched on by the objects a user creates with kubectl:
//  - Pod Security Admission: the namespace label pod-security.kubernetes.io/enforce=restricted|baseline
//    (kubernetes.io/docs/concepts/security/pod-security-standards/; messages as
//    k8s.io/pod-security-admission/policy/check_*.go word them);
//  - OpenShift's restricted-v2 SCC: the namespace annotation openshift.io/sa.scc.uid-range (the
//    openshift preset sets it): a pod without runAsUser gets the range's first UID, one outside it
//    is refused (docs.openshift.com "Managing security context constraints", MustRunAsRange).
//  - service meshes' injectors: a namespace labelled istio-injection=enabled, or annotated
//    linkerd.io/inject=enabled, gets an init container needing NET_ADMIN/NET_RAW and a proxy sidecar,
//    unless the pod opts out (sidecar.istio.io/inject: "false" label or annotation; linkerd.io/inject:
//    disabled);
//  - LimitRange (maxLimitRequestRatio per Container) and ResourceQuota (a quota over a resource requires
//    every container to state it; a pod that would take it over its hard limits is refused: quota.ts),
//    with the plugins' messages (plugin/pkg/admission/limitranger, …/resourcequota).
// Mutating (injection, the SCC's UID) before validating, as the real chain orders them.
import type { KObject, Store } from '../store.ts';
import { SimError } from '../status.ts';
import { exceededQuota } from '../quota.ts';

export const PSA_ENFORCE = 'pod-security.kubernetes.io/enforce';
export const SCC_UID_RANGE = 'openshift.io/sa.scc.uid-range';

type SecurityContext = {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  runAsGroup?: number;
  allowPrivilegeEscalation?: boolean;
  privileged?: boolean;
  capabilities?: { add?: string[]; drop?: string[] };
  seccompProfile?: { type?: string };
};
type Container = { name: string; image?: string; securityContext?: SecurityContext; resources?: { requests?: Record<string, string>; limits?: Record<string, string> } };
type PodSpec = { securityContext?: SecurityContext; containers?: Container[]; initContainers?: Container[]; hostNetwork?: boolean; hostPID?: boolean; hostIPC?: boolean };

const forbidden = (name: string, message: string) => SimError.of(403, 'Forbidden', `pods "${name}" is forbidden: ${message}`, { name, kind: 'pods' });

/** "1000680000/10000" → [first, last]; undefined when malformed. */
export function uidRange(annotation: string): [number, number] | undefined {
  const m = /^(\d+)\/(\d+)$/.exec(annotation.trim());
  return m ? [Number(m[1]), Number(m[1]) + Number(m[2]) - 1] : undefined;
}

function scc(name: string, spec: PodSpec, range: [number, number]): void {
  const containers = [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
  const problems: string[] = [];
  const outside = (uid: number | undefined) => uid !== undefined && (uid < range[0] || uid > range[1]);
  if (outside(spec.securityContext?.runAsUser)) problems.push(`spec.securityContext.runAsUser: Invalid value: ${spec.securityContext!.runAsUser}: must be in the ranges: [${range[0]}, ${range[1]}]`);
  containers.forEach((c, i) => {
    if (outside(c.securityContext?.runAsUser)) problems.push(`spec.containers[${i}].securityContext.runAsUser: Invalid value: ${c.securityContext!.runAsUser}: must be in the ranges: [${range[0]}, ${range[1]}]`);
  });
  if (problems.length)
    throw forbidden(name, `unable to validate against any security context constraint: [provider "anyuid": Forbidden: not usable by user or serviceaccount, provider "restricted-v2": Forbidden: ${problems.join(', ')}]`);
  // MustRunAsRange: containers that set no user get the range's first UID.
  for (const c of containers) if (c.securityContext?.runAsUser === undefined && spec.securityContext?.runAsUser === undefined) c.securityContext = { ...c.securityContext, runAsUser: range[0] };
}

/** The restricted (and baseline) checks that a probe pod or a mesh's init container can fail. */
function podSecurity(name: string, spec: PodSpec, level: string): void {
  const containers = [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
  const failing = (test: (c: Container) => boolean) => containers.filter(test).map((c) => `"${c.name}"`);
  const list = (names: string[]) => (names.length === 1 ? `container ${names[0]}` : `containers ${names.join(', ')}`);
  const problems: string[] = [];
  if (spec.hostNetwork || spec.hostPID || spec.hostIPC) problems.push('host namespaces (hostNetwork=true)');
  const privileged = failing((c) => c.securityContext?.privileged === true);
  if (privileged.length) problems.push(`privileged (${list(privileged)} must not set securityContext.privileged=true)`);
  const BASELINE_CAPS = ['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT'];
  const allowedCaps = level === 'restricted' ? ['NET_BIND_SERVICE'] : BASELINE_CAPS;
  const added = containers.filter((c) => (c.securityContext?.capabilities?.add ?? []).some((cap) => !allowedCaps.includes(cap)));
  if (added.length) problems.push(`${level === 'restricted' ? 'unrestricted capabilities' : 'non-default capabilities'} (${list(added.map((c) => `"${c.name}"`))} must not include ${[...new Set(added.flatMap((c) => c.securityContext!.capabilities!.add!.filter((cap) => !allowedCaps.includes(cap))))].map((x) => `"${x}"`).join(', ')} in securityContext.capabilities.add)`);
  if (level === 'restricted') {
    const escalating = failing((c) => c.securityContext?.allowPrivilegeEscalation !== false);
    if (escalating.length) problems.push(`allowPrivilegeEscalation != false (${list(escalating)} must set securityContext.allowPrivilegeEscalation=false)`);
    const undropped = failing((c) => !(c.securityContext?.capabilities?.drop ?? []).includes('ALL'));
    if (undropped.length) problems.push(`unrestricted capabilities (${list(undropped)} must set securityContext.capabilities.drop=["ALL"])`);
    const podNonRoot = spec.securityContext?.runAsNonRoot === true;
    const root = failing((c) => !(c.securityContext?.runAsNonRoot ?? podNonRoot));
    if (root.length) problems.push(`runAsNonRoot != true (pod or ${list(root)} must set securityContext.runAsNonRoot=true)`);
    const uid0 = spec.securityContext?.runAsUser === 0 || containers.some((c) => c.securityContext?.runAsUser === 0);
    if (uid0) problems.push('runAsUser=0 (pod and containers must not set runAsUser=0)');
    const podSeccomp = spec.securityContext?.seccompProfile?.type;
    const noSeccomp = failing((c) => !['RuntimeDefault', 'Localhost'].includes(c.securityContext?.seccompProfile?.type ?? podSeccomp ?? ''));
    if (noSeccomp.length) problems.push(`seccompProfile (pod or ${list(noSeccomp)} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")`);
  }
  if (problems.length) throw forbidden(name, `violates PodSecurity "${level}:latest": ${problems.join(', ')}`);
}

const MESH_INIT_CAPS = { add: ['NET_ADMIN', 'NET_RAW'], drop: ['ALL'] };

/** Istio's and Linkerd's injection webhooks, as far as admission sees them: the containers they add. */
function injectSidecars(ns: KObject | undefined, pod: KObject, spec: PodSpec): void {
  const labels = pod.metadata.labels ?? {};
  const annotations = pod.metadata.annotations ?? {};
  const istio = ns?.metadata.labels?.['istio-injection'] === 'enabled' && labels['sidecar.istio.io/inject'] !== 'false' && annotations['sidecar.istio.io/inject'] !== 'false';
  const linkerd = ns?.metadata.annotations?.['linkerd.io/inject'] === 'enabled' && annotations['linkerd.io/inject'] !== 'disabled';
  const [init, proxy, image] = istio ? ['istio-init', 'istio-proxy', 'docker.io/istio/proxyv2:1.22.0'] : linkerd ? ['linkerd-init', 'linkerd-proxy', 'cr.l5d.io/linkerd/proxy:stable-2.14.10'] : [];
  if (!init || !proxy) return;
  spec.initContainers = [...(spec.initContainers ?? []), { name: init, image, securityContext: { allowPrivilegeEscalation: false, runAsUser: 0, runAsNonRoot: false, capabilities: MESH_INIT_CAPS } }];
  spec.containers = [...(spec.containers ?? []), { name: proxy, image, securityContext: { allowPrivilegeEscalation: false, runAsUser: 1337, runAsNonRoot: true, capabilities: { drop: ['ALL'] } } }];
}

const QUANTITY_SUFFIX: Record<string, number> = { m: 1e-3, k: 1e3, M: 1e6, G: 1e9, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30 };
const quantity = (q: unknown) => {
  const m = /^(\d+(?:\.\d+)?)([a-zA-Z]*)$/.exec(String(q ?? ''));
  return m ? Number(m[1]) * (QUANTITY_SUFFIX[m[2]!] ?? 1) : NaN;
};

type LimitItem = { type?: string; maxLimitRequestRatio?: Record<string, string> };

function limitRanges(store: Store, namespace: string, name: string, containers: Container[]): void {
  for (const lr of store.list('limitranges').filter((o) => o.metadata.namespace === namespace)) {
    for (const item of ((lr.spec as { limits?: LimitItem[] } | undefined)?.limits ?? []).filter((l) => l.type === 'Container')) {
      for (const [resource, max] of Object.entries(item.maxLimitRequestRatio ?? {})) {
        for (const c of containers) {
          const ratio = quantity(c.resources?.limits?.[resource]) / quantity(c.resources?.requests?.[resource]);
          if (ratio > quantity(max)) throw forbidden(name, `${resource} max limit to request ratio per Container is ${max}, but provided ratio is ${ratio.toFixed(6)}`);
        }
      }
    }
  }
}

/** A quota over requests.X or limits.X: every container must state X there (resourcequota's "must specify"). */
function resourceQuotas(store: Store, namespace: string, name: string, containers: Container[]): void {
  for (const quota of store.list('resourcequotas').filter((o) => o.metadata.namespace === namespace)) {
    const missing = Object.keys((quota.spec as { hard?: Record<string, string> } | undefined)?.hard ?? {}).flatMap((key) => {
      const [kind, resource] = key.includes('.') && /^(requests|limits)\./.test(key) ? [key.split('.')[0] as 'requests' | 'limits', key.slice(key.indexOf('.') + 1)] : ['requests' as const, key];
      if (!['cpu', 'memory', 'ephemeral-storage'].includes(resource)) return [];
      const lacking = containers.filter((c) => c.resources?.[kind]?.[resource] === undefined).map((c) => c.name);
      return lacking.length ? [`${kind}.${resource} for: ${lacking.join(',')}`] : [];
    });
    if (missing.length) throw forbidden(name, `failed quota: ${quota.metadata.name}: must specify ${missing.join('; ')}`);
  }
}

/** Admits (and mutates) a pod about to be created; throws the real 403 otherwise. */
export function admitPod(store: Store, pod: KObject): void {
  const ns = store.get('namespaces', '', pod.metadata.namespace ?? '');
  const spec = (pod.spec ?? {}) as PodSpec;
  const name = pod.metadata.name ?? pod.metadata.generateName ?? '';
  injectSidecars(ns, pod, spec);
  const range = uidRange(ns?.metadata.annotations?.[SCC_UID_RANGE] ?? '');
  if (range) scc(name, spec, range);
  const level = ns?.metadata.labels?.[PSA_ENFORCE];
  if (level === 'restricted' || level === 'baseline') podSecurity(name, spec, level);
  const containers = [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
  limitRanges(store, pod.metadata.namespace ?? '', name, containers);
  resourceQuotas(store, pod.metadata.namespace ?? '', name, containers);
  const over = exceededQuota(store, pod);
  if (over) throw forbidden(name, over);
}
