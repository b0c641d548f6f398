// The objects a fresh kubeadm cluster has: namespaces, Ready nodes, the kubernetes Service and its
// EndpointSlice, and the CoreDNS Deployment, Service and ConfigMap (configurable through SimOptions.dns).
import type { KObject } from './store.ts';
import type { SimOptions } from './types.ts';
import type { AddressPlan } from './network.ts';

export interface DnsConfig {
  namespace: string;
  replicas: number;
  port: number;
  serviceName: string;
  deploymentName: string;
  configMapName: string;
  clusterDomain: string;
  corefile: string;
}

export const COREDNS_IMAGE = 'registry.k8s.io/coredns/coredns:v1.11.3';
export const DNS_LABELS = { 'k8s-app': 'kube-dns' };
export const API_SERVER_PORT = 6443;

/** kubeadm's Corefile, for the given port and cluster domain. */
export function kubeadmCorefile(port: number, domain: string): string {
  return `.:${port} {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes ${domain} in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    forward . /etc/resolv.conf {
       max_concurrent 1000
    }
    cache 30
    loop
    reload
    loadbalance
}
`;
}

export function resolveDnsConfig(dns: SimOptions['dns'] = {}): DnsConfig {
  const port = dns.port ?? (process.getuid?.() === 0 ? 53 : 1053);
  const clusterDomain = dns.clusterDomain ?? 'cluster.local';
  return {
    namespace: dns.namespace ?? 'kube-system',
    replicas: dns.replicas ?? 2,
    port,
    serviceName: dns.serviceName ?? 'kube-dns',
    deploymentName: dns.deploymentName ?? 'coredns',
    configMapName: dns.configMapName ?? 'coredns',
    clusterDomain,
    corefile: dns.corefile ?? kubeadmCorefile(port, clusterDomain),
  };
}

export const nodeName = (i: number) => `sim-node-${i + 1}`;

/**
 * A node's name and kubernetes.io/hostname label. EKS (eksctl, the Amazon Linux AMIs) names a node by
 * its private DNS name, ip-10-0-1-5.ec2.internal, and labels it with the short hostname ip-10-0-1-5
 * (github.com/awslabs/amazon-eks-ami: --hostname-override is the private DNS name): a hostname
 * nodeSelector with the node's name matches nothing.
 */
export function nodeIdentity(i: number, ip: string, awsNames: boolean): { name: string; hostname: string } {
  if (!awsNames) return { name: nodeName(i), hostname: nodeName(i) };
  const short = `ip-${ip.replaceAll('.', '-')}`;
  return { name: `${short}.ec2.internal`, hostname: short };
}

/** Worker node i (0-based) of the sim: Ready, Linux, its InternalIP from the address plan. */
export function workerNode(i: number, plan: AddressPlan, awsNames: boolean): KObject {
  const { name, hostname } = nodeIdentity(i, plan.node(i), awsNames);
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: { 'kubernetes.io/hostname': hostname, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', 'beta.kubernetes.io/os': 'linux', 'beta.kubernetes.io/arch': 'amd64' },
    },
    spec: { podCIDR: `${plan.subnet}.2.0/24` },
    status: {
      conditions: [
        { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: new Date().toISOString(), lastTransitionTime: new Date().toISOString() },
      ],
      addresses: [
        { type: 'InternalIP', address: plan.node(i) },
        { type: 'Hostname', address: hostname },
      ],
      // Room for the largest sims (250 DNS pods of 100m on 3 nodes); a test fills it with pods that request it.
      capacity: { cpu: '16', memory: '65842556Ki', pods: '110' },
      allocatable: { cpu: '16', memory: '65740156Ki', pods: '110' },
      nodeInfo: { kubeletVersion: 'v1.32.0', containerRuntimeVersion: 'containerd://1.7.24', operatingSystem: 'linux', architecture: 'amd64', osImage: 'coredns-sentinel sim', kernelVersion: 'sim', kubeProxyVersion: 'v1.32.0', machineID: '', systemUUID: '', bootID: '' },
    },
  };
}

/** kubeadm init's node: role label and NoSchedule taint (kubernetes.io/docs/reference/labels-annotations-taints/#node-role-kubernetes-io-control-plane-taint). */
function controlPlaneNode(n: KObject): KObject {
  n.metadata.labels = { ...n.metadata.labels, 'node-role.kubernetes.io/control-plane': '', 'node.kubernetes.io/exclude-from-external-load-balancers': '' };
  n.spec = { ...(n.spec as object), taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] };
  return n;
}

const namespace = (name: string): KObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name } }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } });

