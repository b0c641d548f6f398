// Finds the DNS workload, with no flags on the mainstream distributions: the Service whose ClusterIP is
// the pods' nameserver (else a known name, src/discover/locate.ts), its selector's pods, their
// controller, what the Service routes to (EndpointSlices, ports per pod: src/discover/ports.ts), the
// ConfigMap the pods mount (a Corefile, or kube-dns's stubDomains), NodeLocal DNSCache, and outages
// named as such (src/discover/outage.ts). Explicit flags always win. Every read is a get or a list, so
// the number of requests does not grow with the replica count.
import { KubeError, type KConfigMap, type KController, type KEndpointSlice, type KEvent, type KPod, type KService, type KubeClient } from '../kube/index.ts';
import { DEFAULT_CLUSTER_DOMAIN, importsFiles, parseCorefile, withClusterDomain } from './corefile.ts';
import { isKubeDns, kubeDnsZones } from './kubedns.ts';
import { bindAddresses, chooseService, GKE_METADATA_DNS, knownFor, KNOWN_NAMESPACES, lookedFor, mayHaveNodeLocal, NODE_LOCAL, nodeLocalOf, settledChoice, type Located } from './locate.ts';
import { detectOutage, needsEvents } from './outage.ts';
import { dnsContainerOf, podDnsPorts, serviceDnsPorts, serviceProbePorts, type ServiceDnsPorts } from './ports.ts';
import type { ControllerRef, CorefileSource, DnsController, DnsPod, DnsService, DnsWorkload, NodeLocalCache, ServiceEndpoint, Zones } from './types.ts';
import { DEFAULTS } from '../common/defaults.ts';
import { SentinelError } from '../common/errors.ts';
import { EXIT } from '../common/exit-codes.ts';

/**
 * What to look for. Unset fields are discovered; set ones win. The CLI maps its flags here: -n, -l,
 * --service (`--service ""` = PODS_ONLY: no Service, the pods only), --configmap, --cluster-domain.
 */
export interface DiscoverOptions {
  /** Search only this namespace; unset: the distributions' namespaces (KNOWN_NAMESPACES). */
  namespace?: string;
  /** The DNS pods; unset: the Service's selector. */
  labelSelector?: string;
  /** The DNS Service; PODS_ONLY: none; unset: the Service holding `nameserver`, else a known name. */
  serviceName?: string;
  /** The Corefile's ConfigMap; unset: the one the pods mount, else the distribution's name. */
  configMapName?: string;
  /** --cluster-domain: wins over the Corefile's. */
  clusterDomain?: string;
  /** The nameserver of the pods' /etc/resolv.conf (the probe pod can report its own): the anchor. */
  nameserver?: string;
}

/** `--service ""`: probe the pods only, no Service IP. */
export const PODS_ONLY = '';

/** The selector used when neither -l nor a Service gives one. */
export const DEFAULT_SELECTOR = DEFAULTS.workload.selector;

/** The ConfigMap k3s and AKS mount for user additions (`*.server`, `*.override` keys). */
export const CUSTOM_CONFIGMAP = 'coredns-custom';

/** The reads discovery makes (a fake of it unit-tests discovery over plain data). */
export type DiscoverClient = Pick<
  KubeClient,
  'getService' | 'listServices' | 'listAllServices' | 'listPods' | 'listEndpointSlices' | 'getConfigMap' | 'getController' | 'listEvents'
>;

/** The DNS workload could not be found where we were told to look. */
export class DiscoverError extends SentinelError {
  constructor(
    readonly kind: 'no-service' | 'no-pods',
    message: string,
    readonly hint: string,
  ) {
    super(message, { exitCode: EXIT.cluster, line: `${message} (${hint})` });
    this.name = 'DiscoverError';
  }
}

const PHASES = new Set(['Pending', 'Running', 'Succeeded', 'Failed']);

