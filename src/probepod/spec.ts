// The probe pod: a Pod Security "restricted" pod (and OpenShift restricted-v2) that idles until the
// probe is exec'd in it, then is deleted. Pure: options in, a plain Pod manifest out.
// docs/real-clusters.md: what real clusters do to it, and how each choice here answers.
import type { PodManifest } from '../kube/index.ts';
import { PROBE_NODE_OPTIONS, type CheckPlan } from '../probe/contract.ts';
import { DEFAULTS } from '../common/defaults.ts';
import { PLAN_FILE, PLAN_MOUNT, PLAN_VOLUME, planAnnotation } from './plan-file.ts';

export const DEFAULT_PROBE_IMAGE = DEFAULTS.probe.image;
export const CONTAINER = 'probe';
export const LABELS = {
  name: 'app.kubernetes.io/name',
  managedBy: 'app.kubernetes.io/managed-by',
  runId: 'coredns-sentinel/run-id',
} as const;
export const PROBE_SELECTOR = `${LABELS.name}=coredns-sentinel-probe,${LABELS.managedBy}=coredns-sentinel`;
export const PROBE_PATH_IN_IMAGE = '/probe/probe.cjs';
export const PROBE_ENV = 'SENTINEL_PROBE_JS';
/** The probe container's memory request and limit: the probe and its idle keep-alive share it. */
export const PROBE_MEMORY_MIB = 64;

export interface Toleration {
  key?: string;
  operator?: 'Exists' | 'Equal';
  value?: string;
  effect?: string;
}

/** A node a probe pod is pinned to, with the taints it must tolerate there. */
export interface PinnedNode {
  name: string;
  taints: { key: string; value?: string; effect: string }[];
}

/**
 * Labels and annotations that keep service meshes' injectors away: an injected istio-init needs
 * NET_ADMIN/NET_RAW (refused by Pod Security restricted) and Istio's DNS proxy would answer the probe's
 * queries instead of CoreDNS. Istio reads the label (preferred) and the annotation
 * (istio.io/latest/docs/setup/additional-setup/sidecar-injection/#controlling-the-injection-policy);
 * Linkerd reads the annotation (linkerd.io/2/features/proxy-injection/).
 */
export const MESH_OPT_OUT = {
  labels: { 'sidecar.istio.io/inject': 'false' },
  annotations: { 'sidecar.istio.io/inject': 'false', 'linkerd.io/inject': 'disabled' },
} as const;

/**
 * Within common LimitRanges' maxLimitRequestRatio (2 here for every resource), and with an
 * ephemeral-storage request and limit for quotas that require them (kubernetes.io/docs/concepts/policy/
 * limit-range/, …/resource-quotas/#quota-for-local-ephemeral-storage).
 */
export const PROBE_RESOURCES = {
  requests: { cpu: '100m', memory: `${PROBE_MEMORY_MIB}Mi`, 'ephemeral-storage': '16Mi' },
  limits: { cpu: '200m', memory: `${PROBE_MEMORY_MIB}Mi`, 'ephemeral-storage': '32Mi' },
} as const;

/** The user the probe runs as, unless the namespace's SecurityContextConstraints assign one. */
export const PROBE_UID = 65534;

export interface ProbePodOptions {
  namespace: string;
  image: string;
  runId: string;
  /** What the probe runs: carried by the pod (plan-file.ts); none for a pod that runs no plan. */
  plan?: CheckPlan;
  /** The bundled probe program, for stock node images (passed as env, eval'd by the exec). */
  probeSource?: string;
  /** The pod fails itself after this long (activeDeadlineSeconds) if we never get to delete it. */
  deadlineSeconds: number;
  /** Pins the pod to this node and tolerates its taints. */
  node?: PinnedNode;
  /**
   * OpenShift: the namespace's SCC (restricted-v2, MustRunAsRange) assigns the UID and GID from the
   * namespace's range and refuses any other, so the pod sets none.
   */
  sccAssignsIds?: boolean;
  nodeSelector: Record<string, string>;
  tolerations: Toleration[];
  imagePullSecrets: string[];
}

/** The dedicated probe image of a release (probe-image/Dockerfile builds it): the default image's fallback. */
export const dedicatedProbeImage = (version: string): string => `ghcr.io/coredns-sentinel/probe:${version}`;

/** "dedicated": ghcr.io/coredns-sentinel/probe carries the probe; "inline": a stock node image gets it by env. */
export function probeImageMode(image: string): 'dedicated' | 'inline' {
  return imageRepository(image).endsWith('coredns-sentinel/probe') ? 'dedicated' : 'inline';
}

/** The image reference without digest or tag: "docker.io/library/node:22-alpine" → "docker.io/library/node". */
const imageRepository = (image: string): string => image.split('@')[0]!.replace(/:[^/:]*$/, '');

/** Where distroless's node images, and the dedicated probe image built on one, keep node: not on PATH. */
export const DISTROLESS_NODE = '/nodejs/bin/node';

/**
 * The node to run in the image: distroless node images keep it at /nodejs/bin/node, off their PATH (an
 * exec of a bare `node` finds nothing there, and they have no shell); the others have it on PATH.
 */
export function nodeBinary(image: string): string {
  const distroless = /(?:^|\/)distroless\/nodejs\d*(?:-debian\d+)?$/.test(imageRepository(image));
  return distroless || probeImageMode(image) === 'dedicated' ? DISTROLESS_NODE : 'node';
}

