// `--mode auto`: which modes can run here, from what the API server allows (SelfSubjectAccessReviews)
// and, for direct, whether the pod IPs answer from here; then the most complete one. Completeness:
// per-pod UDP+TCP from the pod network first (in-cluster when running in a pod, else probe-pod — the
// default when allowed), then per-pod UDP+TCP from here (direct with routable pods), then per-pod TCP
// through tunnels (port-forward), then the Service alone (direct to the Service IP or --dns-address).
import type { ConcreteMode } from './types.ts';

export interface ModeFacts {
  /** Running in a pod with its ServiceAccount (in-cluster config). */
  inCluster: boolean;
  /** The DNS workload can be read (every mode needs it). */
  read: boolean;
  probePod: boolean;
  portForward: boolean;
  /** From the reachability test; undefined when it was not needed. */
  podsRoutable?: boolean;
  serviceRoutable?: boolean;
  /** --dns-address endpoints given. */
  dnsAddresses: number;
}

export type ModeDecision =
  | { mode: ConcreteMode; why: string; cannot: string[] }
  | { mode: undefined; why: string; fix: string };

/** The reachability test is needed only when nothing from the pod network is possible. Pure. */
export const needsReachability = (f: Omit<ModeFacts, 'podsRoutable' | 'serviceRoutable'>): boolean => f.read && !f.inCluster && !f.probePod;

/** The mode auto picks, why, and what that mode cannot check. Pure. */
export function decideMode(f: ModeFacts): ModeDecision {
  if (!f.read) return { mode: undefined, why: 'the DNS workload cannot be read (every mode needs it)', fix: 'bind manifests/rbac-direct.yaml (read-only) or a manifest of the mode you want' };
  if (f.inCluster) return { mode: 'in-cluster', why: 'running in a pod: probing from this process, already in the pod network', cannot: [] };
  const noPod = 'no permission to create and exec into a probe pod';
  if (f.probePod) return { mode: 'probe-pod', why: 'allowed to create and exec into a probe pod: per-pod UDP and TCP from the pod network', cannot: [] };
  if (f.podsRoutable) {
    const cannot = f.serviceRoutable || f.dnsAddresses ? [] : ['the Service IP (not routable from here)'];
    return { mode: 'direct', why: `${noPod}; pod IPs are routable from here: per-pod UDP and TCP from this process`, cannot };
  }
  if (f.portForward) return { mode: 'port-forward', why: `${noPod}; pods/portforward allowed and pod IPs not routable from here: per-pod checks over TCP through tunnels`, cannot: ['UDP (pods/portforward carries TCP only)', 'the Service IP (a tunnel reaches a pod, not the Service)'] };
  if (f.serviceRoutable || f.dnsAddresses)
    return { mode: 'direct', why: `${noPod}, no pods/portforward, pod IPs not routable: checking the Service ${f.dnsAddresses ? 'through --dns-address' : 'IP'} from here`, cannot: ['each CoreDNS pod on its own (pod IPs not routable)'] };
  return {
    mode: undefined,
    why: `${noPod}, no pods/portforward, and neither pod IPs nor the Service IP are routable from here`,
    fix: 'bind manifests/rbac-portforward.yaml (port-forward) or manifests/rbac-check.yaml (probe pod), or pass --dns-address HOST:PORT',
  };
}

/** The one line auto prints. */
export const decisionLine = (d: Extract<ModeDecision, { mode: ConcreteMode }>): string =>
  `mode: ${d.mode} (auto: ${d.why})${d.cannot.length ? `; cannot check: ${d.cannot.join(', ')}` : ''}`;
