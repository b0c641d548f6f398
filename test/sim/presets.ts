// The cluster-DNS shapes of real distributions, as the sim plays them: each preset's namespace, names,
// labels, ports, ConfigMaps and Corefile follow the distribution's own manifests (coredns/deployment
// coredns.yaml.sed for kubeadm; EKS's and AKS's add-on objects; k3s manifests/coredns.yaml; the
// rke2-coredns chart; GKE's kube-dns; openshift/cluster-dns-operator; the l7mp seed scenario).
import type { KObject } from './store.ts';

export const PRESETS = ['kubeadm', 'eks', 'aks', 'gke', 'k3s', 'rke2', 'openshift', 'l7mp', 'dual-stack', 'nodelocal', 'enterprise'] as const;
export type PresetName = (typeof PRESETS)[number];

export const isPreset = (s: string): s is PresetName => (PRESETS as readonly string[]).includes(s);

/** The DNS workload a preset adds: what dnsPods(), waitReady() and the faults act on. */
export interface DnsShape {
  namespace: string;
  /** The labels of the DNS server pods (the Service's selector). */
  selector: Record<string, string>;
  workload: { kind: 'Deployment' | 'DaemonSet' | 'StatefulSet'; name: string };
  service: { name: string; port: number; headless: boolean };
  /** The port the pods' DNS server listens on (the Service's targetPort, resolved). */
  podPort: number;
  configMap: string;
  /** Objects in creation order, as [resource key, object]; the kubeadm base objects come first. */
  objects: [string, KObject][];
}

export interface PresetContext {
  /** 53 when root, 1053 otherwise (ports below 1024 need root). */
  lowPort(port: number): number;
  domain: string;
  replicas?: number;
  dnsServiceIp: string;
  nodes: { name: string; ip: string }[];
}

type Port = { name?: string; containerPort: number; protocol: string };
const dnsPorts = (port: number, names = ['dns', 'dns-tcp']): Port[] => [
  { name: names[0], containerPort: port, protocol: 'UDP' },
  { name: names[1], containerPort: port, protocol: 'TCP' },
  { name: 'metrics', containerPort: 9153, protocol: 'TCP' },
];
const health = { httpGet: { path: '/health', port: 8080, scheme: 'HTTP' }, initialDelaySeconds: 60, timeoutSeconds: 5, successThreshold: 1, failureThreshold: 5, periodSeconds: 10 };
const ready = { httpGet: { path: '/ready', port: 8181, scheme: 'HTTP' }, periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 };
const securityContext = { allowPrivilegeEscalation: false, capabilities: { add: ['NET_BIND_SERVICE'], drop: ['ALL'] }, readOnlyRootFilesystem: true };

function coredns(image: string, port: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'coredns',
    image,
    imagePullPolicy: 'IfNotPresent',
    args: ['-conf', '/etc/coredns/Corefile'],
    resources: { limits: { memory: '170Mi' }, requests: { cpu: '100m', memory: '70Mi' } },
    volumeMounts: [{ name: 'config-volume', mountPath: '/etc/coredns', readOnly: true }],
    ports: dnsPorts(port),
    livenessProbe: health,
    readinessProbe: ready,
    securityContext,
    ...extra,
  };
}

const meta = (name: string, namespace: string, labels: Record<string, string>, annotations?: Record<string, string>) => ({ name, namespace, labels, ...(annotations ? { annotations } : {}) });

function deployment(name: string, namespace: string, labels: Record<string, string>, selector: Record<string, string>, replicas: number, podSpec: Record<string, unknown>, podLabels = selector): KObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(name, namespace, labels),
    spec: {
      replicas,
      selector: { matchLabels: selector },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: '25%' } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
      template: { metadata: { labels: podLabels }, spec: podSpec },
    },
  };
}

function service(name: string, namespace: string, labels: Record<string, string>, selector: Record<string, string>, clusterIP: string, ports: Record<string, unknown>[], annotations?: Record<string, string>): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(name, namespace, labels, annotations),
    spec: { type: 'ClusterIP', selector, clusterIP, clusterIPs: [clusterIP], ports, sessionAffinity: 'None', ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack' },
  };
}

const configMap = (name: string, namespace: string, data: Record<string, string>, labels?: Record<string, string>): KObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, ...(labels ? { labels } : {}) }, data });

const kubeDnsServicePorts = (port: number, names = ['dns', 'dns-tcp'], targets: (number | string)[] = [port, port]) => [
  { name: names[0], port, protocol: 'UDP', targetPort: targets[0] },
  { name: names[1], port, protocol: 'TCP', targetPort: targets[1] },
  { name: 'metrics', port: 9153, protocol: 'TCP', targetPort: 9153 },
];

