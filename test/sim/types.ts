// The seams of the simulated cluster. The API server (apiserver/) serves the store over HTTPS and
// hands exec/log requests to the node side (kubelet.ts); the node side runs pods as local processes,
// the controllers and the DNS network. index.ts wires them and exposes `Sim` to tests and the demo.
import type { RegistryOutcome } from './registry.ts';
import type { Readable, Writable } from 'node:stream';
import type { PresetName } from './presets.ts';
import type { PullTiming } from './pulls.ts';

/** What the API server needs from the kubelet. Throw SimError for 400/404/500 answers. */
export interface NodeRuntime {
  /**
   * Starts `command` in the pod's container as a local process (in the pod's network: none when the
   * node has no network). Throws SimError before starting when the pod/container cannot exec.
   */
  exec(req: ExecRequest): ExecProcess;
  /** The container's log text (stdout+stderr), honouring tailLines and previous. */
  logs(namespace: string, pod: string, opts: { container?: string; tailLines?: number; previous?: boolean }): string;
}

export interface ExecRequest {
  namespace: string;
  pod: string;
  container?: string;
  command: string[];
  stdin: boolean;
  tty: boolean;
}

export interface ExecProcess {
  stdout: Readable;
  stderr: Readable;
  /** Present when stdin was requested. */
  stdin?: Writable;
  /** Resolves when the process ends: exit code (null when killed by a signal). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): void;
}

/** An RBAC rule, as in rbac.authorization.k8s.io/v1 PolicyRule. */
export interface PolicyRule {
  apiGroups: string[];
  resources: string[]; // "pods", "pods/exec", "*"
  verbs: string[]; // "get", "list", "watch", "create", "update", "patch", "delete", "deletecollection", "*"
  resourceNames?: string[];
  /** Namespaces where the rule applies; omitted = every namespace (a ClusterRole binding). */
  namespaces?: string[];
}

/** An injected API fault: matching requests fail (or are delayed) `count` times (default: until cleared). */
export interface ApiFault {
  verb?: string; // get, list, watch, create, update, patch, delete, exec (= create on pods/exec) …
  resource?: string; // "pods", "pods/exec", "pods/eviction", "leases" …
  namespace?: string;
  /** Only requests for this object (a pod's name for its portforward, exec or eviction). */
  name?: string;
  /** Only requests for pods on this node (as when the API server cannot reach that node's kubelet). */
  node?: string;
  user?: string;
  /** HTTP status to answer with (500, 503, 429 …); omitted = no error, only latency. */
  status?: number;
  /** The Status message instead of the default for `status` (e.g. "error dialing backend: …"). */
  message?: string;
  /** Drop the connection instead of answering (the client sees ECONNRESET / socket hang up). */
  reset?: boolean;
  latencyMs?: number;
  count?: number;
  /**
   * pods/exec: the kubelet fails with this message (e.g. 'error dialing backend: dial tcp …: i/o
   * timeout'). API servers ≥ 1.30 (v5) send it after the upgrade as a channel-3 InternalError Status;
   * with `legacyExec`, as ≤ 1.29 do, a text/plain 500 before the upgrade.
   */
  kubelet?: string;
  legacyExec?: boolean;
}

export interface SimOptions {
  /** Working directory for certificates, kubeconfig, dnsmasq configs and logs. Default: a new temp dir. */
  dir?: string;
  /** First two octets of the /16 all sim addresses live in, e.g. "127.20". Default random in 127.100–127.199. */
  subnet?: string;
  /** Node count (default 3). */
  nodes?: number;
  /**
   * The first node is a kubeadm control-plane node: labelled node-role.kubernetes.io/control-plane and
   * tainted NoSchedule, as kubeadm init leaves it (CoreDNS tolerates the taint; ordinary pods do not).
   */
  controlPlane?: boolean;
  /**
   * The distribution whose cluster DNS the sim plays (test/sim/presets.ts); default kubeadm. `dns`
   * options other than replicas apply to kubeadm's CoreDNS only.
   */
  preset?: PresetName;
  dns?: {
    namespace?: string; // kube-system
    replicas?: number; // 2
    port?: number; // 53 when root, else 1053
    serviceName?: string; // kube-dns
    deploymentName?: string; // coredns
    configMapName?: string; // coredns
    clusterDomain?: string; // cluster.local
    /** Extra Corefile text; by default a kubeadm-like Corefile is generated. */
    corefile?: string;
  };
  /** Kubelet timing: real values by default; tests may shorten liveness/backoff. */
  timing?: {
    /** Multiplies probe periods, initial delays, backoffs and grace periods (default 1). */
    scale?: number;
  };
  /** Delay from pod scheduled to its containers starting (the sandbox), ms. Default 300. */
  podStartMs?: number;
  /** How long image pulls take, by registry host (test/sim/pulls.ts); default 50 ms each. Nodes keep what they pulled. */
  pulls?: PullTiming;
  /**
   * A cluster autoscaler for the worker nodes (test/sim/autoscaler.ts): a pod Pending for want of room
   * gets TriggeredScaleUp and a node joins after delayMs (default 1500), up to max nodes (default the
   * sim's nodes + 2). On in the enterprise preset; false turns it off there.
   */
  autoscaler?: { max?: number; delayMs?: number } | false;
  /** Nodes at capacity once the DNS pods are placed (Faults.nodesAtCapacity). On in the enterprise preset. */
  atCapacity?: boolean;
  /** A Windows node pool of this many nodes beside the Linux ones (gke, aks: off by default; enterprise: 1). */
  windowsNodes?: number;
}

export interface SimUser {
  name: string;
  token: string;
  /** A kubeconfig file for this user (same cluster and CA). */
  kubeconfigPath: string;
}

/** The DNS workload a sim plays (its preset's), which dnsPods() lists and the faults act on. */
export interface SimDnsWorkload {
  namespace: string;
  selector: Record<string, string>;
  workload: { kind: 'Deployment' | 'DaemonSet' | 'StatefulSet'; name: string };
  service: { name: string; port: number; headless: boolean };
  /** The port its pods' DNS server listens on. */
  podPort: number;
  configMap: string;
}

export interface SimDnsPod {
  name: string;
  namespace: string;
  ip: string;
  node: string;
  /** dnsmasq's pid, or undefined while the container is not running. */
  pid?: number;
}

export interface Faults {
  /** SIGSTOP the pod's DNS process: queries time out, health still answers 200. */
  hangDns(pod: string): void;
  /** Drop UDP to the pod's DNS port; TCP and health keep working. */
  dropUdp(pod: string): void;
  /** Kill the pod's DNS process once; the kubelet restarts the container. */
  crash(pod: string): void;
  /** Every start of the pod's container exits at once (loop plugin FATAL in the log) → CrashLoopBackOff. */
  crashLoop(pod: string): void;
  /** The pod answers `name` with `address` instead of the truth. */
  wrongRecord(pod: string, name: string, address: string): void;
  /** The pod keeps the records it has and sees no more Service changes, like a CoreDNS with a stale watch. */
  staleWatch(pod: string): void;
  /** Delay every answer of the pod by `ms`. */
  slow(pod: string, ms: number): void;
  /** Service ClusterIPs lose the second datagram of every new UDP flow, like the conntrack insertion race. */
  conntrackRace(): void;
  /** The upstream stops answering: external names fail (SERVFAIL/timeout), cluster names still work. */
  upstreamDown(): void;
  /** Pods on the node run without network (exec'd probes get "network unreachable"). */
  nodeNoNetwork(node: string): void;
  /** The stub domain's own upstream stops answering; other zones and external names keep working. */
  stubDown(domain: string): void;
  /** Scales the DNS workload (Deployment or StatefulSet) to n replicas, as `kubectl scale` would. Not undone by clear(). */
  scale(replicas: number): void;
  /**
   * CNI failure: for a node, pods started there stay ContainerCreating; for a pod, its sandbox is lost
   * and cannot be recreated. Either way the kubelet records FailedCreatePodSandBox Events and retries.
   */
  cniFail(podOrNode: string): void;
  /** Every DNS pod (or only `pod`) stops answering on its addresses of this family (dual-stack preset: ipv6), the other family keeps working. */
  dropFamily(family: string, pod?: string): void;
  /**
   * The node's NodeLocal DNSCache stops answering (nodelocal preset): hung (SIGSTOP, still Running and
   * Ready) or dead (killed and crash-looping, as node-cache does on a bad Corefile).
   */
  nodeLocalDown(node: string, how?: 'hung' | 'dead'): void;
  /** Images matching this name never pull: pods using it stay Pending with ImagePullBackOff. */
  unpullableImage(image: string): void;
  /**
   * Containers of this image repository (under runc) get this memory cgroup limit instead of their
   * pod's: a way to run the probe out of memory, which no valid plan does within 64 Mi.
   */
  memoryLimit(image: string, limit: string): void;
  /**
   * Pulls from this registry host (docker.io, quay.io, …) fail: rate-limited, unauthorized or unreachable.
   * A rate limit may let `afterPulls` more pulls through first (Docker Hub: 10 an hour per address).
   */
  registry(host: string, outcome: RegistryOutcome, afterPulls?: number): void;
  /**
   * Nodes at capacity: a workload pod on every Linux node takes the cpu its pods leave (test/sim/
   * autoscaler.ts fillNodes), so a new pod fits nowhere until pods go or a node joins. Not undone by
   * clear(); returns the pods' names (namespace workloads).
   */
  nodesAtCapacity(): string[];
  /** API faults; returns an id for clearApi. */
  api(fault: ApiFault): number;
  clearApi(id?: number): void;
  /** Undo every fault (DNS processes resumed, network restored, API faults cleared). */
  clear(): void;
}

export interface ApiRequestRecord {
  verb: string;
  resource: string;
  namespace?: string;
  name?: string;
  user: string;
  code: number;
  path: string;
}

export interface Sim {
  /** https://127.x.y.z:port */
  server: string;
  /** The admin kubeconfig. */
  kubeconfigPath: string;
  caPath: string;
  dir: string;
  admin: SimUser;
  /** Adds a user with exactly these RBAC rules and returns its kubeconfig. */
  addUser(name: string, rules: PolicyRule[]): SimUser;
  /** Adds a client-certificate user (CN name, O groups; kubeadm's admin.conf is O=system:masters) and returns its kubeconfig. */
  addCertUser(name: string, groups: string[], rules?: PolicyRule[]): Promise<SimUser>;
  preset: PresetName;
  /** The preset's DNS workload: namespace, pod selector, controller, Service and ports. */
  dnsWorkload(): SimDnsWorkload;
  /** The DNS pods (of dnsWorkload()) as they are now. */
  dnsPods(): SimDnsPod[];
  /** The cluster DNS Service's ClusterIP ("None" when headless) and DNS port. */
  dnsService(): { ip: string; port: number };
  /** The simulated upstream resolver's address (answers the external test names). */
  upstream: { ip: string; port: number };
  faults: Faults;
  /** Every API request served since start (for counting requests per cycle). */
  requests: ApiRequestRecord[];
  /** Every container started under runc (test/sim/runc.ts), in order; empty when containers run as host processes. */
  runcContainers: { namespace: string; pod: string; container: string; image: string }[];
  /** Resolves when the named pods are Running and Ready. */
  waitReady(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}
