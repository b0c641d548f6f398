// A pod that answers no DNS at all gains nothing from a graceful termination: CoreDNS's lameduck keeps
// serving during the grace period, and this pod serves no one. Such a pod is restarted with a short
// grace period (--silent-grace-period), so it leaves at once and its replacement is not held back; a pod
// that still answers something keeps its own grace period. docs/repair.md "Silent pods". Pure.
import type { CheckPlan, ProbeReport } from '../probe/contract.ts';
import type { DnsWorkload } from '../discover/types.ts';
import { unreachedTargets } from '../judge/checks.ts';
import type { RepairAction } from './policy.ts';

/**
 * Uids of the pods whose every probed address got no answer to any sample (not even an error rcode). An
 * address not reached through the API (its tunnel refused) got no question either: that is not silence.
 */
export function silentPodUids(plan: CheckPlan, report: ProbeReport, workload: DnsWorkload): Set<string> {
  const byTarget = new Map(report.targets.map((t) => [t.targetId, t]));
  const unreached = unreachedTargets(report);
  const silent = new Set<string>();
  for (const pod of workload.pods) {
    const targets = plan.targets.filter((t) => t.kind === 'pod' && pod.ips.includes(t.address)).map((t) => byTarget.get(t.id));
    if (targets.length > 0 && targets.every((t) => t !== undefined && t.checks > 0 && t.p50Ms === null && !unreached.has(t.targetId))) silent.add(pod.uid);
  }
  return silent;
}

/** The actions with the short grace period on those that restart only silent pods (never a rollout). */
export function withSilentGrace(actions: RepairAction[], silent: Set<string>, gracePeriodSeconds: number): RepairAction[] {
  return actions.map((a) =>
    a.method !== 'rollout' && a.restarts.length > 0 && a.restarts.every((r) => silent.has(r.uid)) ? { ...a, gracePeriodSeconds } : a,
  );
}