const tolerations = [{ key: 'CriticalAddonsOnly', operator: 'Exists' }, { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }];
const podBase = (serviceAccountName: string) => ({ priorityClassName: 'system-cluster-critical', serviceAccountName, dnsPolicy: 'Default', nodeSelector: { 'kubernetes.io/os': 'linux' }, tolerations, restartPolicy: 'Always', terminationGracePeriodSeconds: 30 });
const configVolume = (cm: string, keys: string[]) => ({ name: 'config-volume', configMap: { name: cm, items: keys.map((k) => ({ key: k, path: k })) } });

/** The Corefile shared by kubeadm, EKS, AKS and RKE2 (differences per distribution passed in). */
function standardCorefile(port: number, domain: string, o: { ttl?: boolean; lameduck?: boolean; prometheus?: string; extra?: string; after?: string } = {}): string {
  return `.:${port} {
    errors
    health${o.lameduck === false ? '' : ` {
       lameduck 5s
    }`}
    ready
    kubernetes ${domain} in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa${o.ttl === false ? '' : '\n       ttl 30'}
    }
    prometheus ${o.prometheus ?? ':9153'}
    forward . /etc/resolv.conf {
       max_concurrent 1000
    }
    cache 30
    loop
    reload
    loadbalance${o.extra ? `\n    ${o.extra}` : ''}
}
${o.after ? `${o.after}\n` : ''}`;
}

const KUBE_DNS = { 'k8s-app': 'kube-dns' };
const CLUSTER_SERVICE_LABELS = { ...KUBE_DNS, 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'CoreDNS' };
const PROM = { 'prometheus.io/port': '9153', 'prometheus.io/scrape': 'true' };

function eks(c: PresetContext): DnsShape {
  const port = c.lowPort(53);
  const selector = { ...KUBE_DNS, 'eks.amazonaws.com/component': 'coredns' };
  const ns = 'kube-system';
  return {
    namespace: ns,
    selector,
    workload: { kind: 'Deployment', name: 'coredns' },
    service: { name: 'kube-dns', port, headless: false },
    podPort: port,
    configMap: 'coredns',
    objects: [
      ['configmaps', configMap('coredns', ns, { Corefile: standardCorefile(port, c.domain, { ttl: false }) }, { 'eks.amazonaws.com/component': 'coredns', 'k8s-app': 'kube-dns' })],
      ['services', service('kube-dns', ns, { ...CLUSTER_SERVICE_LABELS, 'eks.amazonaws.com/component': 'kube-dns' }, KUBE_DNS, c.dnsServiceIp, kubeDnsServicePorts(port), PROM)],
      [
        'deployments.apps',
        deployment('coredns', ns, { ...selector, 'kubernetes.io/name': 'CoreDNS' }, selector, c.replicas ?? 2, {
          ...podBase('coredns'),
          containers: [coredns('602401143452.dkr.ecr.us-west-2.amazonaws.com/eks/coredns:v1.11.4-eksbuild.2', port)],
          volumes: [configVolume('coredns', ['Corefile'])],
        }),
      ],
      ['poddisruptionbudgets.policy', { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'coredns', namespace: ns, labels: selector }, spec: { maxUnavailable: 1, selector: { matchLabels: selector } } }],
    ],
  };
}

