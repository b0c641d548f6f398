// Finds the DNS workload: Service IPs and port, every pod with its IPs and state, the EndpointSlices the
// Service routes to, the zones from the Corefile and the kubernetes Service IP: five reads in parallel, then coredns-custom
// when the Corefile imports files.
import { KubeError, type KConfigMap, type KEndpointSlice, type KPod, type KService, type KubeClient } from '../kube/index.ts';
import { importsFiles, parseCorefile, withClusterDomain } from './corefile.ts';
import type { DnsPod, DnsService, DnsWorkload, ServiceEndpoint } from './types.ts';
import { DEFAULTS } from '../common/defaults.ts';

export interface DiscoverOptions {
  namespace: string;
  labelSelector: string;
  serviceName: string;
  configMapName: string;
  /** --cluster-domain: wins over the Corefile's. */
  clusterDomain?: string;
}

const { namespace, selector, service, configmap } = DEFAULTS.workload;
export const DISCOVER_DEFAULTS: DiscoverOptions = { namespace, labelSelector: selector, serviceName: service, configMapName: configmap };

/** The ConfigMap k3s and AKS mount for user additions (`*.server`, `*.override` keys). */
export const CUSTOM_CONFIGMAP = 'coredns-custom';

/** The DNS workload could not be found where we were told to look. */
export class DiscoverError extends Error {
  constructor(
    readonly kind: 'no-service' | 'no-pods' | 'no-cluster-ip',
    message: string,
    readonly hint: string,
  ) {
    super(message);
    this.name = 'DiscoverError';
  }

  get line(): string {
    return `${this.message} (${this.hint})`;
  }
}

const PHASES = new Set(['Pending', 'Running', 'Succeeded', 'Failed']);

/** The owning Deployment: the ReplicaSet owner's name minus the pod-template-hash suffix. */
export function deploymentOf(pod: KPod): string | undefined {
  const rs = pod.ownerReferences.find((o) => o.kind === 'ReplicaSet');
  const hash = pod.labels['pod-template-hash'];
  if (!rs || !hash || !rs.name.endsWith(`-${hash}`)) return undefined;
  return rs.name.slice(0, -(hash.length + 1));
}

export function toDnsPod(pod: KPod): DnsPod {
  const waiting = pod.containerStatuses.find((c) => c.waitingReason);
  const lastTermination = pod.containerStatuses.find((c) => c.lastTerminationReason)?.lastTerminationReason;
  const deployment = deploymentOf(pod);
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
    ...(pod.startTime ? { startTime: pod.startTime } : {}),
    uid: pod.uid,
  };
}

/** The DNS port: the UDP port named "dns", else any UDP port, else the first port, else 53. */
export function dnsPortOf(service: KService): number {
  const udp = service.ports.filter((p) => p.protocol.toUpperCase() === 'UDP');
  return (udp.find((p) => p.name === 'dns') ?? udp[0] ?? service.ports.find((p) => p.name?.startsWith('dns')) ?? service.ports[0])?.port ?? 53;
}

/** IPv4 first, as the plan probes the primary family first. */
const ipv4First = (ips: string[]) => [...ips.filter((ip) => !ip.includes(':')), ...ips.filter((ip) => ip.includes(':'))];

export function toDnsService(service: KService): DnsService {
  return { name: service.name, namespace: service.namespace, clusterIPs: ipv4First(service.clusterIPs), port: dnsPortOf(service) };
}

export function endpointsOf(slices: KEndpointSlice[]): ServiceEndpoint[] {
  return slices.flatMap((s) =>
    s.endpoints.flatMap((e) => e.addresses.map((address) => ({ address, ready: e.ready, ...(e.podName ? { pod: e.podName } : {}) }))),
  );
}

const absentIsUndefined = (err: unknown): undefined => {
  if (err instanceof KubeError && err.kind === 'not-found') return undefined;
  throw err;
};

/** Runs a read whose failure only costs a note in the report. */
async function optional<T>(read: Promise<T>, notes: string[], what: string): Promise<T | undefined> {
  try {
    return await read;
  } catch (err) {
    if (!(err instanceof KubeError) || err.kind === 'unreachable' || err.kind === 'unauthorized') throw err;
    notes.push(`${what}: ${err.kind === 'not-found' ? 'not found' : err.message}`);
    return undefined;
  }
}

export async function discoverWorkload(client: KubeClient, opts: DiscoverOptions): Promise<DnsWorkload> {
  const notes: string[] = [];
  const { namespace } = opts;
  const [service, pods, slices, configMap, kubernetes] = await Promise.all([
    client.getService(namespace, opts.serviceName).catch((err: unknown) => {
      if (err instanceof KubeError && err.kind === 'not-found')
        throw new DiscoverError('no-service', `Service ${opts.serviceName} not found in namespace ${namespace}`, 'pass --service NAME and -n NAMESPACE of the DNS Service');
      throw err;
    }),
    client.listPods(namespace, opts.labelSelector),
    optional<KEndpointSlice[]>(client.listEndpointSlices(namespace, opts.serviceName), notes, `EndpointSlices of Service ${opts.serviceName}`),
    optional<KConfigMap>(client.getConfigMap(namespace, opts.configMapName), notes, `ConfigMap ${opts.configMapName}`),
    optional<KService>(client.getService('default', 'kubernetes'), notes, 'Service default/kubernetes'),
  ]);
  // k3s and AKS mount coredns-custom beside the Corefile for its `import` lines; read it only for those.
  const custom =
    configMap && importsFiles(configMap.data.Corefile ?? '')
      ? await optional<KConfigMap | undefined>(client.getConfigMap(namespace, CUSTOM_CONFIGMAP).catch(absentIsUndefined), notes, `ConfigMap ${CUSTOM_CONFIGMAP}`)
      : undefined;
  if (service.clusterIPs.length === 0)
    throw new DiscoverError('no-cluster-ip', `Service ${namespace}/${service.name} has no ClusterIP (headless)`, 'pass --service with the DNS Service that has a ClusterIP');
  if (pods.length === 0)
    throw new DiscoverError('no-pods', `no DNS pods match ${opts.labelSelector} in namespace ${namespace}`, 'pass -l SELECTOR and -n NAMESPACE of the CoreDNS pods');
  const files = [configMap, custom].flatMap((cm) => (cm ? Object.entries(cm.data).map(([key, text]) => ({ configMap: cm.name, key, text })) : []));
  const read = parseCorefile(configMap?.data.Corefile, files);
  const zones = opts.clusterDomain ? withClusterDomain(read, opts.clusterDomain) : read;
  if (zones.note) notes.push(zones.note);
  const dnsPods = pods.map(toDnsPod).sort((a, b) => a.name.localeCompare(b.name));
  for (const pod of dnsPods) if (!pod.ip) notes.push(`pod ${pod.name} has no IP yet (${pod.phase}${pod.waitingReason ? `, ${pod.waitingReason}` : ''}): not probed`);
  const kubernetesServiceIP = kubernetes?.clusterIPs[0] ?? '';
  if (!kubernetesServiceIP) notes.push('no kubernetes Service IP: the A and PTR answer checks are skipped');
  return {
    namespace,
    labelSelector: opts.labelSelector,
    service: toDnsService(service),
    pods: dnsPods,
    zones,
    kubernetesServiceIP,
    ...(slices ? { endpoints: endpointsOf(slices) } : {}),
    notes,
  };
}