/** The owning Deployment: the ReplicaSet owner's name minus the pod-template-hash suffix (how Deployments name them). */
export function deploymentOf(pod: KPod): string | undefined {
  const rs = pod.ownerReferences.find((o) => o.kind === 'ReplicaSet');
  const hash = pod.labels['pod-template-hash'];
  if (!rs || !hash || !rs.name.endsWith(`-${hash}`)) return undefined;
  return rs.name.slice(0, -(hash.length + 1));
}

/** The pod's controller from its ownerReferences: a Deployment (through its ReplicaSet), a DaemonSet or a StatefulSet. */
export function controllerOf(pod: KPod): ControllerRef | undefined {
  const deployment = deploymentOf(pod);
  if (deployment) return { kind: 'Deployment', name: deployment };
  const owner = pod.ownerReferences.find((o) => o.kind === 'DaemonSet' || o.kind === 'StatefulSet');
  return owner ? { kind: owner.kind as 'DaemonSet' | 'StatefulSet', name: owner.name } : undefined;
}

/** The controller most pods have (during a rollout a few may belong elsewhere). */
export function commonController(pods: KPod[]): ControllerRef | undefined {
  const counts = new Map<string, { ref: ControllerRef; n: number }>();
  for (const p of pods) {
    const ref = controllerOf(p);
    if (!ref) continue;
    const key = `${ref.kind}/${ref.name}`;
    counts.set(key, { ref, n: (counts.get(key)?.n ?? 0) + 1 });
  }
  return [...counts.values()].sort((a, b) => b.n - a.n)[0]?.ref;
}

export function toDnsPod(pod: KPod, service?: ServiceDnsPorts, slices?: KEndpointSlice[]): DnsPod {
  const waiting = pod.containerStatuses.find((c) => c.waitingReason);
  const lastTermination = pod.containerStatuses.find((c) => c.lastTerminationReason)?.lastTerminationReason;
  const deployment = deploymentOf(pod);
  const controller = controllerOf(pod);
  const containers = pod.containers ?? [];
  const ports = podDnsPorts({ name: pod.name, ips: pod.podIPs, containers }, service, slices);
  const dnsContainer = containers.length > 1 ? dnsContainerOf(containers, ports.udp) : undefined;
  const hostPorts = [...new Set(containers.flatMap((c) => c.ports.flatMap((p) => (p.hostPort ? [p.hostPort] : []))))];
  const nodePorts = pod.hostNetwork ? ('host-network' as const) : hostPorts.length > 0 ? hostPorts : undefined;
  // GKE's kube-dns: dnsmasq may be the one crashing beside kubedns.
  const crashed =
    pod.containerStatuses.length > 1
      ? (pod.containerStatuses.find((c) => c.waitingReason === 'CrashLoopBackOff') ?? [...pod.containerStatuses].filter((c) => c.restartCount > 0).sort((a, b) => b.restartCount - a.restartCount)[0])
      : undefined;
  return {
    name: pod.name,
    namespace: pod.namespace,
    ip: pod.podIPs[0] ?? '',
    ips: pod.podIPs,
    node: pod.nodeName,
    phase: (PHASES.has(pod.phase) ? pod.phase : 'Unknown') as DnsPod['phase'],
    ready: pod.conditions.some((c) => c.type === 'Ready' && c.status === 'True'),
    restartCount: pod.containerStatuses.reduce((sum, c) => sum + c.restartCount, 0),
    ...(waiting?.waitingReason ? { waitingReason: waiting.waitingReason } : {}),
    ...(lastTermination ? { lastTerminationReason: lastTermination } : {}),
    terminating: pod.deletionTimestamp !== undefined,
    ...(deployment ? { deployment } : {}),
    ...(controller ? { controller } : {}),
    ports,
    // Only a pod of several containers needs its DNS container named (for its log).
    ...(dnsContainer ? { dnsContainer } : {}),
    ...(crashed ? { crashedContainer: crashed.name } : {}),
    ...(pod.startTime ? { startTime: pod.startTime } : {}),
    ...(nodePorts ? { nodePorts } : {}),
    uid: pod.uid,
  };
}