function aks(c: PresetContext): DnsShape {
  const port = c.lowPort(53);
  const ns = 'kube-system';
  const labels = { ...KUBE_DNS, 'kubernetes.io/cluster-service': 'true', version: 'v20' };
  // AKS reads coredns-custom's *.override into the root block and *.server as blocks of their own (Microsoft Learn, "Customize CoreDNS").
  const corefile = standardCorefile(port, c.domain, { extra: 'import custom/*.override', after: 'import custom/*.server' });
  return {
    namespace: ns,
    selector: KUBE_DNS,
    workload: { kind: 'Deployment', name: 'coredns' },
    service: { name: 'kube-dns', port, headless: false },
    podPort: port,
    configMap: 'coredns',
    objects: [
      ['configmaps', configMap('coredns', ns, { Corefile: corefile }, { 'addonmanager.kubernetes.io/mode': 'Reconcile', 'k8s-app': 'kube-dns', 'kubernetes.io/cluster-service': 'true' })],
      [
        'configmaps',
        configMap('coredns-custom', ns, { 'puglife.server': `puglife.local:${port} {\n    errors\n    cache 30\n    forward . 192.11.0.1\n}\n`, 'log.override': 'log\n' }, { 'addonmanager.kubernetes.io/mode': 'EnsureExists', 'k8s-app': 'kube-dns', 'kubernetes.io/cluster-service': 'true' }),
      ],
      ['services', service('kube-dns', ns, { ...CLUSTER_SERVICE_LABELS, 'addonmanager.kubernetes.io/mode': 'Reconcile' }, KUBE_DNS, c.dnsServiceIp, kubeDnsServicePorts(port), PROM)],
      [
        'deployments.apps',
        deployment('coredns', ns, labels, KUBE_DNS, c.replicas ?? 2, {
          ...podBase('coredns'),
          containers: [
            coredns('mcr.microsoft.com/oss/v2/kubernetes/coredns:v1.11.3-8', port, {
              volumeMounts: [
                { name: 'config-volume', mountPath: '/etc/coredns', readOnly: true },
                { name: 'custom-config-volume', mountPath: '/etc/coredns/custom', readOnly: true },
              ],
            }),
          ],
          volumes: [configVolume('coredns', ['Corefile']), { name: 'custom-config-volume', configMap: { name: 'coredns-custom', optional: true } }],
        }, labels),
      ],
    ],
  };
}

function k3s(c: PresetContext): DnsShape {
  const port = c.lowPort(53);
  const ns = 'kube-system';
  const corefile = `.:${port} {
    errors
    health
    ready
    kubernetes ${c.domain} in-addr.arpa ip6.arpa {
      pods insecure
      fallthrough in-addr.arpa ip6.arpa
    }
    hosts /etc/coredns/NodeHosts {
      ttl 60
      reload 15s
      fallthrough
    }
    prometheus :9153
    forward . /etc/resolv.conf
    cache 30
    loop
    reload
    loadbalance
    import /etc/coredns/custom/*.override
}
import /etc/coredns/custom/*.server
`;
  const nodeHosts = c.nodes.map((n) => `${n.ip} ${n.name}\n`).join('');
  return {
    namespace: ns,
    selector: KUBE_DNS,
    workload: { kind: 'Deployment', name: 'coredns' },
    service: { name: 'kube-dns', port, headless: false },
    podPort: port,
    configMap: 'coredns',
    objects: [
      ['configmaps', configMap('coredns', ns, { Corefile: corefile, NodeHosts: nodeHosts }, { 'objectset.rio.cattle.io/hash': 'bce283298811743a0386ab510f2f67ef74240c57' })],
      ['configmaps', configMap('coredns-custom', ns, { 'homelab.server': `homelab.local:${port} {\n    errors\n    forward . 10.150.0.1\n}\n` })],
      ['services', service('kube-dns', ns, CLUSTER_SERVICE_LABELS, KUBE_DNS, c.dnsServiceIp, kubeDnsServicePorts(port), PROM)],
      [
        'deployments.apps',
        deployment('coredns', ns, { ...KUBE_DNS, 'kubernetes.io/name': 'CoreDNS' }, KUBE_DNS, c.replicas ?? 1, {
          ...podBase('coredns'),
          containers: [
            coredns('rancher/mirrored-coredns-coredns:1.12.1', port, {
              livenessProbe: { ...health, timeoutSeconds: 1, failureThreshold: 3 },
              readinessProbe: { ...ready, periodSeconds: 2 },
              volumeMounts: [
                { name: 'config-volume', mountPath: '/etc/coredns', readOnly: true },
                { name: 'custom-config-volume', mountPath: '/etc/coredns/custom', readOnly: true },
              ],
            }),
          ],
          volumes: [configVolume('coredns', ['Corefile', 'NodeHosts']), { name: 'custom-config-volume', configMap: { name: 'coredns-custom', optional: true } }],
        }),
      ],
    ],
  };
}