function coreDnsDeployment(dns: DnsConfig): KObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: dns.deploymentName, namespace: dns.namespace, labels: { ...DNS_LABELS } },
    spec: {
      replicas: dns.replicas,
      selector: { matchLabels: { ...DNS_LABELS } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: '25%' } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
      template: {
        metadata: { labels: { ...DNS_LABELS } },
        spec: {
          priorityClassName: 'system-cluster-critical',
          serviceAccountName: 'coredns',
          dnsPolicy: 'Default',
          nodeSelector: { 'kubernetes.io/os': 'linux' },
          tolerations: [{ key: 'CriticalAddonsOnly', operator: 'Exists' }, { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }],
          restartPolicy: 'Always',
          terminationGracePeriodSeconds: 30,
          containers: [
            {
              name: 'coredns',
              image: COREDNS_IMAGE,
              imagePullPolicy: 'IfNotPresent',
              args: ['-conf', '/etc/coredns/Corefile'],
              resources: { limits: { memory: '170Mi' }, requests: { cpu: '100m', memory: '70Mi' } },
              volumeMounts: [{ name: 'config-volume', mountPath: '/etc/coredns', readOnly: true }],
              ports: [
                { containerPort: dns.port, name: 'dns', protocol: 'UDP' },
                { containerPort: dns.port, name: 'dns-tcp', protocol: 'TCP' },
                { containerPort: 9153, name: 'metrics', protocol: 'TCP' },
              ],
              livenessProbe: { httpGet: { path: '/health', port: 8080, scheme: 'HTTP' }, initialDelaySeconds: 60, timeoutSeconds: 5, successThreshold: 1, failureThreshold: 5, periodSeconds: 10 },
              readinessProbe: { httpGet: { path: '/ready', port: 8181, scheme: 'HTTP' }, periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 },
              securityContext: { allowPrivilegeEscalation: false, capabilities: { add: ['NET_BIND_SERVICE'], drop: ['ALL'] }, readOnlyRootFilesystem: true },
            },
          ],
          volumes: [{ name: 'config-volume', configMap: { name: dns.configMapName, items: [{ key: 'Corefile', path: 'Corefile' }] } }],
        },
      },
    },
  };
}

/** The objects every cluster has (namespaces, nodes, the kubernetes Service), in creation order, as [resource key, object]. */
export function baseObjects(plan: AddressPlan, nodes: number, extraNamespace: string, controlPlane = false, awsNames = false): [string, KObject][] {
  const namespaces = [...new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease', extraNamespace])];
  return [
    ...namespaces.map((n): [string, KObject] => ['namespaces', namespace(n)]),
    ...Array.from({ length: nodes }, (_, i): [string, KObject] => ['nodes', controlPlane && i === 0 ? controlPlaneNode(workerNode(i, plan, awsNames)) : workerNode(i, plan, awsNames)]),
    [
      'services',
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } },
        spec: { type: 'ClusterIP', clusterIP: plan.kubernetesService, clusterIPs: [plan.kubernetesService], ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: API_SERVER_PORT }], sessionAffinity: 'None' },
      },
    ],
    [
      'endpointslices.discovery.k8s.io',
      {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { name: 'kubernetes', namespace: 'default', labels: { 'kubernetes.io/service-name': 'kubernetes', 'endpointslice.kubernetes.io/managed-by': 'endpointslicemirroring-controller.k8s.io' } },
        addressType: 'IPv4',
        endpoints: [{ addresses: [plan.apiServer], conditions: { ready: true, serving: true, terminating: false } }],
        ports: [{ name: 'https', port: API_SERVER_PORT, protocol: 'TCP' }],
      },
    ],
  ];
}

/** kubeadm's CoreDNS: ConfigMap, Service kube-dns and Deployment coredns (configurable through SimOptions.dns). */
export function kubeadmDnsObjects(plan: AddressPlan, dns: DnsConfig, ipv6Service?: string): [string, KObject][] {
  const families = ipv6Service
    ? { clusterIPs: [plan.dnsService, ipv6Service], ipFamilies: ['IPv4', 'IPv6'], ipFamilyPolicy: 'PreferDualStack' }
    : { clusterIPs: [plan.dnsService], ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack' };
  return [
    [
      'configmaps',
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: dns.configMapName, namespace: dns.namespace }, data: { Corefile: dns.corefile } },
    ],
    [
      'services',
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: {
          name: dns.serviceName,
          namespace: dns.namespace,
          labels: { ...DNS_LABELS, 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'CoreDNS' },
          annotations: { 'prometheus.io/port': '9153', 'prometheus.io/scrape': 'true' },
        },
        spec: {
          type: 'ClusterIP',
          selector: { ...DNS_LABELS },
          clusterIP: plan.dnsService,
          ...families,
          ports: [
            { name: 'dns', port: dns.port, protocol: 'UDP', targetPort: dns.port },
            { name: 'dns-tcp', port: dns.port, protocol: 'TCP', targetPort: dns.port },
            { name: 'metrics', port: 9153, protocol: 'TCP', targetPort: 9153 },
          ],
          sessionAffinity: 'None',
        },
      },
    ],
    ['deployments.apps', coreDnsDeployment(dns)],
  ];
}