/** The Service's DNS port (UDP, else TCP, else 53). */
export const dnsPortOf = (service: KService): number => serviceProbePorts(serviceDnsPorts(service.ports)).udp;

/** IPv4 first, as the plan probes the primary family first. */
const ipv4First = (ips: string[]) => [...ips.filter((ip) => !ip.includes(':')), ...ips.filter((ip) => ip.includes(':'))];

export function toDnsService(service: KService): DnsService {
  const { udp, tcp } = serviceProbePorts(serviceDnsPorts(service.ports));
  const selector = Object.keys(service.selector).length > 0 ? { selector: service.selector } : {};
  return { name: service.name, namespace: service.namespace, clusterIPs: ipv4First(service.clusterIPs), port: udp, ...(tcp !== udp && { tcpPort: tcp }), ...selector };
}

export function endpointsOf(slices: KEndpointSlice[]): ServiceEndpoint[] {
  return slices.flatMap((s) =>
    s.endpoints.flatMap((e) => e.addresses.map((address) => ({ address, ready: e.ready, ...(e.podName ? { pod: e.podName } : {}) }))),
  );
}

/** A selector map as `-l` text (k=v,k2=v2). */
export const formatSelector = (selector: Record<string, string>): string =>
  Object.entries(selector)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');

const absentIsUndefined = (err: unknown): undefined => {
  if (err instanceof KubeError && err.kind === 'not-found') return undefined;
  throw err;
};

/**
 * Evidence the run can do without (the Corefile, the controller, EndpointSlices …): a read that fails
 * in any shape — an HTTP status, a reset, no answer — is one note and the run goes on. Rejected
 * credentials fail the run (every other request would be rejected too).
 */
async function optional<T>(read: Promise<T>, notes: string[], what: string): Promise<T | undefined> {
  try {
    return await read;
  } catch (err) {
    if (!(err instanceof KubeError) || err.kind === 'unauthorized') throw err;
    notes.push(`${what}: ${err.kind === 'not-found' ? 'not found' : err.kind === 'forbidden' ? `not readable — ${err.hint}` : `not read: ${err.line}`}`);
    return undefined;
  }
}

/** A list in a namespace discovery only searches (not asked for): forbidden or absent is "nothing there". */
async function quietList(read: Promise<KService[]>, skipped: string[], where: string): Promise<KService[]> {
  try {
    return await read;
  } catch (err) {
    if (err instanceof KubeError && (err.kind === 'forbidden' || err.kind === 'not-found')) {
      skipped.push(`${where}: ${err.kind}`);
      return [];
    }
    throw err;
  }
}

interface Anchor {
  namespace: string;
  located?: Located;
  /** Services listed while searching (NodeLocal DNSCache's kube-dns-upstream shows there). */
  listed: KService[];
  /** No Service, no pods, and the nameserver answers for the cluster: a managed DNS (GKE Cloud DNS). */
  managed?: string;
}

