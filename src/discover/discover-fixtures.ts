// API objects (as src/kube hands them over) of each distribution's cluster DNS, and a DiscoverClient
// that answers from them the way the API server does: label selectors, 404 for a missing object,
// empty lists for an empty namespace. Discovery's unit tests run over these.
import { KubeError, type KConfigMap, type KContainer, type KController, type KControllerKind, type KEndpointSlice, type KEvent, type KPod, type KService } from '../kube/index.ts';
import type { DiscoverClient } from './discover.ts';

export interface FakeCluster {
  services: KService[];
  pods: KPod[];
  slices: KEndpointSlice[];
  configMaps: KConfigMap[];
  controllers: KController[];
  events?: KEvent[];
  /** Namespaces whose lists answer 403 (a least-privilege RBAC); CLUSTER_WIDE: lists across namespaces. */
  forbidden?: string[];
}

/** In FakeCluster.forbidden: the list of every namespace's objects. */
export const CLUSTER_WIDE = '*';

const matches = (selector: string, labels: Record<string, string>): boolean =>
  selector
    .split(',')
    .filter(Boolean)
    .every((term) => {
      const [k, v] = term.split('=');
      return labels[k!] === v;
    });

const notFound = (resource: string, name: string) =>
  new KubeError('not-found', 404, `get ${resource} ${name}: not found`, 'check the name', { request: { verb: 'get', resource, name } });
const forbidden = (resource: string, namespace: string) =>
  new KubeError('forbidden', 403, `list ${resource} in namespace ${namespace}: forbidden`, 'grant list', { request: { verb: 'list', resource, namespace } });

/** The reads of discovery over `c`; `requests` counts them as the API server would. */
export function fakeClient(c: FakeCluster): DiscoverClient & { requests: string[] } {
  const requests: string[] = [];
  const guard = (resource: string, namespace: string) => {
    if (c.forbidden?.includes(namespace)) throw forbidden(resource, namespace);
  };
  return {
    requests,
    async getService(namespace, name) {
      requests.push(`get services ${namespace}/${name}`);
      const s = c.services.find((x) => x.namespace === namespace && x.name === name);
      if (!s) throw notFound('services', name);
      return s;
    },
    async listServices(namespace, selector) {
      requests.push(`list services ${namespace}`);
      guard('services', namespace);
      return c.services.filter((s) => s.namespace === namespace && matches(selector, s.labels ?? {}));
    },
    async listAllServices() {
      requests.push('list services');
      guard('services', CLUSTER_WIDE);
      return c.services;
    },
    async listPods(namespace, selector) {
      requests.push(`list pods ${namespace} ${selector}`);
      return c.pods.filter((p) => p.namespace === namespace && matches(selector, p.labels));
    },
    async listEndpointSlices(namespace, service) {
      requests.push(`list endpointslices ${namespace}/${service}`);
      return c.slices.filter((s) => s.namespace === namespace && s.serviceName === service);
    },
    async getConfigMap(namespace, name) {
      requests.push(`get configmaps ${namespace}/${name}`);
      const cm = c.configMaps.find((x) => x.namespace === namespace && x.name === name);
      if (!cm) throw notFound('configmaps', name);
      return cm;
    },
    async getController(kind, namespace, name) {
      requests.push(`get ${kind.toLowerCase()}s ${namespace}/${name}`);
      return c.controllers.find((x) => x.kind === kind && x.namespace === namespace && x.name === name);
    },
    async listEvents(namespace) {
      requests.push(`list events ${namespace}`);
      return (c.events ?? []).filter((e) => e.namespace === namespace);
    },
  };
}

type Port = { name?: string; containerPort: number; protocol: string };
const dnsPorts = (port: number, names: [string, string] = ['dns', 'dns-tcp']): Port[] => [
  { name: names[0], containerPort: port, protocol: 'UDP' },
  { name: names[1], containerPort: port, protocol: 'TCP' },
];

export interface WorkloadShape {
  namespace: string;
  kind: KControllerKind;
  controller: string;
  labels: Record<string, string>;
  containers: KContainer[];
  configMaps: string[];
  replicas: number;
  /** Pod names; default: Deployment-style names from the controller and a hash. */
  names?: string[];
}

let ipSeq = 2;

