// The discover stage as every command runs it: the workload the flags name, or the one discovery finds
// (kubeadm, RKE2, OpenShift … names, the pods' nameserver in a pod). check, watch, auto's mode decision
// and doctor all ask this one function, so they never disagree on where cluster DNS is or its ports.
import { discoverWorkload, type DiscoverClient } from '../discover/discover.ts';
import type { DnsWorkload } from '../discover/types.ts';
import { anyReachable } from '../modes/reach.ts';
import type { Scope } from '../modes/access.ts';
import { DEFAULTS } from '../common/defaults.ts';
import type { CycleContext } from './context.ts';

/** `client`: the context's, or a view of it that a signal stops (src/kube/interruptible.ts). */
export function discoverDns(ctx: CycleContext, client: DiscoverClient = ctx.client): Promise<DnsWorkload> {
  const d = ctx.settings.discover;
  return discoverWorkload(client, {
    ...(d.namespace !== undefined && { namespace: d.namespace }),
    ...(d.selector !== undefined && { labelSelector: d.selector }),
    ...(d.service !== undefined && { serviceName: d.service }),
    ...(d.configmap !== undefined && { configMapName: d.configmap }),
    ...(ctx.nameserver && { nameserver: ctx.nameserver }),
    ...(ctx.settings.plan.clusterDomain && { clusterDomain: ctx.settings.plan.clusterDomain }),
  });
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