async function locate(client: DiscoverClient, opts: DiscoverOptions, notes: string[]): Promise<Anchor> {
  const fallbackNamespace = opts.namespace ?? KNOWN_NAMESPACES[0]!;
  if (opts.serviceName === PODS_ONLY) {
    notes.push(`pods only (--service ""): no Service IP is probed`);
    return { namespace: fallbackNamespace, listed: [] };
  }
  if (opts.serviceName !== undefined) {
    const namespace = opts.namespace ?? knownNamespaceOf(opts.serviceName);
    const missing = () =>
      new DiscoverError('no-service', `Service ${opts.serviceName} not found in namespace ${namespace}`, 'pass --service NAME and -n NAMESPACE of the DNS Service, or --service "" to probe the pods only');
    // One list instead of a get: the same request, and it shows NodeLocal DNSCache's kube-dns-upstream; a get where list is not granted.
    const listed = await quietList(client.listServices(namespace, ''), [], `list services in ${namespace}`);
    const service =
      listed.find((s) => s.name === opts.serviceName) ??
      (await client.getService(namespace, opts.serviceName).catch((err: unknown) => {
        throw err instanceof KubeError && err.kind === 'not-found' ? missing() : err;
      }));
    return { namespace, located: { service, by: '--service' }, listed: listed.length ? listed : [service] };
  }
  const namespaces = opts.namespace ? [opts.namespace] : KNOWN_NAMESPACES;
  const skipped: string[] = [];
  // One namespace at a time until the choice is settled: another distribution's namespace costs a request only when searched.
  const listed: KService[] = [];
  let located: Located | undefined;
  for (const [i, ns] of namespaces.entries()) {
    listed.push(...(await quietList(client.listServices(ns, ''), skipped, `list services in ${ns}`)));
    located = chooseService(listed, opts.nameserver);
    if (located && settledChoice(located, namespaces.slice(0, i + 1), opts.nameserver)) break;
  }
  // A DNS Service outside the known namespaces: only its ClusterIP can find it (needs list services cluster-wide).
  if (!located && opts.nameserver && !opts.namespace) {
    const denied = skipped.length;
    const all = await quietList(client.listAllServices(), skipped, 'list services cluster-wide');
    const byIp = all.find((s) => s.clusterIPs.includes(opts.nameserver!));
    if (byIp) located = { service: byIp, by: `its ClusterIP ${opts.nameserver} is the pods' nameserver` };
    // Unable to look, the nameserver is no evidence of managed DNS: say which rule is missing.
    if (!byIp && skipped.length > denied && skipped.at(-1)!.endsWith('forbidden') && opts.nameserver !== GKE_METADATA_DNS)
      throw new DiscoverError(
        'no-service',
        `no DNS Service found in ${namespaces.join(', ')}, and the Service holding the pods' nameserver ${opts.nameserver} cannot be looked for: list services at cluster scope is forbidden`,
        'grant list on services cluster-wide (the ClusterRole of manifests/rbac-sample.yaml), or pass -n NAMESPACE and --service NAME of the DNS Service',
      );
  }
  if (located) return { namespace: located.service.namespace, located, listed };
  const looked = `${lookedFor(namespaces, opts.nameserver)}${skipped.length ? ` (${skipped.join(', ')})` : ''}`;
  if (opts.labelSelector !== undefined) {
    notes.push(`no DNS Service found (looked for ${looked}): the pods are probed, no Service IP`);
    return { namespace: fallbackNamespace, listed };
  }
  // No Service at all: pods with the default selector are probed alone; none, and a nameserver the pods use, is managed DNS.
  const pods = await client.listPods(fallbackNamespace, DEFAULT_SELECTOR);
  if (pods.length > 0) {
    notes.push(`no DNS Service found (looked for ${looked}): the pods ${DEFAULT_SELECTOR} in ${fallbackNamespace} are probed, no Service IP`);
    return { namespace: fallbackNamespace, listed };
  }
  if (opts.nameserver) return { namespace: fallbackNamespace, listed, managed: opts.nameserver };
  throw new DiscoverError(
    'no-service',
    `no cluster DNS found: looked for ${looked}, and for pods ${DEFAULT_SELECTOR} in ${fallbackNamespace}`,
    'pass --service NAME and -n NAMESPACE of the DNS Service, or -l SELECTOR (with --service "") for the DNS pods',
  );
}

/** The namespace a known Service name lives in (an explicit --service without -n). */
function knownNamespaceOf(service: string): string {
  return KNOWN_NAMESPACES.find((ns) => knownFor(ns, service)) ?? KNOWN_NAMESPACES[0]!;
}

