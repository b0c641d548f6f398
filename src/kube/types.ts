// Plain data the kube module hands to the rest of the app. No client-node type crosses this boundary,
// so moving to client-node 2.x (or another client) touches src/kube only.
import type { Duplex } from 'node:stream';

export interface KServicePort {
  name?: string;
  port: number;
  protocol: string;
  /** spec.ports[].targetPort: a number, or the name of a containerPort; unset means `port`. */
  targetPort?: number | string;
}

/** A container of a pod (or pod template) as discovery needs it: its name and declared ports. */
export interface KContainer {
  name: string;
  ports: { name?: string; containerPort: number; protocol: string; hostPort?: number }[];
  /** The container's args (NodeLocal DNSCache's -localip). */
  args?: string[];
  image?: string;
}

export type KControllerKind = 'Deployment' | 'DaemonSet' | 'StatefulSet';

/** An apps/v1 controller of pods, with how many pods it wants and has Ready. */
export interface KController {
  kind: KControllerKind;
  name: string;
  namespace: string;
  /** spec.replicas (default 1), or a DaemonSet's status.desiredNumberScheduled. */
  desired: number;
  /** status.readyReplicas, or a DaemonSet's status.numberReady. */
  ready: number;
  /** The pod template's containers and ConfigMap volumes. */
  containers: KContainer[];
  configMapVolumes: string[];
  /** spec.selector.matchLabels: the pods it counts as its own (read from the API always). */
  selector?: Record<string, string>;
}

export interface KService {
  name: string;
  namespace: string;
  /** ClusterIPs in the order the API lists them (primary family first); empty for headless. */
  clusterIPs: string[];
  ports: KServicePort[];
  selector: Record<string, string>;
  /** spec.type (ClusterIP, NodePort, LoadBalancer, ExternalName); read from the API always. */
  type?: string;
  /** spec.clusterIP is None. */
  headless?: boolean;
  /** spec.externalName of an ExternalName Service. */
  externalName?: string;
  /** Read from the API always; optional so that plain test fixtures of Services stay short. */
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  creationTimestamp?: string;
}

/** A Node as the probe placement needs it. */
export interface KNode {
  name: string;
  ready: boolean;
  unschedulable: boolean;
  /** The kubernetes.io/os label (linux, windows), when set. */
  os?: string;
  taints: { key: string; value?: string; effect: string }[];
}

/** A ClusterIP Service without selector (the freshness canary): nothing routes to it, DNS must name it. */
export interface ServiceManifest {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface KContainerStatus {
  name: string;
  ready: boolean;
  restartCount: number;
  waitingReason?: string;
  waitingMessage?: string;
  terminatedReason?: string;
  terminatedExitCode?: number;
  /** lastState.terminated.reason: why the previous container ended, e.g. OOMKilled. */
  lastTerminationReason?: string;
}

export interface KCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  /** RFC 3339: when the condition last changed (the probe pod's sweep reads Ready's). */
  lastTransitionTime?: string;
}

export interface KPod {
  name: string;
  namespace: string;
  uid: string;
  resourceVersion: string;
  labels: Record<string, string>;
  /** Set when read from the API (the probe pod's owner annotations, src/common/owner.ts). */
  annotations?: Record<string, string>;
  ownerReferences: { kind: string; name: string }[];
  nodeName: string;
  phase: string;
  /** Pod-level reason, e.g. DeadlineExceeded, Evicted. */
  reason?: string;
  message?: string;
  podIPs: string[];
  conditions: KCondition[];
  containerStatuses: KContainerStatus[];
  /** status.initContainerStatuses (a mesh's injected init container, for one); read from the API always. */
  initContainerStatuses?: KContainerStatus[];
  /** RFC 3339. */
  creationTimestamp?: string;
  startTime?: string;
  deletionTimestamp?: string;
  activeDeadlineSeconds?: number;
  /** spec.containers (names, declared ports); read from the API always, optional for short fixtures. */
  containers?: KContainer[];
  /** spec.initContainers; read from the API always. */
  initContainers?: KContainer[];
  /** The names of the ConfigMaps the pod mounts as volumes. */
  configMapVolumes?: string[];
  /** spec.hostNetwork: the pod's ports are its node's. */
  hostNetwork?: boolean;
}

export interface KEndpoint {
  addresses: string[];
  /** conditions.ready; unset means ready (EndpointSlice semantics). */
  ready: boolean;
  podName?: string;
  nodeName?: string;
}

