// Freshness: is every CoreDNS pod still watching the API? CoreDNS pods whose Kubernetes watch went
// stale keep answering old data — NXDOMAIN for new Services — and their ready plugin never notices.
// Each cycle creates a short-lived canary Service (ClusterIP, no selector, labelled as ours) in the
// probe namespace before the probe pod starts (its start gives the watch time to deliver it); every
// pod must then answer the canary's A (or AAAA) record with its ClusterIP. A pod that does not, while its peers
// do, is stale: pod-local and repairable like any pod-local failure. When no pod answers it, every pod
// is asked once more a little later (the second look); still none means every pod is stale. The canary
// is deleted at the end
// of the cycle. Canaries of killed runs are swept like probe pods: at once when their run is provably
// dead (its owner annotations, src/common/owner.ts), else once past CANARY_TTL_MS; `cleanup --all`
// deletes every one.
import { randomBytes } from 'node:crypto';
import type { KService, KubeClient } from '../kube/index.ts';
import type { CheckPlan, ProbeReport, Query } from '../probe/contract.ts';
import { currentOwner, ownerAnnotations, ownerDead, type RunOwner } from '../common/owner.ts';

export const CANARY_LABELS = { 'app.kubernetes.io/managed-by': 'coredns-sentinel', 'coredns-sentinel/role': 'freshness-canary' } as const;
export const CANARY_SELECTOR = Object.entries(CANARY_LABELS).map(([k, v]) => `${k}=${v}`).join(',');
export const FRESHNESS_QUERY_ID = 'freshness';
/** A canary older than this belongs to a run that died: no cycle keeps one longer. */
export const CANARY_TTL_MS = 10 * 60_000;

export interface Canary {
  name: string;
  namespace: string;
  clusterIP: string;
}

/** A canary's name, chosen before its create so that a create cut short can be deleted by name. */
export const canaryName = (): string => `coredns-sentinel-canary-${randomBytes(4).toString('hex')}`;

export async function createCanary(client: KubeClient, namespace: string, name = canaryName()): Promise<Canary> {
  const created = await client.createService({ namespace, name, labels: { ...CANARY_LABELS }, annotations: ownerAnnotations(currentOwner()) });
  return { name, namespace, clusterIP: created.clusterIPs[0] ?? '' };
}

const ours = (s: KService) => Object.entries(CANARY_LABELS).every(([k, v]) => s.labels?.[k] === v);

/** Canaries of runs that were killed: provably dead (same host and boot, process gone), or past their TTL. Pure but for `dead`. */
export function staleCanaries(services: KService[], now: number, dead: (annotations: Record<string, string>) => boolean = () => false): KService[] {
  return services.filter((s) => {
    if (!ours(s)) return false;
    if (dead(s.annotations ?? {})) return true;
    const created = s.creationTimestamp ? Date.parse(s.creationTimestamp) : NaN;
    return Number.isFinite(created) && created + CANARY_TTL_MS < now;
  });
}

/** Deletes canaries left by killed runs (with `all`, every canary of this tool: runs still going lose theirs); returns their names. */
export async function sweepCanaries(client: KubeClient, namespace: string, now = Date.now(), opts: { all?: boolean; self?: RunOwner } = {}): Promise<string[]> {
  const self = opts.self ?? currentOwner();
  const listed = await client.listServices(namespace, CANARY_SELECTOR);
  const doomed = opts.all ? listed.filter(ours) : staleCanaries(listed, now, (a) => ownerDead(a, self));
  await Promise.all(doomed.map((s) => client.deleteService(s.namespace || namespace, s.name)));
  return doomed.map((s) => s.name);
}

/**
 * The check every pod must pass: the canary's name answers its ClusterIP — an AAAA record where the
 * cluster gave the Service an IPv6 address (IPv6-primary clusters; CoreDNS's kubernetes plugin answers
 * A for IPv4 ClusterIPs only).
 */
export function canaryQuery(canary: Canary, clusterDomain: string): Query {
  return {
    id: FRESHNESS_QUERY_ID,
    name: `${canary.name}.${canary.namespace}.svc.${clusterDomain}`,
    type: canary.clusterIP.includes(':') ? 'AAAA' : 'A',
    expect: { equal: [canary.clusterIP] },
    external: false,
  };
}

/** How long the second look waits for watch events still on the way before asking every pod again. */
export const SECOND_LOOK_DELAY_MS = 3000;

/** No pod target answered the canary (the watch events may not have arrived yet, or every pod is stale). Pure. */
export function noPodSawCanary(plan: CheckPlan, report: ProbeReport): boolean {
  const podTargets = new Set(plan.targets.filter((t) => t.kind === 'pod').map((t) => t.id));
  const canaryResults = report.results.filter((r) => r.queryId === FRESHNESS_QUERY_ID && podTargets.has(r.targetId));
  return canaryResults.length > 0 && !canaryResults.some((r) => r.samples.some((s) => s.outcome === 'ok'));
}

/** The plan of the second look: the canary alone, of the targets that were asked it. Pure. */
export function secondLookPlan(plan: CheckPlan): CheckPlan {
  const { connects: _connects, clientView: _clientView, ...rest } = plan;
  const asked = plan.targets.filter((t) => !t.queries || t.queries.includes(FRESHNESS_QUERY_ID));
  return {
    ...rest,
    targets: asked.map((t) => (t.queries ? { ...t, queries: [FRESHNESS_QUERY_ID] } : t)),
    queries: plan.queries.filter((q) => q.id === FRESHNESS_QUERY_ID),
  };
}

/** The report with the canary's results of `second` (the second look) in place of its own. Pure. */
export function withSecondLook(report: ProbeReport, second: ProbeReport): ProbeReport {
  const canary = (r: { queryId: string }) => r.queryId === FRESHNESS_QUERY_ID;
  const fails = (rep: ProbeReport, id: string) => rep.results.filter((r) => canary(r) && r.targetId === id && r.verdict === 'fail').length;
  const targets = report.targets.map((t) => ({ ...t, failedChecks: t.failedChecks - fails(report, t.targetId) + fails(second, t.targetId) }));
  return { ...report, results: [...report.results.filter((r) => !canary(r)), ...second.results.filter(canary)], targets };
}

/**
 * When NO pod target answered the canary, the watch events may simply not have arrived yet: the
 * freshness check is left out of this cycle's judgement, with a note. (The engine asks again once,
 * SECOND_LOOK_DELAY_MS later, before it gives up: src/engine/freshness.ts.) When some pods see it,
 * those that do not are stale and their failures stand. Pure.
 */
export function judgeableFreshness(plan: CheckPlan, report: ProbeReport): { report: ProbeReport; note?: string } {
  if (!noPodSawCanary(plan, report)) return { report };
  const dropped = report.results.filter((r) => r.queryId === FRESHNESS_QUERY_ID);
  const targets = report.targets.map((t) => {
    const mine = dropped.filter((r) => r.targetId === t.targetId);
    return { ...t, checks: t.checks - mine.length, failedChecks: t.failedChecks - mine.filter((r) => r.verdict === 'fail').length };
  });
  return {
    report: { ...report, results: report.results.filter((r) => r.queryId !== FRESHNESS_QUERY_ID), targets },
    note: 'freshness: no CoreDNS pod answered the canary Service yet (watch events still on the way, or every pod stale) — not judged this cycle',
  };
}