function rke2(c: PresetContext): DnsShape {
  const port = c.lowPort(53);
  const ns = 'kube-system';
  const name = 'rke2-coredns-rke2-coredns'; // the chart's fullname: release rke2-coredns, chart rke2-coredns
  const selector = { 'app.kubernetes.io/instance': 'rke2-coredns', 'app.kubernetes.io/name': 'rke2-coredns', ...KUBE_DNS };
  const labels = { ...selector, 'app.kubernetes.io/managed-by': 'Helm', 'helm.sh/chart': 'rke2-coredns-1.39.201', 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'CoreDNS' };
  return {
    namespace: ns,
    selector,
    workload: { kind: 'Deployment', name },
    service: { name, port, headless: false },
    podPort: port,
    configMap: name,
    objects: [
      ['configmaps', configMap(name, ns, { Corefile: standardCorefile(port, c.domain, { prometheus: '0.0.0.0:9153' }) }, labels)],
      [
        'services',
        service(name, ns, labels, selector, c.dnsServiceIp, [
          { name: `udp-${port}`, port, protocol: 'UDP', targetPort: port },
          { name: `tcp-${port}`, port, protocol: 'TCP', targetPort: port },
        ]),
      ],
      [
        'deployments.apps',
        deployment(name, ns, labels, selector, c.replicas ?? 2, {
          ...podBase('coredns'),
          containers: [{ ...coredns('rancher/hardened-coredns:v1.12.1-build20250401', port), ports: dnsPorts(port, [`udp-${port}`, `tcp-${port}`]).slice(0, 2) }],
          volumes: [configVolume(name, ['Corefile'])],
        }, selector),
      ],
    ],
  };
}

function gke(c: PresetContext): DnsShape {
  const port = c.lowPort(53);
  const ns = 'kube-system';
  const probe = (path: string, p: number) => ({ httpGet: { path, port: p, scheme: 'HTTP' }, initialDelaySeconds: 60, timeoutSeconds: 5, successThreshold: 1, failureThreshold: 5 });
  const image = (n: string) => `gke.gcr.io/${n}:1.23.0-gke.9`;
  return {
    namespace: ns,
    selector: KUBE_DNS,
    workload: { kind: 'Deployment', name: 'kube-dns' },
    service: { name: 'kube-dns', port, headless: false },
    podPort: port,
    configMap: 'kube-dns',
    objects: [
      ['configmaps', configMap('kube-dns', ns, { stubDomains: '{"acme.local": ["1.2.3.4"]}\n', upstreamNameservers: '["8.8.8.8", "8.8.4.4"]\n' }, { 'addonmanager.kubernetes.io/mode': 'EnsureExists' })],
      [
        'services',
        service('kube-dns', ns, { ...KUBE_DNS, 'addonmanager.kubernetes.io/mode': 'Reconcile', 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'KubeDNS' }, KUBE_DNS, c.dnsServiceIp, [
          { name: 'dns', port, protocol: 'UDP', targetPort: 'dns' },
          { name: 'dns-tcp', port, protocol: 'TCP', targetPort: 'dns-tcp' },
        ]),
      ],
      [
        'deployments.apps',
        deployment('kube-dns', ns, { ...KUBE_DNS, 'addonmanager.kubernetes.io/mode': 'Reconcile', 'kubernetes.io/cluster-service': 'true' }, KUBE_DNS, c.replicas ?? 2, {
          priorityClassName: 'system-cluster-critical',
          serviceAccountName: 'kube-dns',
          dnsPolicy: 'Default',
          nodeSelector: { 'kubernetes.io/os': 'linux' },
          tolerations: [{ key: 'CriticalAddonsOnly', operator: 'Exists' }, { key: 'components.gke.io/gke-managed-components', operator: 'Exists' }],
          containers: [
            {
              name: 'kubedns',
              image: image('k8s-dns-kube-dns'),
              args: [`--domain=${c.domain}.`, '--dns-port=10053', '--config-dir=/kube-dns-config', '--v=2'],
              env: [{ name: 'PROMETHEUS_PORT', value: '10055' }],
              ports: [
                { name: 'dns-local', containerPort: 10053, protocol: 'UDP' },
                { name: 'dns-tcp-local', containerPort: 10053, protocol: 'TCP' },
                { name: 'metrics', containerPort: 10055, protocol: 'TCP' },
              ],
              livenessProbe: probe('/healthcheck/kubedns', 10054),
              readinessProbe: { httpGet: { path: '/readiness', port: 8081, scheme: 'HTTP' }, initialDelaySeconds: 3, timeoutSeconds: 5 },
              resources: { limits: { memory: '210Mi' }, requests: { cpu: '100m', memory: '70Mi' } },
              volumeMounts: [{ name: 'kube-dns-config', mountPath: '/kube-dns-config' }],
            },
            {
              name: 'dnsmasq',
              image: image('k8s-dns-dnsmasq-nanny'),
              args: ['-v=2', '-logtostderr', '-configDir=/etc/k8s/dns/dnsmasq-nanny', '-restartDnsmasq=true', '--', '-k', '--cache-size=1000', '--no-negcache', '--dns-forward-max=1500', '--log-facility=-', `--server=/${c.domain}/127.0.0.1#10053`, '--server=/in-addr.arpa/127.0.0.1#10053', '--server=/ip6.arpa/127.0.0.1#10053'],
              ports: [
                { name: 'dns', containerPort: port, protocol: 'UDP' },
                { name: 'dns-tcp', containerPort: port, protocol: 'TCP' },
              ],
              livenessProbe: probe('/healthcheck/dnsmasq', 10054),
              resources: { requests: { cpu: '150m', memory: '20Mi' } },
              volumeMounts: [{ name: 'kube-dns-config', mountPath: '/etc/k8s/dns/dnsmasq-nanny' }],
            },
            {
              name: 'sidecar',
              image: image('k8s-dns-sidecar'),
              args: ['--v=2', '--logtostderr', `--probe=kubedns,127.0.0.1:10053,kubernetes.default.svc.${c.domain},5,SRV`, `--probe=dnsmasq,127.0.0.1:53,kubernetes.default.svc.${c.domain},5,SRV`],
              ports: [{ name: 'metrics', containerPort: 10054, protocol: 'TCP' }],
              livenessProbe: probe('/metrics', 10054),
              resources: { requests: { cpu: '10m', memory: '20Mi' } },
            },
          ],
          volumes: [{ name: 'kube-dns-config', configMap: { name: 'kube-dns', optional: true } }],
        }),
      ],
    ],
  };
}

