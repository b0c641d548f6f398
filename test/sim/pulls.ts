// Image pulls as a node's kubelet and containerd do them: each node keeps the images it pulled, a
// container whose policy is IfNotPresent (the default for a tagged image) starts from that copy, any
// other pull asks the registry (test/sim/registry.ts: its outcome, a rate limit's allowance) and takes
// its time. The kubelet's Events, worded as pkg/kubelet/images/image_manager.go words them: Pulling,
// Pulled ("Successfully pulled image %q in %v (%v including waiting). Image size: %v bytes." or
// "Container image %q already present on machine"), and Failed on an error.
import type { Store } from './store.ts';
import type { FaultState } from './faults.ts';
import { recordPodEvent } from './events.ts';
import { pullFailure, registryHost } from './registry.ts';
import type { ImageKind } from './images.ts';

export interface PullTiming {
  /** How long a pull takes, ms, by default (short: the suites start many pods). */
  ms?: number;
  /** By registry host (docker.io, ghcr.io, registry.k8s.io, …), ms. */
  perHost?: Record<string, number>;
}

export const DEFAULT_PULL_MS = 50;

/** A pull's duration as Go's time.Duration prints it, truncated to the millisecond: 717ms, 1.2s, 1m0.809s. */
export function goDuration(ms: number): string {
  const whole = Math.max(0, Math.floor(ms));
  if (whole < 1000) return `${whole}ms`;
  const minutes = Math.floor(whole / 60_000);
  const seconds = ((whole % 60_000) / 1000).toFixed(3).replace(/\.?0+$/, '');
  return minutes ? `${minutes}m${seconds}s` : `${seconds}s`;
}

/** Compressed sizes of the images the sim plays, roughly as their registries list them. */
const IMAGE_BYTES: Record<ImageKind, number> = { node: 56_437_288, probe: 46_189_420, coredns: 18_562_039, aux: 320_368, other: 5_000_000 };

/** imagePullPolicy's default: Always for :latest or no tag, IfNotPresent otherwise (pkg/apis/core/v1/defaults.go). */
export function pullPolicy(image: string, policy: string | undefined): string {
  if (policy) return policy;
  if (image.includes('@')) return 'IfNotPresent';
  const tag = /:([^/:]+)$/.exec(image)?.[1];
  return tag === undefined || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

export interface PullingPod {
  namespace: string;
  name: string;
  uid: string;
  node: string;
}

export class ImagePuller {
  /** Node → the images it holds. */
  private readonly held = new Map<string, Set<string>>();

  constructor(
    private readonly store: Store,
    private readonly faults: FaultState,
    private readonly timing: PullTiming = {},
  ) {}

  /** Resolves when the image is on the pod's node, or to containerd's error when it cannot be pulled. */
  async pull(pod: PullingPod, image: string, kind: ImageKind, playable: boolean, policy: string | undefined, stillWanted: () => boolean): Promise<string | undefined> {
    const event = (reason: string, message: string, type: 'Normal' | 'Warning' = 'Normal') =>
      recordPodEvent(this.store, { metadata: { namespace: pod.namespace, name: pod.name, uid: pod.uid } }, { reason, message, type, component: 'kubelet', host: pod.node });
    const held = this.held.get(pod.node) ?? new Set<string>();
    this.held.set(pod.node, held);
    if (held.has(image) && pullPolicy(image, policy) !== 'Always') return void event('Pulled', `Container image "${image}" already present on machine`);
    event('Pulling', `Pulling image "${image}"`);
    const host = registryHost(image);
    // A rate limit switched on "after N pulls" lets N more through (Docker Hub counts manifest requests).
    const allowance = this.faults.registryAllowance.get(host) ?? 0;
    const spared = this.faults.registries.get(host) === 'rate-limited' && allowance > 0;
    if (spared) this.faults.registryAllowance.set(host, allowance - 1);
    const failure = pullFailure(image, playable, spared ? new Map() : this.faults.registries, this.faults.unpullableImages);
    if (failure) {
      event('Failed', `Failed to pull image "${image}": ${failure}`, 'Warning');
      return failure;
    }
    const ms = this.timing.perHost?.[host] ?? this.timing.ms ?? DEFAULT_PULL_MS;
    const started = Date.now();
    await new Promise((r) => setTimeout(r, ms));
    if (!stillWanted()) return undefined;
    held.add(image);
    const took = goDuration(Date.now() - started);
    event('Pulled', `Successfully pulled image "${image}" in ${took} (${took} including waiting). Image size: ${IMAGE_BYTES[kind]} bytes.`);
    return undefined;
  }
}
