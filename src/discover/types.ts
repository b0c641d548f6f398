// Plain data describing the DNS workload as read from the API. Produced by discover, consumed by plan,
// judge and repair. No client-node types leak past this point.
import type { ZoneRecord } from './zonefile.ts';

export interface DnsPod {
  name: string;
  namespace: string;
  /** Primary pod IP; empty while the pod has none (Pending). */
  ip: string;
  /** All pod IPs (dual-stack). */
  ips: string[];
  /** Node the pod is scheduled on; empty when unscheduled. */
  node: string;
  phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';
  /** The Ready condition. */
  ready: boolean;
  /** Sum of container restart counts. */
  restartCount: number;
  /** A container's waiting reason, e.g. CrashLoopBackOff, ImagePullBackOff. */
  waitingReason?: string;
  /** Why a container's previous run ended (lastState.terminated.reason), e.g. OOMKilled. */
  lastTerminationReason?: string;
  /** deletionTimestamp is set. */
  terminating: boolean;
  /** Owning Deployment, resolved through its ReplicaSet, when there is one. */
  deployment?: string;
  /** The controller owning the pod (a Deployment through its ReplicaSet, a DaemonSet or a StatefulSet). */
  controller?: ControllerRef;
  /** The ports the pod's DNS server is probed on: where the Service routes (src/discover/ports.ts). */
  ports?: { udp: number; tcp: number };
  /** The container serving DNS (coredns, dns, kubedns): the one whose log diagnosis reads. */
  dnsContainer?: string;
  /** Of a pod of several containers: the one that crashed (waiting in CrashLoopBackOff, else restarted most), whose log tells why. */
  crashedContainer?: string;
  /** RFC 3339 start time. */
  startTime?: string;
  /** Ports the pod holds on its node (containers' hostPorts; every port with hostNetwork): a replacement cannot start beside it there. */
  nodePorts?: number[] | 'host-network';
  /** uid, to notice a pod name reused by a new object. */
  uid: string;
}

export interface DnsService {
  name: string;
  namespace: string;
  /** ClusterIPs, IPv4 first when dual-stack. */
  clusterIPs: string[];
  /** The Service's DNS port (UDP; TCP's too unless `tcpPort` says otherwise). */
  port: number;
  /** The Service's TCP DNS port, when it differs from `port`. */
  tcpPort?: number;
  /** spec.selector: the labels that put a pod in rotation. */
  selector?: Record<string, string>;
}

export type ControllerKind = 'Deployment' | 'DaemonSet' | 'StatefulSet';

export interface ControllerRef {
  kind: ControllerKind;
  name: string;
}

/** The pods' controller as read from the API: how many pods it wants and how many are Ready. */
export interface DnsController extends ControllerRef {
  /** spec.replicas, or a DaemonSet's desired number of scheduled pods. */
  desired: number;
  ready: number;
  /** spec.selector.matchLabels: the pods it counts (a pod relabelled out of it is replaced). */
  selector?: Record<string, string>;
}

/**
 * DNS is down for a reason discovery can name (src/discover/outage.ts): the judge reports it as
 * unhealthy with this reason (exit 1), never as a failure to find the workload.
 */
export interface Outage {
  kind: 'scaled-to-zero' | 'no-pods' | 'selector-drift' | 'unschedulable' | 'container-creating' | 'none-ready' | 'no-endpoints';
  /** One line: what is down and why, with the scheduler's or kubelet's own words. */
  reason: string;
}

/** What serves the cluster's DNS when it is not CoreDNS: GKE's kube-dns, or a managed DNS with no pods (GKE Cloud DNS). */
export type DnsServerKind = 'kube-dns' | 'managed';

/** NodeLocal DNSCache (DaemonSet node-local-dns): a cache on every node in front of the DNS Service. */
export interface NodeLocalCache {
  namespace: string;
  daemonSet: string;
  configMap?: string;
  /** The addresses the cache listens on (-localip): its link-local IP, and the Service IP in iptables mode. */
  localIPs: string[];
  /** Its DNS port (the DaemonSet's UDP containerPort "dns"; hostNetwork); absent when it names none (53). */
  port?: number;
}

export interface Zones {
  /** The cluster domain from the kubernetes plugin, e.g. "cluster.local". */
  clusterDomain: string;
  /** Zones served by stub forward blocks, e.g. "consul.local". */
  stubDomains: string[];
  /** False when the Corefile was missing or unreadable and defaults were used; `note` says why. */
  fromCorefile: boolean;
  note?: string;
  /** Per zone and plugin, what the Corefile (and its imports) serve; absent when it could not be read. */
  served?: ServedZone[];
}

/** One zone one plugin answers in one server block (src/discover/corefile.ts). */
export interface ServedZone {
  zone: string;
  port: number;
  by: 'kubernetes' | 'file' | 'hosts' | 'forward';
  /** Where it was read: "Corefile block .:53", "coredns-custom/consul.server block consul.local:53". */
  origin: string;
  /** forward: its upstreams as written ("/etc/resolv.conf", "10.150.0.1"). */
  forwarders?: string[];
  /** file and hosts: the records they hold; empty with `note` when the file was not found. */
  records?: ZoneRecord[];
  note?: string;
}

export interface DnsWorkload {
  namespace: string;
  labelSelector: string;
  service: DnsService;
  pods: DnsPod[];
  zones: Zones;
  /** ClusterIP of default/kubernetes: the answer kubernetes.default.svc.<domain> must give. */
  kubernetesServiceIP: string;
  /** The controller that owns the pods, when one does. */
  controller?: DnsController;
  /** Set when discovery can already name why DNS is down (no pods, none Ready, no endpoints…). */
  outage?: Outage;
  /** Unset for CoreDNS; kube-dns, or managed (no pods in the cluster: report-only, never a repair). */
  server?: DnsServerKind;
  /** NodeLocal DNSCache, when installed. */
  nodeLocal?: NodeLocalCache;
  /** What the Service really routes to, from its EndpointSlices; undefined when they could not be read. */
  endpoints?: ServiceEndpoint[];
  /** CoreDNS's Corefile as its ConfigMap holds it now; absent for kube-dns or when it could not be read. */
  corefile?: CorefileSource;
  /** Things the report must mention: defaults assumed, data that could not be read. */
  notes?: string[];
}

/** The ConfigMap a restarted CoreDNS pod would load its Corefile from (src/repair/config-guard.ts). */
export interface CorefileSource {
  configMap: string;
  resourceVersion?: string;
  /** The last write that changed its data (managedFields), else its creation (RFC 3339). */
  changedAt?: string;
  /** That write's field manager. */
  changedBy?: string;
  text: string;
}

export interface ServiceEndpoint {
  address: string;
  ready: boolean;
  /** The pod behind the address, when the slice names it. */
  pod?: string;
}
