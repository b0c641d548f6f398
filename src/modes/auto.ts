// `--mode auto`: which modes can run here, from what the API server allows (SelfSubjectAccessReviews)
// and, for direct, whether the pod IPs answer from here; then the most complete one — each mode's entry
// in src/modes/registry.ts says when it can run and how complete it is.
import { MODE_REGISTRY, type AutoCandidate, type ModeFacts } from './registry.ts';
import type { ConcreteMode } from './types.ts';

export type { ModeFacts };

export type ModeDecision =
  | { mode: ConcreteMode; why: string; cannot: string[] }
  | { mode: undefined; why: string; fix: string };

const best = (f: ModeFacts): (AutoCandidate & { mode: ConcreteMode }) | undefined =>
  MODE_REGISTRY.flatMap((m) => {
    const c = m.auto(f);
    return c ? [{ ...c, mode: m.name }] : [];
  }).sort((a, b) => a.rank - b.rank)[0];

/**
 * The reachability test is needed only when routable addresses could pick a more complete mode than
 * what access alone allows (nothing from the pod network is possible). Pure.
 */
export function needsReachability(f: Omit<ModeFacts, 'podsRoutable' | 'serviceRoutable'>): boolean {
  if (!f.read) return false;
  const now = best(f);
  const routed = best({ ...f, podsRoutable: true, serviceRoutable: true });
  return !now || (routed !== undefined && routed.rank < now.rank);
}

/** The mode auto picks, why, and what that mode cannot check. Pure. */
export function decideMode(f: ModeFacts): ModeDecision {
  if (!f.read) return { mode: undefined, why: 'the DNS workload cannot be read (every mode needs it)', fix: 'bind manifests/rbac-direct.yaml (read-only) or a manifest of the mode you want' };
  const pick = best(f);
  if (pick) return { mode: pick.mode, why: pick.why, cannot: pick.cannot };
  return {
    mode: undefined,
    why: 'no permission to create and exec into a probe pod, no pods/portforward, and neither pod IPs nor the Service IP are routable from here',
    fix: 'bind manifests/rbac-portforward.yaml (port-forward) or manifests/rbac-check.yaml (probe pod), or pass --dns-address HOST:PORT',
  };
}

/** The one line auto prints. */
export const decisionLine = (d: Extract<ModeDecision, { mode: ConcreteMode }>): string =>
  `mode: ${d.mode} (auto: ${d.why})${d.cannot.length ? `; cannot check: ${d.cannot.join(', ')}` : ''}`;
