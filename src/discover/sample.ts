// The conformance sample's reads (--sample-services): every Service and EndpointSlice, cluster-wide and
// read-only (manifests/rbac-sample.yaml), as plain data for src/plan/sample.ts.
import type { KEndpointSlice, KService, SampleKubeClient } from '../kube/index.ts';

export interface SampleService {
  namespace: string;
  name: string;
  /** spec.type: ClusterIP, NodePort, LoadBalancer, ExternalName. */
  type: string;
  /** Empty for headless Services and ExternalName. */
  clusterIPs: string[];
  headless: boolean;
  externalName?: string;
  ports: { name?: string; port: number; protocol: string }[];
  /** RFC 3339; Services younger than SAMPLE_MIN_AGE_MS are left out (CoreDNS may not have seen them yet). */
  createdAt?: string;
}

export interface SampleSlice {
  namespace: string;
  /** The kubernetes.io/service-name label. */
  service: string;
  addressType: string;
  endpoints: { addresses: string[]; ready: boolean }[];
}

export interface SampleObjects {
  services: SampleService[];
  slices: SampleSlice[];
  /** When the objects were read (ms since the epoch), to judge their age. */
  readAt: number;
}

/** Two list requests; a failure (e.g. 403) is the caller's to report. */
export async function discoverSample(client: SampleKubeClient, now: number = Date.now()): Promise<SampleObjects> {
  const [services, slices] = await Promise.all([client.listAllServices(), client.listAllEndpointSlices()]);
  return { services: services.map(toSampleService), slices: slices.flatMap(toSampleSlice), readAt: now };
}

export function toSampleService(s: KService): SampleService {
  return {
    namespace: s.namespace,
    name: s.name,
    type: s.type ?? 'ClusterIP',
    clusterIPs: s.clusterIPs,
    headless: s.headless === true,
    ...(s.externalName && { externalName: s.externalName }),
    ports: s.ports.map((p) => ({ ...(p.name && { name: p.name }), port: p.port, protocol: p.protocol })),
    ...(s.creationTimestamp && { createdAt: s.creationTimestamp }),
  };
}

/** Slices without a namespace or service-name label belong to no Service we could name: left out. */
export function toSampleSlice(s: KEndpointSlice): SampleSlice[] {
  if (!s.namespace || !s.serviceName) return [];
  return [{ namespace: s.namespace, service: s.serviceName, addressType: s.addressType, endpoints: s.endpoints.map((e) => ({ addresses: e.addresses, ready: e.ready })) }];
}