/**
 * The argv that runs the probe inside the pod, on the plan the pod carries (plan-file.ts): the same
 * whatever the plan. Node starts with PROBE_NODE_OPTIONS so the probe fits the pod's 64 Mi memory limit.
 */
export function probeCommand(image: string): string[] {
  const node = nodeBinary(image);
  return probeImageMode(image) === 'dedicated'
    ? [node, ...PROBE_NODE_OPTIONS, PROBE_PATH_IN_IMAGE, '--plan-file', PLAN_FILE]
    : [node, ...PROBE_NODE_OPTIONS, '-e', `eval(process.env.${PROBE_ENV})`, '--', '--plan-file', PLAN_FILE];
}

/**
 * Docker Hub's official node images (Alpine's busybox, Debian's coreutils) have sleep. Idling with it
 * instead of a second node costs the pod ~50 ms of CPU and ~6 MiB less; other node images (distroless,
 * Chainguard's) may hold nothing but node.
 */
export function hasSleep(image: string): boolean {
  return /^(?:(?:docker\.io|index\.docker\.io|registry-1\.docker\.io)\/)?(?:library\/)?node$/.test(imageRepository(image));
}

/** What the container runs until the probe is exec'd: it replaces the image's entrypoint (the dedicated image's is the probe itself). */
function keepAlive(opts: ProbePodOptions): Record<string, unknown> {
  const idle = hasSleep(opts.image) ? ['sleep', String(opts.deadlineSeconds)] : [nodeBinary(opts.image), '-e', `setTimeout(() => {}, ${opts.deadlineSeconds * 1000})`];
  if (probeImageMode(opts.image) === 'dedicated') return { command: idle };
  if (!opts.probeSource) throw new Error('a stock node probe image needs the probe source');
  return { command: idle, env: [{ name: PROBE_ENV, value: opts.probeSource }] };
}

/** Tolerations for exactly the taints that keep pods off a node (PreferNoSchedule does not). Pure. */
export function tolerationsFor(node: PinnedNode): Toleration[] {
  return node.taints
    .filter((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute')
    .map((t) => ({ key: t.key, ...(t.value ? { operator: 'Equal' as const, value: t.value } : { operator: 'Exists' as const }), effect: t.effect }));
}

/**
 * Pinned like the DaemonSet controller pins its pods: nodeAffinity on the field metadata.name, since a
 * node's kubernetes.io/hostname label need not be its name (EKS: ip-10-0-1-5.ec2.internal is labelled
 * ip-10-0-1-5; kubernetes pkg/controller/daemon/util/daemonset_util.go ReplaceDaemonSetPodNodeNameNodeAffinity).
 */
function pinnedTo(node: string): Record<string, unknown> {
  return { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] }] } } };
}

export function buildProbePod(opts: ProbePodOptions): PodManifest {
  // Linux always: the probe images are Linux-only and a Windows node would fail the pull.
  const nodeSelector = { 'kubernetes.io/os': 'linux', ...opts.nodeSelector };
  const tolerations = [...opts.tolerations, ...(opts.node ? tolerationsFor(opts.node) : [])];
  const ids = opts.sccAssignsIds ? {} : { runAsUser: PROBE_UID, runAsGroup: PROBE_UID };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: 'coredns-sentinel-probe-',
      namespace: opts.namespace,
      labels: { [LABELS.name]: 'coredns-sentinel-probe', [LABELS.managedBy]: 'coredns-sentinel', [LABELS.runId]: opts.runId, ...MESH_OPT_OUT.labels },
      annotations: { ...(opts.plan && planAnnotation(opts.plan)), ...MESH_OPT_OUT.annotations },
    },
    spec: {
      restartPolicy: 'Never',
      activeDeadlineSeconds: opts.deadlineSeconds,
      terminationGracePeriodSeconds: 0,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      securityContext: { runAsNonRoot: true, ...ids, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [
        {
          name: CONTAINER,
          image: opts.image,
          ...keepAlive(opts),
          securityContext: {
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            runAsNonRoot: true,
            ...(opts.sccAssignsIds ? {} : { runAsUser: PROBE_UID }),
            capabilities: { drop: ['ALL'] },
            seccompProfile: { type: 'RuntimeDefault' },
          },
          resources: { requests: { ...PROBE_RESOURCES.requests }, limits: { ...PROBE_RESOURCES.limits } },
          volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }, PLAN_MOUNT],
        },
      ],
      volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '8Mi' } }, PLAN_VOLUME],
      nodeSelector,
      ...(opts.node ? { affinity: pinnedTo(opts.node.name) } : {}),
      ...(tolerations.length ? { tolerations } : {}),
      ...(opts.imagePullSecrets.length ? { imagePullSecrets: opts.imagePullSecrets.map((name) => ({ name })) } : {}),
    },
  };
}

/** "dedicated=probe:NoSchedule", "dedicated:NoSchedule", "dedicated" → a Toleration; undefined when malformed. */
export function parseToleration(text: string): Toleration | undefined {
  const m = /^([A-Za-z0-9./_-]+)(?:=([A-Za-z0-9._-]*))?(?::(NoSchedule|PreferNoSchedule|NoExecute))?$/.exec(text);
  if (!m) return undefined;
  return { key: m[1]!, operator: m[2] === undefined ? 'Exists' : 'Equal', ...(m[2] !== undefined ? { value: m[2] } : {}), ...(m[3] ? { effect: m[3] } : {}) };
}
