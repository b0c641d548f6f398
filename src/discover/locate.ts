// Which Service is the cluster DNS: the one whose ClusterIP is the nameserver pods are given (the probe
// pod's /etc/resolv.conf), else the names each distribution uses; and NodeLocal DNSCache. Pure.
import type { KController, KControllerKind, KService } from '../kube/index.ts';
import type { NodeLocalCache } from './types.ts';

export interface KnownDns {
  distribution: string;
  namespace: string;
  service: string;
  /** Where the Corefile (or kube-dns's stubDomains) lives, when no pod says (they mount it). */
  configMap: string;
  /** The controllers to look for when no pod exists (a workload scaled to 0). */
  controllers: { kind: KControllerKind; name: string }[];
}

/** Cluster DNS as the distributions deploy it, in the order discovery tries them. */
export const KNOWN_DNS: readonly KnownDns[] = [
  {
    distribution: 'kubeadm, EKS, AKS, k3s, GKE (kube-dns)',
    namespace: 'kube-system',
    service: 'kube-dns',
    configMap: 'coredns',
    controllers: [{ kind: 'Deployment', name: 'coredns' }, { kind: 'Deployment', name: 'kube-dns' }],
  },
  {
    distribution: 'RKE2',
    namespace: 'kube-system',
    service: 'rke2-coredns-rke2-coredns',
    configMap: 'rke2-coredns-rke2-coredns',
    controllers: [{ kind: 'Deployment', name: 'rke2-coredns-rke2-coredns' }],
  },
  // The rke2-coredns chart's names of early 2024 (rancher/rke2 #5489, reverted by rancher/rke2-charts #414).
  { distribution: 'RKE2', namespace: 'kube-system', service: 'rke2-coredns', configMap: 'rke2-coredns', controllers: [{ kind: 'Deployment', name: 'rke2-coredns' }] },
  {
    distribution: 'OpenShift',
    namespace: 'openshift-dns',
    service: 'dns-default',
    configMap: 'dns-default',
    controllers: [{ kind: 'DaemonSet', name: 'dns-default' }],
  },
];

/** The namespaces discovery searches when -n is not given. */
export const KNOWN_NAMESPACES = [...new Set(KNOWN_DNS.map((k) => k.namespace))];

/** NodeLocal DNSCache's names (kubernetes/dns nodelocaldns.yaml): its DaemonSet, ConfigMap and the Service it forwards to. */
export const NODE_LOCAL = { namespace: 'kube-system', daemonSet: 'node-local-dns', configMap: 'node-local-dns', upstreamService: 'kube-dns-upstream' } as const;

/** The metadata server answering DNS on GKE nodes (GKE Cloud DNS: no DNS pods in the cluster). */
export const GKE_METADATA_DNS = '169.254.169.254';

export const knownFor = (namespace: string, service: string): KnownDns | undefined => KNOWN_DNS.find((k) => k.namespace === namespace && k.service === service);

export interface Located {
  service: KService;
  /** How it was found, for the report: "ClusterIP 10.96.0.10 is the pods' nameserver", "known name …". */
  by: string;
}

/**
 * The DNS Service among those listed: the one holding the nameserver IP, else the first known name
 * (NodeLocal DNSCache's kube-dns-upstream is never the answer: it is the cache's backend).
 */
export function chooseService(services: KService[], nameserver?: string): Located | undefined {
  const candidates = services.filter((s) => s.name !== NODE_LOCAL.upstreamService);
  const byIp = nameserver ? candidates.find((s) => s.clusterIPs.includes(nameserver)) : undefined;
  if (byIp) return { service: byIp, by: `its ClusterIP ${nameserver} is the pods' nameserver` };
  for (const k of KNOWN_DNS) {
    const s = candidates.find((x) => x.namespace === k.namespace && x.name === k.service);
    if (s) return { service: s, by: `the ${k.distribution} name ${k.namespace}/${k.service}` };
  }
  return undefined;
}

/**
 * Whether searching more namespaces could change chooseService's choice: not once it holds the
 * nameserver (a ClusterIP is unique), nor, with no nameserver, for a known name all of whose
 * predecessors in KNOWN_DNS live in the namespaces already searched.
 */
export function settledChoice(located: Located, searched: readonly string[], nameserver?: string): boolean {
  if (nameserver) return located.service.clusterIPs.includes(nameserver);
  const at = KNOWN_DNS.findIndex((k) => k.namespace === located.service.namespace && k.service === located.service.name);
  return at >= 0 && KNOWN_DNS.slice(0, at).every((k) => searched.includes(k.namespace));
}

/** What was looked for, for the message when nothing is found. */
export function lookedFor(namespaces: string[], nameserver?: string): string {
  const names = KNOWN_DNS.filter((k) => namespaces.includes(k.namespace)).map((k) => `${k.namespace}/${k.service}`);
  const byIp = nameserver ? `a Service with ClusterIP ${nameserver} (the pods' nameserver) in ${namespaces.join(', ')}` : '';
  return [byIp, names.length ? `the known names ${names.join(', ')}` : `a known DNS Service in ${namespaces.join(', ')}`].filter(Boolean).join(', then ');
}

/** Whether NodeLocal DNSCache may be installed: its Service kube-dns-upstream exists, or the nameserver is link-local. */
export const mayHaveNodeLocal = (services: KService[], nameserver?: string): boolean =>
  services.some((s) => s.namespace === NODE_LOCAL.namespace && s.name === NODE_LOCAL.upstreamService) || (nameserver?.startsWith('169.254.') === true && nameserver !== GKE_METADATA_DNS);

/** NodeLocal DNSCache from its DaemonSet: `-localip 169.254.20.10,10.96.0.10` and the ConfigMap it mounts. */
export function nodeLocalOf(ds: KController): NodeLocalCache {
  const args = ds.containers.flatMap((c) => c.args ?? []);
  const at = args.findIndex((a) => a === '-localip' || a === '--localip' || a.startsWith('-localip=') || a.startsWith('--localip='));
  const value = at < 0 ? '' : args[at]!.includes('=') ? args[at]!.split('=')[1]! : (args[at + 1] ?? '');
  // Its Corefile's ConfigMap, not kube-dns's stubDomains one that nodelocaldns.yaml mounts first.
  const configMap = ds.configMapVolumes.find((n) => n === ds.name) ?? ds.configMapVolumes.find((n) => n !== 'kube-dns') ?? ds.configMapVolumes[0];
  // hostNetwork: the container's UDP DNS port is the port of its local addresses.
  const udp = ds.containers.flatMap((c) => c.ports).filter((p) => p.protocol === 'UDP');
  const port = (udp.find((p) => p.name === 'dns') ?? udp[0])?.containerPort;
  return {
    namespace: ds.namespace,
    daemonSet: ds.name,
    ...(configMap && { configMap }),
    localIPs: value.split(',').map((s) => s.trim()).filter(Boolean),
    ...(port !== undefined && { port }),
  };
}

/** `bind 169.254.20.10 10.96.0.10` lines of the cache's Corefile, when the DaemonSet's args do not say. */
export function bindAddresses(corefile: string): string[] {
  const ips = corefile.split('\n').flatMap((l) => (/^\s*bind\s+/.test(l) ? l.trim().split(/\s+/).slice(1) : []));
  return [...new Set(ips.filter((ip) => /^[0-9a-f.:]+$/i.test(ip)))];
}