/** Running, Ready pods of the shape, with IPs, owners as their controller sets them, and their EndpointSlice. */
export function podsOf(w: WorkloadShape, over: Partial<KPod> = {}): KPod[] {
  const hash = '5d78c9869d';
  return Array.from({ length: w.replicas }, (_, i): KPod => {
    const name = w.names?.[i] ?? (w.kind === 'Deployment' ? `${w.controller}-${hash}-${'abcdefgh'[i]}x${i}` : w.kind === 'StatefulSet' ? `${w.controller}-${i}` : `${w.controller}-n${i}`);
    return {
      name,
      namespace: w.namespace,
      uid: `uid-${name}`,
      resourceVersion: '1',
      labels: { ...w.labels, ...(w.kind === 'Deployment' ? { 'pod-template-hash': hash } : {}) },
      ownerReferences: [w.kind === 'Deployment' ? { kind: 'ReplicaSet', name: `${w.controller}-${hash}` } : { kind: w.kind, name: w.controller }],
      nodeName: `node-${i}`,
      phase: 'Running',
      podIPs: [`10.244.${i}.${ipSeq++}`],
      conditions: [{ type: 'PodScheduled', status: 'True' }, { type: 'Ready', status: 'True' }],
      containerStatuses: w.containers.map((c) => ({ name: c.name, ready: true, restartCount: 0 })),
      containers: w.containers,
      configMapVolumes: w.configMaps,
      ...over,
    };
  });
}

export function controllerOf(w: WorkloadShape, desired = w.replicas, ready = desired): KController {
  return { kind: w.kind, name: w.controller, namespace: w.namespace, desired, ready, containers: w.containers, configMapVolumes: w.configMaps };
}

/** The EndpointSlice the EndpointSlice controller writes for `service` over `pods`: ports named as the Service's, resolved per pod. */
export function sliceOf(service: KService, pods: KPod[], ports: { name?: string; port: number; protocol: string }[]): KEndpointSlice {
  return {
    name: `${service.name}-x1`,
    namespace: service.namespace,
    serviceName: service.name,
    addressType: 'IPv4',
    ports,
    endpoints: pods.map((p) => ({ addresses: p.podIPs, ready: p.conditions.some((c) => c.type === 'Ready' && c.status === 'True'), podName: p.name, nodeName: p.nodeName })),
  };
}

export const KUBERNETES: KService = { name: 'kubernetes', namespace: 'default', clusterIPs: ['10.96.0.1'], ports: [{ name: 'https', port: 443, protocol: 'TCP' }], selector: {}, labels: {} };

const KUBE_DNS = { 'k8s-app': 'kube-dns' };

const kubeDnsService = (name: string, namespace: string, selector: Record<string, string>, ip: string, port = 53, target: number | string = port, names: [string, string] = ['dns', 'dns-tcp']): KService => ({
  name,
  namespace,
  clusterIPs: [ip],
  ports: [
    { name: names[0], port, protocol: 'UDP', targetPort: target },
    { name: names[1], port, protocol: 'TCP', targetPort: typeof target === 'string' ? `${target}-tcp` : target },
  ],
  selector,
  labels: selector,
});

export const COREFILE = `.:53 {
    errors
    health
    ready
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
    }
    forward . /etc/resolv.conf
    cache 30
}
`;

const corednsContainer = (port = 53, names: [string, string] = ['dns', 'dns-tcp']): KContainer => ({ name: 'coredns', ports: [...dnsPorts(port, names), { name: 'metrics', containerPort: 9153, protocol: 'TCP' }], args: ['-conf', '/etc/coredns/Corefile'] });

export interface Distribution {
  name: string;
  cluster: FakeCluster;
  /** The Service IP the cluster's pods get as nameserver. */
  nameserver: string;
  shape: WorkloadShape;
}

/** A cluster of one DNS shape: the Service, the pods with their slice, the ConfigMap(s), the controller, default/kubernetes. */
export function distribution(name: string, shape: WorkloadShape, service: KService | undefined, configMaps: KConfigMap[], slicePorts?: { name?: string; port: number; protocol: string }[], extra: Partial<FakeCluster> = {}): Distribution {
  const pods = podsOf(shape);
  return {
    name,
    shape,
    nameserver: service?.clusterIPs[0] ?? '10.96.0.10',
    cluster: {
      services: [...(service ? [service] : []), KUBERNETES, ...(extra.services ?? [])],
      pods: [...pods, ...(extra.pods ?? [])],
      slices: service && slicePorts ? [sliceOf(service, pods, slicePorts)] : [],
      configMaps: [...configMaps, ...(extra.configMaps ?? [])],
      controllers: [controllerOf(shape), ...(extra.controllers ?? [])],
      events: extra.events ?? [],
      ...(extra.forbidden && { forbidden: extra.forbidden }),
    },
  };
}

const cm = (name: string, namespace: string, data: Record<string, string>): KConfigMap => ({ name, namespace, data });
const standardSlicePorts = (port = 53, names: [string, string] = ['dns', 'dns-tcp']) => [
  { name: names[0], port, protocol: 'UDP' },
  { name: names[1], port, protocol: 'TCP' },
];

