// Per-target rows and the cycle's one-line verdict, from the judge (src/judge): k-of-n thresholds,
// latency limits and one classification for the cycle replace "any failing check".
import type { CheckPlan, ProbeReport, TargetKind, Transport } from '../probe/contract.ts';
import type { DnsWorkload } from '../discover/types.ts';
import type { Classification, Judgement, TargetStatus } from '../judge/types.ts';

/** unknown: the target was not reached through the API (its tunnel refused), so this transport says nothing. */
export type TransportVerdict = 'pass' | 'fail' | 'n/a' | 'unknown';

export interface FailingCheck {
  queryId: string;
  /** "kubernetes.default.svc.cluster.local A" */
  query: string;
  transport: Transport;
  external: boolean;
  reason: string;
}

export interface TargetResult {
  id: string;
  kind: TargetKind;
  label: string;
  address: string;
  /** The DNS port probed (UDP's; a pod's is where the Service routes, src/discover/ports.ts). */
  port: number;
  node: string;
  udp: TransportVerdict;
  tcp: TransportVerdict;
  p50Ms: number | null;
  p99Ms: number | null;
  /** fail: the judge found failing checks (confirmed or waiting for confirmation). */
  verdict: 'pass' | 'fail';
  /** The judge's status: pass, fail, pending-confirmation, unknown (the probe could not be trusted). */
  status: TargetStatus;
  classification: Classification;
  /** Why, one line (for failing targets). */
  reason: string;
  /** Consecutive failing cycles, this one included (known across runs in --repair mode). */
  consecutiveFailures: number;
  failing: FailingCheck[];
  /** What the pod's logs say, for pods a restart cannot help. */
  diagnosis?: { kind: string; summary: string; evidence: string }[];
  /** The plan's query ids asked of this target when not all of them (a dual-stack pod's second address: one). */
  queries?: string[];
}

export function targetResults(plan: CheckPlan, report: ProbeReport, workload: DnsWorkload, judgement: Judgement): TargetResult[] {
  const nodeOf = new Map(workload.pods.flatMap((p) => p.ips.map((ip) => [ip, p.node] as const)));
  const verdicts = new Map(judgement.targets.map((t) => [t.targetId, t]));
  return plan.targets.map((target) => {
    const judged = verdicts.get(target.id);
    const failed = judged?.failedChecks ?? [];
    const failing: FailingCheck[] = failed.map((f) => ({ queryId: f.queryId, query: f.query, transport: f.transport, external: f.external, reason: f.reason }));
    const probed = new Set(report.results.filter((r) => r.targetId === target.id).map((r) => r.transport));
    const transportVerdict = (t: Transport): TransportVerdict => (!probed.has(t) ? 'n/a' : judged?.unreached !== undefined ? 'unknown' : failed.some((f) => f.transport === t) ? 'fail' : 'pass');
    return {
      id: target.id,
      kind: target.kind,
      label: target.label,
      address: target.address,
      port: target.port,
      // The cache that answers a node-local address is the one on the probe's node.
      node: target.kind === 'pod' ? (nodeOf.get(target.address) ?? '') : target.kind === 'node-local' ? judgement.probeNode : '',
      udp: transportVerdict('udp'),
      tcp: transportVerdict('tcp'),
      p50Ms: judged?.p50Ms ?? null,
      p99Ms: judged?.p99Ms ?? null,
      verdict: failing.length ? 'fail' : 'pass',
      status: judged?.status ?? 'unknown',
      classification: judged?.classification ?? 'inconclusive',
      reason: judged?.reason ?? 'not judged',
      consecutiveFailures: judged?.consecutiveFailures ?? 0,
      failing,
      ...(judged?.diagnosis?.length ? { diagnosis: judged.diagnosis } : {}),
      ...(target.queries && { queries: target.queries }),
    };
  });
}

/** One line for the whole cycle: the judge's classification and its reason. */
export function overallVerdict(judgement: Judgement, targets: TargetResult[]): { healthy: boolean; line: string } {
  const unknown = judgement.targets.filter((t) => t.unreached !== undefined).map((t) => t.label);
  const unreached = unknown.length ? `; ${unknown.length} target${unknown.length === 1 ? '' : 's'} unknown, not reached through the API: ${unknown.join(', ')}` : '';
  if (judgement.verdict === 'healthy') return { healthy: true, line: `DNS healthy: ${targets.length - unknown.length} targets passed every check${unreached}` };
  return { healthy: false, line: `DNS unhealthy — ${judgement.classification}: ${judgement.reason}` };
}