function openshift(c: PresetContext): DnsShape {
  const ns = 'openshift-dns';
  const selector = { 'dns.operator.openshift.io/daemonset-dns': 'default' };
  const corefile = `.:5353 {
    bufsize 1232
    errors
    log . {
        class error
    }
    health {
        lameduck 20s
    }
    ready
    kubernetes ${c.domain} in-addr.arpa ip6.arpa {
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
    }
    prometheus 127.0.0.1:9153
    forward . /etc/resolv.conf {
        policy sequential
    }
    cache 900 {
        denial 9984 30
    }
    reload
}
`;
  const port = c.lowPort(53);
  return {
    namespace: ns,
    selector,
    workload: { kind: 'DaemonSet', name: 'dns-default' },
    service: { name: 'dns-default', port, headless: false },
    podPort: 5353,
    configMap: 'dns-default',
    objects: [
      ['namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { 'kubernetes.io/metadata.name': ns, 'openshift.io/cluster-monitoring': 'true', 'openshift.io/run-level': '0' } }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } }],
      ['configmaps', configMap('dns-default', ns, { Corefile: corefile }, { 'dns.operator.openshift.io/owning-dns': 'default' })],
      [
        'services',
        {
          ...service('dns-default', ns, { 'dns.operator.openshift.io/owning-dns': 'default' }, selector, c.dnsServiceIp, [
            { name: 'dns', port, protocol: 'UDP', targetPort: 'dns' },
            { name: 'dns-tcp', port, protocol: 'TCP', targetPort: 'dns-tcp' },
            { name: 'metrics', port: 9154, protocol: 'TCP', targetPort: 'metrics' },
          ], { 'service.beta.openshift.io/serving-cert-secret-name': 'dns-default-metrics-tls' }),
        },
      ],
      [
        'daemonsets.apps',
        {
          apiVersion: 'apps/v1',
          kind: 'DaemonSet',
          metadata: { name: 'dns-default', namespace: ns, labels: { 'dns.operator.openshift.io/owning-dns': 'default' } },
          spec: {
            selector: { matchLabels: selector },
            updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '10%', maxSurge: 0 } },
            template: {
              metadata: { labels: selector, annotations: { 'target.workload.openshift.io/management': '{"effect": "PreferredDuringScheduling"}' } },
              spec: {
                serviceAccountName: 'dns',
                priorityClassName: 'system-node-critical',
                dnsPolicy: 'Default',
                nodeSelector: { 'kubernetes.io/os': 'linux' },
                tolerations: [{ key: 'node-role.kubernetes.io/master', operator: 'Exists' }],
                terminationGracePeriodSeconds: 30,
                containers: [
                  {
                    name: 'dns',
                    image: 'quay.io/openshift/origin-coredns:4.18',
                    imagePullPolicy: 'IfNotPresent',
                    command: ['coredns'],
                    args: ['-conf', '/etc/coredns/Corefile'],
                    volumeMounts: [{ name: 'config-volume', mountPath: '/etc/coredns', readOnly: true }],
                    ports: [
                      { name: 'dns', containerPort: 5353, protocol: 'UDP' },
                      { name: 'dns-tcp', containerPort: 5353, protocol: 'TCP' },
                    ],
                    livenessProbe: { httpGet: { path: '/health', port: 8080, scheme: 'HTTP' }, initialDelaySeconds: 60, timeoutSeconds: 5, successThreshold: 1, failureThreshold: 5 },
                    readinessProbe: { httpGet: { path: '/ready', port: 8181, scheme: 'HTTP' }, initialDelaySeconds: 10, periodSeconds: 3, timeoutSeconds: 3, successThreshold: 1, failureThreshold: 3 },
                    resources: { requests: { cpu: '50m', memory: '70Mi' } },
                  },
                  {
                    name: 'kube-rbac-proxy',
                    image: 'quay.io/openshift/origin-kube-rbac-proxy:4.18',
                    args: ['--logtostderr', '--secure-listen-address=:9154', '--tls-cipher-suites=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', '--upstream=http://127.0.0.1:9153/', '--tls-cert-file=/etc/tls/private/tls.crt', '--tls-private-key-file=/etc/tls/private/tls.key'],
                    ports: [{ name: 'metrics', containerPort: 9154, protocol: 'TCP' }],
                    resources: { requests: { cpu: '10m', memory: '40Mi' } },
                  },
                ],
                volumes: [{ name: 'config-volume', configMap: { name: 'dns-default', items: [{ key: 'Corefile', path: 'Corefile' }] } }],
              },
            },
          },
        },
      ],
    ],
  };
}