/** The ConfigMap to read: --configmap, else the one the pods mount (a known name first), else the distribution's. */
export function configMapFor(opts: DiscoverOptions, pods: KPod[], namespace: string, service?: string): string {
  if (opts.configMapName !== undefined) return opts.configMapName;
  const mounted = [...new Set(pods.flatMap((p) => p.configMapVolumes ?? []))].filter((n) => n !== CUSTOM_CONFIGMAP);
  const known = service ? knownFor(namespace, service)?.configMap : undefined;
  return (known && mounted.includes(known) ? known : mounted[0]) ?? known ?? DEFAULTS.workload.configmap;
}

function nodeLocalNote(cache: NodeLocalCache, serviceIPs: string[]): string {
  const where = `DaemonSet ${cache.namespace}/${cache.daemonSet}${cache.configMap ? `, ConfigMap ${cache.configMap}` : ''}`;
  const ips = cache.localIPs.length ? ` listens on ${cache.localIPs.join(', ')}` : '';
  const service = serviceIPs.length ? `the Service IP ${serviceIPs.join(', ')}` : 'the Service IP';
  return `NodeLocal DNSCache (${where})${ips} on every node: ${service}, seen from a node with the cache, is answered by the cache, not by CoreDNS — the pod IPs test CoreDNS itself`;
}

function managedWorkload(namespace: string, address: string, kubernetesServiceIP: string, notes: string[]): DnsWorkload {
  const provider = address === GKE_METADATA_DNS ? 'GKE Cloud DNS' : 'a DNS server outside the cluster';
  notes.push(`no DNS pods in the cluster: the pods' nameserver ${address} is managed DNS (${provider}) — report-only, nothing to repair`);
  const zones: Zones = { clusterDomain: DEFAULT_CLUSTER_DOMAIN, stubDomains: [], fromCorefile: false };
  return {
    namespace,
    labelSelector: DEFAULT_SELECTOR,
    service: { name: provider, namespace, clusterIPs: [address], port: 53 },
    pods: [],
    zones,
    kubernetesServiceIP,
    server: 'managed',
    notes,
  };
}