export const KUBEADM = (): Distribution =>
  distribution(
    'kubeadm',
    { namespace: 'kube-system', kind: 'Deployment', controller: 'coredns', labels: KUBE_DNS, containers: [corednsContainer()], configMaps: ['coredns'], replicas: 2 },
    kubeDnsService('kube-dns', 'kube-system', KUBE_DNS, '10.96.0.10'),
    [cm('coredns', 'kube-system', { Corefile: COREFILE })],
    standardSlicePorts(),
  );

export const EKS = (): Distribution => {
  const labels = { ...KUBE_DNS, 'eks.amazonaws.com/component': 'coredns' };
  return distribution(
    'EKS',
    { namespace: 'kube-system', kind: 'Deployment', controller: 'coredns', labels, containers: [corednsContainer()], configMaps: ['coredns'], replicas: 2 },
    kubeDnsService('kube-dns', 'kube-system', labels, '172.20.0.10'),
    [cm('coredns', 'kube-system', { Corefile: COREFILE })],
    standardSlicePorts(),
  );
};

export const AKS = (): Distribution =>
  distribution(
    'AKS',
    { namespace: 'kube-system', kind: 'Deployment', controller: 'coredns', labels: KUBE_DNS, containers: [corednsContainer()], configMaps: ['coredns', 'coredns-custom'], replicas: 2 },
    kubeDnsService('kube-dns', 'kube-system', KUBE_DNS, '10.0.0.10'),
    [cm('coredns', 'kube-system', { Corefile: COREFILE.replace('cache 30', 'cache 30\n    import custom/*.override') + 'import custom/*.server\n' }), cm('coredns-custom', 'kube-system', { 'corp.server': 'corp.example:53 {\n    forward . 10.10.0.1\n}\n' })],
    standardSlicePorts(),
  );

export const K3S = (): Distribution =>
  distribution(
    'k3s',
    { namespace: 'kube-system', kind: 'Deployment', controller: 'coredns', labels: KUBE_DNS, containers: [corednsContainer()], configMaps: ['coredns', 'coredns-custom'], replicas: 1 },
    { ...kubeDnsService('kube-dns', 'kube-system', KUBE_DNS, '10.43.0.10'), ports: [{ name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 }, { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 }, { name: 'metrics', port: 9153, protocol: 'TCP', targetPort: 9153 }] },
    [cm('coredns', 'kube-system', { Corefile: COREFILE, NodeHosts: '10.0.0.5 server-0\n' })],
    standardSlicePorts(),
  );

export const RKE2 = (): Distribution => {
  const labels = { 'app.kubernetes.io/instance': 'rke2-coredns', 'app.kubernetes.io/name': 'rke2-coredns', ...KUBE_DNS };
  const name = 'rke2-coredns-rke2-coredns';
  return distribution(
    'RKE2',
    { namespace: 'kube-system', kind: 'Deployment', controller: name, labels, containers: [corednsContainer(53, ['udp-53', 'tcp-53'])], configMaps: [name], replicas: 2 },
    kubeDnsService(name, 'kube-system', labels, '10.43.0.10', 53, 53, ['udp-53', 'tcp-53']),
    [cm(name, 'kube-system', { Corefile: COREFILE })],
    standardSlicePorts(53, ['udp-53', 'tcp-53']),
  );
};

export const GKE = (): Distribution => {
  const containers: KContainer[] = [
    { name: 'kubedns', ports: [{ name: 'dns-local', containerPort: 10053, protocol: 'UDP' }, { name: 'dns-tcp-local', containerPort: 10053, protocol: 'TCP' }, { name: 'metrics', containerPort: 10055, protocol: 'TCP' }], args: ['--domain=cluster.local.', '--dns-port=10053', '--config-dir=/kube-dns-config'] },
    { name: 'dnsmasq', ports: dnsPorts(53), args: ['-v=2'] },
    { name: 'sidecar', ports: [{ name: 'metrics', containerPort: 10054, protocol: 'TCP' }], args: [] },
  ];
  return distribution(
    'GKE (kube-dns)',
    { namespace: 'kube-system', kind: 'Deployment', controller: 'kube-dns', labels: KUBE_DNS, containers, configMaps: ['kube-dns'], replicas: 2 },
    { ...kubeDnsService('kube-dns', 'kube-system', KUBE_DNS, '10.0.0.10'), ports: [{ name: 'dns', port: 53, protocol: 'UDP', targetPort: 'dns' }, { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 'dns-tcp' }] },
    [cm('kube-dns', 'kube-system', { stubDomains: '{"acme.local": ["1.2.3.4"]}\n', upstreamNameservers: '["8.8.8.8", "8.8.4.4"]\n' })],
    standardSlicePorts(),
  );
};