/** The l7mp seed: DNS servers of its own in namespace default (a StatefulSet behind a headless Service on UDP 100). */
function l7mp(c: PresetContext): DnsShape {
  const port = c.lowPort(100);
  const ns = 'default';
  const selector = { app: 'dns' };
  const corefile = `.:${port} {
    forward . 8.8.8.8 9.9.9.9
    log
    errors
}

example.com:${port} {
    file /root/example.db
    log
    errors
}
`;
  const exampleDb = `example.com.        IN  SOA dns.example.com. robbmanes.example.com. 2015082541 7200 3600 1209600 3600
gateway.example.com. IN  A   192.168.1.1
dns.example.com.     IN  A   192.168.1.2
host.example.com.    IN  A   192.168.1.3
server.example.com.  IN  CNAME host.example.com.
`;
  return {
    namespace: ns,
    selector,
    workload: { kind: 'StatefulSet', name: 'dns' },
    service: { name: 'dns', port, headless: true },
    podPort: port,
    configMap: 'dns-config',
    objects: [
      ['configmaps', configMap('dns-config', ns, { Corefile: corefile, 'example.db': exampleDb })],
      ['services', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'dns', namespace: ns, labels: selector }, spec: { clusterIP: 'None', clusterIPs: ['None'], selector, ports: [{ port, protocol: 'UDP', targetPort: port }], type: 'ClusterIP', sessionAffinity: 'None' } }],
      [
        'statefulsets.apps',
        {
          apiVersion: 'apps/v1',
          kind: 'StatefulSet',
          metadata: { name: 'dns', namespace: ns, labels: selector },
          spec: {
            serviceName: 'dns',
            replicas: c.replicas ?? 2,
            selector: { matchLabels: selector },
            podManagementPolicy: 'OrderedReady',
            updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
            template: {
              metadata: { labels: selector },
              spec: {
                containers: [
                  {
                    name: 'coredns',
                    image: 'coredns/coredns:1.11.1',
                    args: ['-conf', '/root/Corefile'],
                    ports: [{ containerPort: port, protocol: 'UDP' }],
                    volumeMounts: [{ name: 'config-volume', mountPath: '/root' }],
                  },
                ],
                volumes: [{ name: 'config-volume', configMap: { name: 'dns-config', items: [{ key: 'Corefile', path: 'Corefile' }, { key: 'example.db', path: 'example.db' }] } }],
              },
            },
          },
        },
      ],
    ],
  };
}

/** A preset's DNS shape; undefined for kubeadm and the kubeadm-based ones (dual-stack, nodelocal), which cluster.ts builds. */
export function presetShape(name: PresetName, c: PresetContext): DnsShape | undefined {
  switch (name) {
    case 'eks':
      return eks(c);
    case 'aks':
      return aks(c);
    case 'gke':
      return gke(c);
    case 'k3s':
      return k3s(c);
    case 'rke2':
      return rke2(c);
    case 'openshift':
      return openshift(c);
    case 'l7mp':
      return l7mp(c);
    default:
      return undefined;
  }
}