export interface KEndpointSlice {
  name: string;
  /** metadata.namespace and the kubernetes.io/service-name label; read from the API always. */
  namespace?: string;
  serviceName?: string;
  addressType: string;
  ports: { name?: string; port?: number; protocol?: string }[];
  endpoints: KEndpoint[];
}

export interface KConfigMap {
  name: string;
  namespace: string;
  data: Record<string, string>;
  /** Set when read; required on replace (optimistic concurrency). */
  resourceVersion?: string;
  /** When read: the last write that changed its data (managedFields), else its creation (RFC 3339). */
  changedAt?: string;
  /** The field manager of that write ("kubectl-edit", "kubectl-client-side-apply", "helm"…). */
  changedBy?: string;
}

/** A Pod manifest as plain JSON (apiVersion v1, kind Pod); built by probepod, sent as is. */
export type PodManifest = {
  apiVersion: 'v1';
  kind: 'Pod';
  metadata: { generateName?: string; name?: string; namespace: string; labels: Record<string, string>; annotations?: Record<string, string> };
  spec: Record<string, unknown>;
};

export interface ExecRequest {
  namespace: string;
  pod: string;
  container: string;
  command: string[];
  /** The whole exec, handshake to exit status. */
  timeoutMs: number;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** The other pods a watch of one pod reports (KubeClient.watchPod). */
export interface PodSiblings {
  labelSelector: string;
  /** Called for each other pod's ADDED or MODIFIED event. */
  seen: (pod: KPod) => void;
}

export interface WatchOutcome {
  /** The pod for which `until` returned true, else the last one seen. */
  pod?: KPod;
  /** The pod was deleted while watched. */
  deleted: boolean;
  timedOut: boolean;
}

/** Everything the check pipeline asks of the API server. */
export interface KubeClient {
  /** Requests sent so far (retries and websocket upgrades included). */
  readonly requestCount: number;
  getService(namespace: string, name: string): Promise<KService>;
  listServices(namespace: string, labelSelector: string): Promise<KService[]>;
  /** Every Service and EndpointSlice, all namespaces: the conformance sample (manifests/rbac-sample.yaml). */
  listAllServices(): Promise<KService[]>;
  listAllEndpointSlices(): Promise<KEndpointSlice[]>;
  listNodes(): Promise<KNode[]>;
  /** The annotations of a namespace (OpenShift's SCC UID range, for one). */
  namespaceAnnotations(name: string): Promise<Record<string, string>>;
  createService(manifest: ServiceManifest): Promise<KService>;
  /** Deletes; a Service already gone is not an error. */
  deleteService(namespace: string, name: string): Promise<void>;
  listPods(namespace: string, labelSelector: string): Promise<KPod[]>;
  listEndpointSlices(namespace: string, serviceName: string): Promise<KEndpointSlice[]>;
  getConfigMap(namespace: string, name: string): Promise<KConfigMap>;
  /** An apps/v1 Deployment, DaemonSet or StatefulSet; undefined when there is none by that name. */
  getController(kind: KControllerKind, namespace: string, name: string): Promise<KController | undefined>;
  /** Every Event of the namespace (one list: the kubelet's sandbox errors of pods stuck in ContainerCreating). */
  listEvents(namespace: string): Promise<KEvent[]>;
  createPod(manifest: PodManifest): Promise<KPod>;
  /** Deletes at once (grace 0); a pod already gone is not an error. */
  deletePod(namespace: string, name: string): Promise<void>;
  /**
   * Watches one pod from `resourceVersion` until `until(pod)` is true, it is deleted, or the timeout.
   * With `siblings`, the watch covers the pods of that label selector from their current state (the
   * server's synthetic ADDED events), and `siblings.seen` gets every other pod: one request is the list too.
   */
  watchPod(namespace: string, name: string, resourceVersion: string, until: (pod: KPod) => boolean, timeoutMs: number, siblings?: PodSiblings): Promise<WatchOutcome>;
  exec(req: ExecRequest): Promise<ExecResult>;
  /** A TCP connection to a pod's port through pods/portforward (src/kube/portforward.ts). */
  portForward(req: PortForwardRequest): Promise<Duplex>;
  /** SelfSubjectAccessReviews, one per check, in order: may this user do each? */
  reviewAccess(checks: AccessCheck[]): Promise<boolean[]>;
  /** The API server's gitVersion (GET /version). */
  serverVersion(): Promise<string>;
  /** The credentials came from the in-cluster config (a pod's ServiceAccount), not a kubeconfig. */
  readonly inCluster: boolean;
}

export interface PortForwardRequest {
  namespace: string;
  pod: string;
  port: number;
}

/** One SelfSubjectAccessReview's resource attributes. */
export interface AccessCheck {
  verb: string;
  group: string;
  /** "pods", or with a subresource "pods/exec". */
  resource: string;
  namespace?: string;
  name?: string;
}

/** A policy/v1 PodDisruptionBudget: whom it selects and what the disruption controller allows now. */
export interface KPdb {
  name: string;
  matchLabels: Record<string, string>;
  matchExpressions: { key: string; operator: string; values: string[] }[];
  /** Absent spec.selector: selects nothing (policy/v1). */
  hasSelector: boolean;
  disruptionsAllowed: number;
  currentHealthy: number;
  desiredHealthy: number;
}

/** A coordination.k8s.io/v1 Lease, times as RFC 3339 (sent as MicroTime, 6 fractional digits). */
export interface KLease {
  name: string;
  namespace: string;
  /** Empty on create; required on replace (optimistic concurrency). */
  resourceVersion?: string;
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

/** The outcome of asking for an eviction: done, or refused by a PodDisruptionBudget (not an error). */
export type EvictionResult = { evicted: true } | { evicted: false; blockedBy: string; message: string };

/** A core/v1 Event about one object, as this tool reports its actions. */
export interface KEventInput {
  namespace: string;
  involved: { kind: 'Pod' | KControllerKind; name: string; uid?: string; apiVersion: string };
  reason: string;
  /** Any length: createEvent cuts it to the API server's 1024 bytes. */
  message: string;
  type: 'Normal' | 'Warning';
}

export interface KEvent {
  name: string;
  namespace: string;
  resourceVersion: string;
  involvedKind: string;
  involvedName: string;
  reason: string;
  message: string;
  type: string;
  component: string;
}

export interface PodLogOptions {
  container?: string;
  tailLines: number;
  /** The previous (crashed) container's log. */
  previous: boolean;
}

/** What repair asks of the API server, on top of the check pipeline's calls. */
/** Cluster-wide, read-only lists for the conformance sample (--sample-services; manifests/rbac-sample.yaml). */
export type SampleKubeClient = Pick<KubeClient, 'listAllServices' | 'listAllEndpointSlices'>;

export interface RepairKubeClient extends KubeClient {
  /** policy/v1 Eviction; a PDB refusal (429 DisruptionBudget) is a result, not an exception. */
  evictPod(namespace: string, name: string, uid: string, gracePeriodSeconds?: number): Promise<EvictionResult>;
  /** Deletes with the pod's own grace period, or `gracePeriodSeconds` (repair's delete method); uid precondition. */
  deletePodGracefully(namespace: string, name: string, uid: string, gracePeriodSeconds?: number): Promise<void>;
  /**
   * Merge patch of a pod's labels (null removes one) and annotations, with its uid as precondition;
   * false when that pod is gone (deleted, or its name reused by another pod).
   */
  relabelPod(namespace: string, name: string, uid: string, labels: Record<string, string | null>, annotations: Record<string, string>): Promise<boolean>;
  /** Deletes a quarantined pod (manifests/rbac-quarantine.yaml); uid precondition; a pod already gone is fine. */
  deleteQuarantinedPod(namespace: string, name: string, uid: string, gracePeriodSeconds: number): Promise<void>;
  /** `kubectl rollout restart` of a Deployment, DaemonSet or StatefulSet: strategic-merge patch of the restartedAt template annotation. */
  restartController(kind: KControllerKind, namespace: string, name: string, at: Date): Promise<void>;
  readPodLog(namespace: string, name: string, opts: PodLogOptions): Promise<string>;
  /** The dry run's foresight of evictions a PodDisruptionBudget would refuse. */
  listPodDisruptionBudgets(namespace: string): Promise<KPdb[]>;
  /** undefined when there is no such Lease. */
  getLease(namespace: string, name: string): Promise<KLease | undefined>;
  /** 409 AlreadyExists → KubeError conflict. */
  createLease(lease: KLease): Promise<KLease>;
  /** 409 stale resourceVersion → KubeError conflict. */
  replaceLease(lease: KLease): Promise<KLease>;
  /** undefined when there is no such ConfigMap. */
  findConfigMap(namespace: string, name: string): Promise<KConfigMap | undefined>;
  createConfigMap(cm: KConfigMap): Promise<KConfigMap>;
  /** 409 stale resourceVersion → KubeError conflict. */
  replaceConfigMap(cm: KConfigMap): Promise<KConfigMap>;
  createEvent(event: KEventInput): Promise<void>;
}