export const OPENSHIFT_LABELS = { 'dns.operator.openshift.io/daemonset-dns': 'default' };

export const OPENSHIFT = (): Distribution =>
  distribution(
    'OpenShift',
    {
      namespace: 'openshift-dns',
      kind: 'DaemonSet',
      controller: 'dns-default',
      labels: OPENSHIFT_LABELS,
      containers: [{ name: 'dns', ports: dnsPorts(5353) }, { name: 'kube-rbac-proxy', ports: [{ name: 'metrics', containerPort: 9154, protocol: 'TCP' }] }],
      configMaps: ['dns-default'],
      replicas: 3,
    },
    { ...kubeDnsService('dns-default', 'openshift-dns', OPENSHIFT_LABELS, '172.30.0.10', 53, 'dns'), ports: [{ name: 'dns', port: 53, protocol: 'UDP', targetPort: 'dns' }, { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 'dns-tcp' }, { name: 'metrics', port: 9154, protocol: 'TCP', targetPort: 'metrics' }] },
    [cm('dns-default', 'openshift-dns', { Corefile: COREFILE.replace('.:53', '.:5353') })],
    [{ name: 'dns', port: 5353, protocol: 'UDP' }, { name: 'dns-tcp', port: 5353, protocol: 'TCP' }, { name: 'metrics', port: 9154, protocol: 'TCP' }],
  );

/** The l7mp seed: a StatefulSet behind a headless Service on UDP 100, beside the cluster's own kube-dns. */
export const L7MP = (): Distribution => {
  const base = KUBEADM();
  const shape: WorkloadShape = { namespace: 'default', kind: 'StatefulSet', controller: 'dns', labels: { app: 'dns' }, containers: [{ name: 'coredns', ports: [{ containerPort: 100, protocol: 'UDP' }], args: ['-conf', '/root/Corefile'] }], configMaps: ['dns-config'], replicas: 2 };
  const pods = podsOf(shape);
  const service: KService = { name: 'dns', namespace: 'default', clusterIPs: [], headless: true, ports: [{ port: 100, protocol: 'UDP', targetPort: 100 }], selector: { app: 'dns' }, labels: { app: 'dns' } };
  base.cluster.services.push(service);
  base.cluster.pods.push(...pods);
  base.cluster.slices.push(sliceOf(service, pods, [{ port: 100, protocol: 'UDP' }]));
  base.cluster.configMaps.push(cm('dns-config', 'default', { Corefile: '.:100 {\n    forward . 8.8.8.8 9.9.9.9\n}\nexample.com:100 {\n    file /root/example.db\n}\n', 'example.db': 'example.com. IN SOA dns.example.com. r.example.com. 1 7200 3600 1209600 3600\nhost.example.com. IN A 192.168.1.3\n' }));
  base.cluster.controllers.push(controllerOf(shape));
  return { name: 'l7mp', cluster: base.cluster, nameserver: base.nameserver, shape };
};

/** kubeadm with NodeLocal DNSCache (kubernetes/dns nodelocaldns.yaml): DaemonSet node-local-dns, Service kube-dns-upstream. */
export const NODELOCAL = (): Distribution => {
  const d = KUBEADM();
  const upstream: KService = { ...kubeDnsService('kube-dns-upstream', 'kube-system', KUBE_DNS, '10.96.0.11'), labels: { 'k8s-app': 'kube-dns-upstream' } };
  const cache: WorkloadShape = { namespace: 'kube-system', kind: 'DaemonSet', controller: 'node-local-dns', labels: { 'k8s-app': 'node-local-dns' }, containers: [{ name: 'node-cache', ports: dnsPorts(53), args: ['-localip', '169.254.20.10,10.96.0.10', '-conf', '/etc/Corefile', '-upstreamsvc', 'kube-dns-upstream'] }], configMaps: ['node-local-dns'], replicas: 2 };
  d.cluster.services.push(upstream);
  d.cluster.pods.push(...podsOf(cache));
  d.cluster.controllers.push(controllerOf(cache));
  d.cluster.configMaps.push(cm('node-local-dns', 'kube-system', { Corefile: 'cluster.local:53 {\n    bind 169.254.20.10 10.96.0.10\n    forward . __PILLAR__CLUSTER__DNS__ { force_tcp }\n}\n' }));
  return { ...d, name: 'NodeLocal DNSCache' };
};

export const DISTRIBUTIONS = [KUBEADM, EKS, AKS, K3S, RKE2, GKE, OPENSHIFT];