/**
 * NodeLocal DNSCache (kubernetes cluster/addons/dns/nodelocaldns/nodelocaldns.yaml) beside kubeadm's
 * CoreDNS: the installer's substitutions done (domain, local IP, kube-dns IP); node-cache itself fills
 * __PILLAR__CLUSTER__DNS__ (kube-dns-upstream's IP) and __PILLAR__UPSTREAM__SERVERS__ when it starts.
 */
export function nodeLocalShape(c: PresetContext & { localIp: string }): DnsShape {
  const ns = 'kube-system';
  const port = c.lowPort(53);
  const selector = { 'k8s-app': 'node-local-dns' };
  const addon = { 'kubernetes.io/cluster-service': 'true', 'addonmanager.kubernetes.io/mode': 'Reconcile' };
  const block = (zone: string, forward: string, extra = '') => `${zone}:${port} {
    errors
    cache${zone === c.domain ? ' {\n            success 9984 30\n            denial 9984 5\n    }' : ' 30'}
    reload
    loop
    bind ${c.localIp} ${c.dnsServiceIp}
    forward . ${forward}
    prometheus :9253${extra}
    }
`;
  const tcp = '__PILLAR__CLUSTER__DNS__ {\n            force_tcp\n    }';
  const corefile = [block(c.domain, tcp, `\n    health ${c.localIp}:8080`), block('in-addr.arpa', tcp), block('ip6.arpa', tcp), block('.', '__PILLAR__UPSTREAM__SERVERS__')].join('');
  return {
    namespace: ns,
    selector,
    workload: { kind: 'DaemonSet', name: 'node-local-dns' },
    service: { name: 'node-local-dns', port: 9253, headless: true },
    podPort: port,
    configMap: 'node-local-dns',
    objects: [
      ['services', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'kube-dns-upstream', namespace: ns, labels: { ...KUBE_DNS, ...addon, 'kubernetes.io/name': 'KubeDNSUpstream' } }, spec: { selector: KUBE_DNS, ports: [{ name: 'dns', port, protocol: 'UDP', targetPort: port }, { name: 'dns-tcp', port, protocol: 'TCP', targetPort: port }] } }],
      ['configmaps', configMap('node-local-dns', ns, { Corefile: corefile }, { 'addonmanager.kubernetes.io/mode': 'Reconcile' })],
      [
        'daemonsets.apps',
        {
          apiVersion: 'apps/v1',
          kind: 'DaemonSet',
          metadata: { name: 'node-local-dns', namespace: ns, labels: { ...selector, ...addon } },
          spec: {
            updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '10%', maxSurge: 0 } },
            revisionHistoryLimit: 10,
            selector: { matchLabels: selector },
            template: {
              metadata: { labels: selector, annotations: { 'prometheus.io/port': '9253', 'prometheus.io/scrape': 'true' } },
              spec: {
                priorityClassName: 'system-node-critical',
                serviceAccountName: 'node-local-dns',
                hostNetwork: true,
                dnsPolicy: 'Default',
                tolerations: [{ key: 'CriticalAddonsOnly', operator: 'Exists' }, { effect: 'NoExecute', operator: 'Exists' }, { effect: 'NoSchedule', operator: 'Exists' }],
                containers: [
                  {
                    name: 'node-cache',
                    image: 'registry.k8s.io/dns/k8s-dns-node-cache:1.26.4',
                    resources: { requests: { cpu: '25m', memory: '5Mi' } },
                    args: ['-localip', `${c.localIp},${c.dnsServiceIp}`, '-conf', '/etc/Corefile', '-upstreamsvc', 'kube-dns-upstream', '-pidfile', '/tmp/node-cache.pid'],
                    securityContext: { capabilities: { add: ['NET_ADMIN'] } },
                    ports: dnsPorts(port).map((p) => (p.name === 'metrics' ? { ...p, containerPort: 9253 } : p)),
                    livenessProbe: { httpGet: { host: c.localIp, path: '/health', port: 8080 }, initialDelaySeconds: 60, timeoutSeconds: 5 },
                    volumeMounts: [
                      { mountPath: '/run/xtables.lock', name: 'xtables-lock', readOnly: false },
                      { name: 'config-volume', mountPath: '/etc/coredns' },
                      { name: 'kube-dns-config', mountPath: '/etc/kube-dns' },
                    ],
                  },
                ],
                volumes: [
                  { name: 'xtables-lock', hostPath: { path: '/run/xtables.lock', type: 'FileOrCreate' } },
                  { name: 'kube-dns-config', configMap: { name: 'kube-dns', optional: true } },
                  { name: 'config-volume', configMap: { name: 'node-local-dns', items: [{ key: 'Corefile', path: 'Corefile.base' }] } },
                ],
              },
            },
          },
        },
      ],
      ['services', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'node-local-dns', namespace: ns, labels: selector, annotations: { 'prometheus.io/port': '9253', 'prometheus.io/scrape': 'true' } }, spec: { clusterIP: 'None', clusterIPs: ['None'], selector, ports: [{ name: 'metrics', port: 9253, protocol: 'TCP', targetPort: 9253 }] } }],
    ],
  };
}

