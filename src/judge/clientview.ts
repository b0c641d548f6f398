// The client's view, judged: answers that came only after a retry (or never) on the Service IP while
// the pod IPs answer at once are the conntrack insertion race of the probe's node — a node problem,
// never a CoreDNS restart. Pure: findings become report notes naming the node.
import type { CheckPlan, ClientViewResult } from '../probe/contract.ts';

/**
 * `failing`: pod targets the judge found failing — their lost queries are their own failure, not the path's
 * (a failing Service IP is what the conntrack race looks like, so the engine passes pods only).
 * Bursts at targets no longer in the plan (terminating pods, left out of the judgement) say nothing either.
 */
export function clientViewFindings(plan: CheckPlan, view: ClientViewResult, node: string, failing: ReadonlySet<string> = new Set()): string[] {
  const label = new Map(plan.targets.map((t) => [t.id, t]));
  const late = view.bursts.filter((b) => b.afterRetry + b.lost > 0 && label.has(b.targetId) && !failing.has(b.targetId));
  if (late.length === 0) return [];
  const servicesOnly = late.every((b) => label.get(b.targetId)?.kind === 'service') && view.bursts.some((b) => label.get(b.targetId)?.kind === 'pod');
  const where = `from node ${node || '(unknown)'}`;
  return late.map((b) => {
    const t = label.get(b.targetId);
    const what = `client view ${where}: ${b.afterRetry} of ${b.queries} A/AAAA queries to ${t?.label ?? b.targetId} answered only after a retry, ${b.lost} never`;
    return servicesOnly
      ? `${what} — while every pod IP answered at once: the conntrack insertion race on that node's Service DNAT (clients stall 5 s); a node problem, no CoreDNS restart — use NodeLocal DNSCache, or single-request-reopen for glibc clients`
      : `${what} — the path from that node loses UDP; a node or network problem, no CoreDNS restart by itself`;
  });
}
