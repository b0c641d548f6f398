// The discover stage as every command runs it: the workload the flags name, or the one discovery finds
// (kubeadm, RKE2, OpenShift … names, the pods' nameserver in a pod). check, watch, auto's mode decision
// and doctor all ask this one function, so they never disagree on where cluster DNS is or its ports.
// From outside the cluster, when the known names find nothing, one probe pod reads the nameserver the
// kubelet gives pods: the ClusterIP of the DNS Service, whatever it is named.
import { discoverWorkload, DiscoverError, type DiscoverClient } from '../discover/discover.ts';
import type { DnsWorkload } from '../discover/types.ts';
import { anyReachable } from '../modes/reach.ts';
import type { Scope } from '../modes/access.ts';
import { sccAssignsIds } from '../modes/probepod.ts';
import { readPodNameserver } from '../probepod/lifecycle.ts';
import { DEFAULTS } from '../common/defaults.ts';
import { Interrupted } from '../common/abort.ts';
import { lineOf } from '../common/errors.ts';
import { interruptibleClient, KubeError, signalOf } from '../kube/index.ts';
import type { CycleContext } from './context.ts';
import { probePodSettings } from './probepod-settings.ts';
import type { CheckSettings } from './settings.ts';

/** The nameserver a probe pod read, per context: watch's later cycles reuse it (one extra pod per run). */
const podNameservers = new WeakMap<CycleContext, { nameserver: string; note: string }>();

/**
 * Whether a failed discovery may ask a probe pod for the pods' nameserver: nothing was found under the
 * known names, no flag said where to look, no nameserver is known yet, and the mode runs probe pods.
 */
export function asksProbePod(err: unknown, s: Pick<CheckSettings, 'discover' | 'mode'>, nameserver: string | undefined): boolean {
  const d = s.discover;
  return err instanceof DiscoverError && err.kind === 'no-service' && nameserver === undefined &&
    d.namespace === undefined && d.service === undefined && d.selector === undefined && (s.mode === 'auto' || s.mode === 'probe-pod');
}

/** `client`: the context's, or a view of it that a signal stops (src/kube/interruptible.ts). */
export async function discoverDns(ctx: CycleContext, client: DiscoverClient = ctx.client): Promise<DnsWorkload> {
  const d = ctx.settings.discover;
  const discover = (nameserver: string | undefined) =>
    discoverWorkload(client, {
      ...(d.namespace !== undefined && { namespace: d.namespace }),
      ...(d.selector !== undefined && { labelSelector: d.selector }),
      ...(d.service !== undefined && { serviceName: d.service }),
      ...(d.configmap !== undefined && { configMapName: d.configmap }),
      ...(nameserver && { nameserver }),
      ...(ctx.settings.plan.clusterDomain && { clusterDomain: ctx.settings.plan.clusterDomain }),
    });
  const known = ctx.nameserver === undefined ? podNameservers.get(ctx) : undefined;
  try {
    const workload = await discover(ctx.nameserver ?? known?.nameserver);
    return known ? { ...workload, notes: [known.note, ...(workload.notes ?? [])] } : workload;
  } catch (err) {
    if (known || !asksProbePod(err, ctx.settings, ctx.nameserver)) throw err;
    const read = await nameserverFromPod(ctx, err as DiscoverError, signalOf(client));
    podNameservers.set(ctx, read);
    const workload = await discover(read.nameserver);
    return { ...workload, notes: [read.note, ...(workload.notes ?? [])] };
  }
}

/**
 * One probe pod prints its /etc/resolv.conf: made on the context's client, so that after `signal` (the
 * discovery's) it is still deleted, as every probe pod is. It is not reused for the probe: the plan
 * rides in the pod's annotation, which the kubelet shows the container only at its next sync (up to a
 * minute).
 */
async function nameserverFromPod(ctx: CycleContext, notFound: DiscoverError, signal: AbortSignal | undefined): Promise<{ nameserver: string; note: string }> {
  const settings = probePodSettings(ctx, signal ? { signal } : {});
  let read: Awaited<ReturnType<typeof readPodNameserver>>;
  try {
    const sccAssigns = await sccAssignsIds(interruptibleClient(ctx.client, signal), settings.namespace);
    read = await readPodNameserver(ctx.client, { ...settings, sccAssignsIds: sccAssigns });
  } catch (err) {
    if (err instanceof Interrupted || (err instanceof KubeError && (err.kind === 'unreachable' || err.kind === 'unauthorized'))) throw err;
    throw new DiscoverError('no-service', `${notFound.message}; a probe pod to read the pods' nameserver could not run: ${lineOf(err)}`, notFound.hint);
  }
  if (!read.nameserver) throw new DiscoverError('no-service', `${notFound.message}; probe pod ${read.pod}'s /etc/resolv.conf names no nameserver`, notFound.hint);
  const note = `no DNS Service under the known names: probe pod ${read.pod} read the pods' nameserver ${read.nameserver} from its /etc/resolv.conf (one extra probe pod, deleted; not reused for the probe, whose plan the pod must carry from its start)`;
  return { nameserver: read.nameserver, note };
}

/** Where the access questions point: the discovered workload's namespace and Service, else kubeadm's names. */
export const accessScope = (ctx: CycleContext, workload?: DnsWorkload): Scope => ({
  namespace: workload?.namespace ?? ctx.settings.namespace,
  service: workload?.service.name ?? ctx.settings.service,
  probeNamespace: ctx.probeNamespace,
});

/**
 * Does anything answer from here: a DNS pod IP on the port its DNS server listens on (5353 on OpenShift,
 * where the Service maps 53 to it), and the Service IP on the Service's port.
 */
export async function routability(workload: DnsWorkload): Promise<{ pods: boolean; service: boolean }> {
  const timeout = DEFAULTS.modes.reachTimeoutMs;
  const [pods, service] = await Promise.all([
    anyReachable(workload.pods.flatMap((p) => p.ips.map((address) => ({ address, port: p.ports?.udp ?? workload.service.port }))), timeout),
    anyReachable(workload.service.clusterIPs.map((address) => ({ address, port: workload.service.port })), timeout),
  ]);
  return { pods, service };
}