/**
 * OpenShift's namespace controller gives every namespace its own UID range for the restricted-v2 SCC
 * (openshift.io/sa.scc.uid-range, with the matching supplemental-groups and MCS annotations), which
 * the sim's admission (apiserver/admission.ts) enforces. Ranges as OpenShift allocates them: blocks of
 * 10000 from 1000000000.
 */
export function openshiftUidRanges(namespaces: KObject[]): void {
  namespaces.forEach((ns, i) => {
    const first = 1_000_000_000 + (i + 1) * 10_000;
    ns.metadata.annotations = {
      ...ns.metadata.annotations,
      'openshift.io/sa.scc.uid-range': `${first}/10000`,
      'openshift.io/sa.scc.supplemental-groups': `${first}/10000`,
      'openshift.io/sa.scc.mcs': `s0:c${i + 26},c${i + 10}`,
    };
  });
}

/**
 * The enterprise preset: kubeadm's CoreDNS on a cluster with the hostile parts real enterprise clusters
 * have, each the object a platform team would create — the default (probe) namespace enforcing Pod
 * Security restricted with Istio injection on, a strict LimitRange and a compute quota there. Its control
 * plane is tainted (SimOptions.controlPlane), a Windows node joins the Linux ones (windowsNodes), the
 * Linux nodes are at capacity with a cluster autoscaler (autoscaler.ts) and Docker Hub rate-limits its
 * pulls (index.ts switches those on). The sim's admission (apiserver/admission.ts) and scheduler do the
 * rest; each part also works alone, made with kubectl or a SimOption.
 */
export function enterprise(namespaces: KObject[]): [string, KObject][] {
  const probeNamespace = namespaces.find((n) => n.metadata.name === 'default');
  if (probeNamespace) probeNamespace.metadata.labels = { ...probeNamespace.metadata.labels, 'pod-security.kubernetes.io/enforce': 'restricted', 'istio-injection': 'enabled' };
  return [
    ['limitranges', { apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'strict', namespace: 'default' }, spec: { limits: [{ type: 'Container', maxLimitRequestRatio: { cpu: '2', memory: '2' } }] } }],
    ['resourcequotas', { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'compute', namespace: 'default' }, spec: { hard: { 'requests.cpu': '8', 'limits.cpu': '16', 'requests.memory': '16Gi', 'limits.memory': '32Gi', 'requests.ephemeral-storage': '20Gi' } } }],
  ];
}

/**
 * A Windows node pool, named as the distribution names its nodes: AKS akswin000000 (its Windows pools'
 * VMSS instances), GKE gke-…-win-pool-… tainted node.kubernetes.io/os=windows:NoSchedule (GKE taints
 * Windows Server node pools so Linux pods stay off them), elsewhere win-node-N. The DNS workloads keep
 * to Linux nodes by their nodeSelector, as the distributions' manifests do.
 */
export function windowsNodePool(preset: PresetName, count: number): [string, KObject][] {
  const now = new Date().toISOString();
  return Array.from({ length: count }, (_, i): [string, KObject] => {
    const name = preset === 'aks' ? `akswin${String(i).padStart(6, '0')}` : preset === 'gke' ? `gke-sim-win-pool-${String(i + 1).padStart(4, '0')}` : `win-node-${i + 1}`;
    return ['nodes', {
      apiVersion: 'v1', kind: 'Node',
      metadata: { name, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'windows', 'kubernetes.io/arch': 'amd64', 'node.kubernetes.io/windows-build': '10.0.20348' } },
      spec: preset === 'gke' ? { taints: [{ key: 'node.kubernetes.io/os', value: 'windows', effect: 'NoSchedule' }] } : {},
      status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: now, lastTransitionTime: now }], allocatable: { cpu: '4', memory: '16Gi', pods: '110' }, nodeInfo: { operatingSystem: 'windows', architecture: 'amd64', kubeletVersion: 'v1.32.0' } },
    }];
  });
}
