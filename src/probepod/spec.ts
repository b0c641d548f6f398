// The probe pod: a Pod Security "restricted" pod that idles until the probe is exec'd in it, then is
// deleted. Pure: options in, a plain Pod manifest out.
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

export interface ProbePodOptions {
  namespace: string;
  image: string;
  runId: string;
  /** What the probe runs: carried by the pod (plan-file.ts). */
  plan: CheckPlan;
  /** The bundled probe program, for stock node images (passed as env, eval'd by the exec). */
  probeSource?: string;
  /** The pod fails itself after this long (activeDeadlineSeconds) if we never get to delete it. */
  deadlineSeconds: number;
  /** Pins the pod to this node (nodeSelector kubernetes.io/hostname keeps the scheduler's checks). */
  node?: string;
  nodeSelector: Record<string, string>;
  tolerations: Toleration[];
  imagePullSecrets: string[];
}

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

export function buildProbePod(opts: ProbePodOptions): PodManifest {
  const nodeSelector = { ...opts.nodeSelector, ...(opts.node ? { 'kubernetes.io/hostname': opts.node } : {}) };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: 'coredns-sentinel-probe-',
      namespace: opts.namespace,
      labels: { [LABELS.name]: 'coredns-sentinel-probe', [LABELS.managedBy]: 'coredns-sentinel', [LABELS.runId]: opts.runId },
      annotations: planAnnotation(opts.plan),
    },
    spec: {
      restartPolicy: 'Never',
      activeDeadlineSeconds: opts.deadlineSeconds,
      terminationGracePeriodSeconds: 0,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      securityContext: { runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [
        {
          name: CONTAINER,
          image: opts.image,
          ...keepAlive(opts),
          securityContext: {
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            runAsNonRoot: true,
            runAsUser: 65534,
            capabilities: { drop: ['ALL'] },
            seccompProfile: { type: 'RuntimeDefault' },
          },
          resources: { requests: { cpu: '50m', memory: `${PROBE_MEMORY_MIB}Mi` }, limits: { cpu: '500m', memory: `${PROBE_MEMORY_MIB}Mi` } },
          volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }, PLAN_MOUNT],
        },
      ],
      volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '8Mi' } }, PLAN_VOLUME],
      ...(Object.keys(nodeSelector).length ? { nodeSelector } : {}),
      ...(opts.tolerations.length ? { tolerations: opts.tolerations } : {}),
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