export async function discoverWorkload(client: DiscoverClient, opts: DiscoverOptions): Promise<DnsWorkload> {
  const notes: string[] = [];
  const kubernetesRead = optional<KService>(client.getService('default', 'kubernetes'), notes, 'Service default/kubernetes');
  // Awaited only after locate: until then its rejection (a slow API server fails every request at once)
  // must count as handled, or Node ends the process on it. Awaiting it later still throws.
  kubernetesRead.catch(() => undefined);
  const anchor = await locate(client, opts, notes).catch(async (err: unknown) => {
    await kubernetesRead.catch(() => undefined);
    throw err;
  });
  const { namespace } = anchor;
  const service = anchor.located?.service;
  if (anchor.managed) return managedWorkload(namespace, anchor.managed, (await kubernetesRead)?.clusterIPs[0] ?? '', notes);
  if (anchor.located && anchor.located.by !== '--service') notes.push(`DNS Service ${service!.namespace}/${service!.name}: ${anchor.located.by}`);

  const fromService = service && Object.keys(service.selector).length > 0 ? formatSelector(service.selector) : undefined;
  const labelSelector = opts.labelSelector ?? fromService ?? DEFAULT_SELECTOR;
  if (service && !opts.labelSelector && !fromService) notes.push(`Service ${service.name} has no selector: pods ${DEFAULT_SELECTOR} are probed`);
  const hasIP = service !== undefined && service.clusterIPs.length > 0;
  if (service && !hasIP) notes.push(`Service ${namespace}/${service.name} is headless (clusterIP None): the pods are probed, no Service IP`);

  const [pods, slices, kubernetes] = await Promise.all([
    client.listPods(namespace, labelSelector),
    service ? optional<KEndpointSlice[]>(client.listEndpointSlices(namespace, service.name), notes, `EndpointSlices of Service ${service.name}`) : undefined,
    kubernetesRead,
  ]);

  const owner = commonController(pods);
  const known = service ? knownFor(namespace, service.name) : undefined;
  // No pod to name its controller: the distribution's, else one named like the Service (a StatefulSet's
  // governing Service usually is); a workload scaled to 0 still has it.
  const namedLikeService = (name: string): ControllerRef[] => (['Deployment', 'StatefulSet', 'DaemonSet'] as const).map((kind) => ({ kind, name }));
  const ownerCandidates = owner ? [owner] : pods.length === 0 ? (known?.controllers ?? (service ? namedLikeService(service.name) : [])) : [];
  const configMapName = configMapFor(opts, pods, namespace, service?.name);
  const mountsCustom = pods.some((p) => p.configMapVolumes?.includes(CUSTOM_CONFIGMAP));
  const [controllers, named, mountedCustom, events, nodeLocalDs] = await Promise.all([
    Promise.all(ownerCandidates.map((c) => optional<KController | undefined>(client.getController(c.kind, namespace, c.name), notes, `${c.kind} ${c.name}`))),
    optional<KConfigMap>(client.getConfigMap(namespace, configMapName), notes, `ConfigMap ${configMapName}`),
    mountsCustom ? optional(client.getConfigMap(namespace, CUSTOM_CONFIGMAP).catch(absentIsUndefined), notes, `ConfigMap ${CUSTOM_CONFIGMAP}`) : undefined,
    needsEvents(pods) ? optional<KEvent[]>(client.listEvents(namespace), notes, `Events in namespace ${namespace}`) : undefined,
    mayHaveNodeLocal(anchor.listed, opts.nameserver)
      ? optional<KController | undefined>(client.getController('DaemonSet', NODE_LOCAL.namespace, NODE_LOCAL.daemonSet), notes, `DaemonSet ${NODE_LOCAL.daemonSet}`)
      : undefined,
  ]);
  // A --configmap that does not exist while the pods mount another (GKE's kube-dns beside the default
  // "coredns"): the mounted one is what the DNS server reads, so read it, and say so.
  const mounted = configMapFor({}, pods, namespace, service?.name);
  const configMap =
    named ?? (opts.configMapName !== undefined && pods.some((p) => p.configMapVolumes?.includes(mounted)) && mounted !== configMapName
      ? await optional<KConfigMap>(client.getConfigMap(namespace, mounted), notes, `ConfigMap ${mounted}`)
      : undefined);
  if (!named && configMap) notes.push(`read ConfigMap ${mounted} instead, which the DNS pods mount`);
  const configMapRead = configMap?.name ?? configMapName;
  // k3s and AKS mount coredns-custom beside the Corefile for its `import` lines; read it only for those.
  const custom =
    mountsCustom || !configMap || !importsFiles(configMap.data.Corefile ?? '')
      ? mountedCustom
      : await optional<KConfigMap | undefined>(client.getConfigMap(namespace, CUSTOM_CONFIGMAP).catch(absentIsUndefined), notes, `ConfigMap ${CUSTOM_CONFIGMAP}`);

  const servicePorts = service ? serviceDnsPorts(service.ports) : undefined;
  const dnsPods = pods.map((p) => toDnsPod(p, servicePorts, slices)).sort((a, b) => a.name.localeCompare(b.name));
  const containers = pods[0]?.containers ?? [];
  const kubeDns = isKubeDns(containers);
  const probedPort = dnsPods[0]?.ports?.udp ?? (servicePorts ? serviceProbePorts(servicePorts).udp : 53);
  let zones: Zones;
  if (kubeDns) {
    zones = kubeDnsZones(configMap, containers, probedPort);
    notes.push(`kube-dns (GKE), not CoreDNS: stub domains and upstreams from ConfigMap ${configMapRead}; logs are read from container kubedns`);
  } else {
    const files = [configMap, custom].flatMap((cm) => (cm ? Object.entries(cm.data).map(([key, text]) => ({ configMap: cm.name, key, text })) : []));
    zones = parseCorefile(configMap?.data.Corefile, files);
  }
  const text = kubeDns ? undefined : configMap?.data.Corefile;
  const corefile: CorefileSource | undefined = configMap && text !== undefined
    ? { configMap: configMap.name, text, ...(configMap.resourceVersion && { resourceVersion: configMap.resourceVersion }), ...(configMap.changedAt && { changedAt: configMap.changedAt }), ...(configMap.changedBy && { changedBy: configMap.changedBy }) }
    : undefined;
  if (opts.clusterDomain) zones = withClusterDomain(zones, opts.clusterDomain);
  if (zones.note) notes.push(zones.note);
  for (const pod of dnsPods) if (!pod.ip) notes.push(`pod ${pod.name} has no IP yet (${pod.phase}${pod.waitingReason ? `, ${pod.waitingReason}` : ''}): not probed`);
  const kubernetesServiceIP = kubernetes?.clusterIPs[0] ?? '';
  if (!kubernetesServiceIP) notes.push('no kubernetes Service IP: the A and PTR answer checks are skipped');

  const found = controllers.find((c): c is KController => c !== undefined);
  const controller: DnsController | undefined = found && { kind: found.kind, name: found.name, desired: found.desired, ready: found.ready, ...(found.selector && { selector: found.selector }) };
  const endpoints = slices ? endpointsOf(slices) : undefined;
  const liveController = controllers.find((c): c is KController => c !== undefined);
  // A -l that matches no pod, with no controller of the DNS pods that lost them (or one whose pods run
  // under other labels), is a wrong flag, not an outage: say so (exit 3), naming what runs there.
  if (opts.labelSelector !== undefined && pods.length === 0 && (!liveController || liveController.ready > 0)) {
    const there = liveController && liveController.ready > 0 ? `, while ${liveController.kind} ${liveController.name} there runs ${liveController.ready} Ready pod(s)` : '';
    throw new DiscoverError(
      'no-pods',
      `no pod matches -l ${opts.labelSelector} in namespace ${namespace}${there}`,
      opts.namespace ? 'check the selector against the DNS pods\' labels (kubectl -n NAMESPACE get pods --show-labels)' : 'check the selector, and pass -n NAMESPACE where the DNS pods run',
    );
  }
  const outage = detectOutage({
    namespace,
    labelSelector,
    ...(fromService && !opts.labelSelector && service && { selectorOf: { service: service.name } }),
    pods,
    ...(controller && { controller }),
    ...(service && hasIP && { service: { name: service.name, ...(endpoints && { endpoints }) } }),
    ...(events && { events }),
  });

  let nodeLocal: NodeLocalCache | undefined = nodeLocalDs ? nodeLocalOf(nodeLocalDs) : undefined;
  if (nodeLocal && nodeLocal.localIPs.length === 0 && nodeLocal.configMap) {
    const cm = await optional<KConfigMap>(client.getConfigMap(nodeLocal.namespace, nodeLocal.configMap), notes, `ConfigMap ${nodeLocal.configMap}`);
    nodeLocal = { ...nodeLocal, localIPs: bindAddresses(cm?.data.Corefile ?? '') };
  }
  const dnsService: DnsService = service && hasIP ? toDnsService(service) : { name: service?.name ?? '', namespace, clusterIPs: [], port: probedPort };
  if (nodeLocal) notes.push(nodeLocalNote(nodeLocal, dnsService.clusterIPs));

  return {
    namespace,
    labelSelector,
    service: dnsService,
    pods: dnsPods,
    zones,
    kubernetesServiceIP,
    ...(controller && { controller }),
    ...(outage && { outage }),
    ...(kubeDns && { server: 'kube-dns' as const }),
    ...(nodeLocal && { nodeLocal }),
    ...(endpoints && { endpoints }),
    ...(corefile && { corefile }),
    notes,
  };
}
