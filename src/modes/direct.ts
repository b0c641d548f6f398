// Modes `direct` and `in-cluster`: this process sends the plan's queries itself with the probe engine
// (src/probe/run.ts), no pod is created. `in-cluster` runs inside a pod, so the Service IP and pod IPs
// are reachable as from any pod. `direct` runs wherever the tool is (a bastion in the cluster network, a
// flat VPC): it probes the Service IP and the pod IPs only when they are routable from here, and the
// `--dns-address host:port` endpoints (a NodePort or LoadBalancer exposing DNS) as Service targets.
import os from 'node:os';
import type { CheckPlan, Target } from '../probe/contract.ts';
import { runPlan } from '../probe/run.ts';
import type { DnsWorkload } from '../discover/types.ts';
import { anyReachable } from './reach.ts';
import { ModeError } from './errors.ts';
import type { ProbeRunResult } from '../probepod/lifecycle.ts';
import { inProcessResult, NODE_LOCAL_NOTE, type DnsAddress, type Prober, type ScopedPlan } from './types.ts';

export interface DirectOptions {
  mode: 'direct' | 'in-cluster';
  dnsAddresses: DnsAddress[];
  /** Bound on the reachability test (direct only). */
  reachTimeoutMs: number;
}

export const formatAddress = (a: DnsAddress): string => (a.address.includes(':') ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`);

/** `--dns-address` endpoints as Service targets: each stands for the Service it exposes. */
export const addressTargets = (addresses: readonly DnsAddress[]): Target[] =>
  addresses.map((a) => ({ id: `address/${formatAddress(a)}`, address: a.address, port: a.port, kind: 'service', label: `--dns-address ${formatAddress(a)}` }));

/**
 * The plan as `direct` can run it, given which kinds of target answered the reachability test: a kind is
 * kept whole or dropped whole (one pod that does not answer is a finding, not a routing fact). Pure.
 */
export function directScope(plan: CheckPlan, routable: { service: boolean; pods: boolean }, addresses: readonly DnsAddress[]): ScopedPlan {
  const notes: string[] = [];
  const pods = plan.targets.filter((t) => t.kind === 'pod');
  const services = plan.targets.filter((t) => t.kind === 'service');
  const keep: Target[] = [];
  if (services.length && routable.service) keep.push(...services);
  else if (services.length) notes.push(`direct: the Service IP ${services.map((t) => t.address).join(', ')} is not routable from here, not checked${addresses.length ? '' : ' (pass --dns-address for a NodePort or LoadBalancer exposing DNS)'}`);
  if (pods.length && routable.pods) keep.push(...pods);
  else if (pods.length) notes.push(`direct: pod IPs are not routable from here, the ${pods.length} CoreDNS pod target(s) were not checked one by one (use --mode port-forward or probe-pod for per-pod checks)`);
  const caches = plan.targets.filter((t) => t.kind === 'node-local');
  if (caches.length) notes.push(NODE_LOCAL_NOTE('direct', caches));
  keep.push(...addressTargets(addresses));
  return { plan: { ...plan, targets: keep }, notes };
}

export function directProber(o: DirectOptions): Prober {
  return {
    mode: o.mode,
    async prepare(plan: CheckPlan, _workload: DnsWorkload): Promise<ScopedPlan> {
      let scoped: ScopedPlan;
      if (o.mode === 'in-cluster') scoped = { plan: { ...plan, targets: [...plan.targets, ...addressTargets(o.dnsAddresses)] }, notes: [] };
      else {
        const of = (kind: Target['kind']) => plan.targets.filter((t) => t.kind === kind);
        const [service, pods] = await Promise.all([anyReachable(of('service'), o.reachTimeoutMs), anyReachable(of('pod'), o.reachTimeoutMs)]);
        scoped = directScope(plan, { service, pods }, o.dnsAddresses);
      }
      if (scoped.plan.targets.length === 0)
        throw new ModeError('direct mode: neither the Service IP nor any pod IP is routable from here', 'pass --dns-address HOST:PORT (a NodePort or LoadBalancer exposing DNS), or use --mode port-forward or probe-pod');
      return scoped;
    },
    async run(plan: CheckPlan): Promise<ProbeRunResult[]> {
      const started = Date.now();
      const report = await runPlan(plan);
      // In a pod, the hostname is the pod's name: the report names the pod that probed, as for probe pods.
      return [inProcessResult(report, plan, o.mode, o.mode === 'in-cluster' ? os.hostname() : '', Date.now() - started)];
    },
  };
}
