// Per-target rows and the cycle's one-line verdict, from the judge (src/judge): k-of-n thresholds,
// latency limits and one classification for the cycle replace "any failing check".
import type { Target, TransportVerdict } from '../contracts/generated/check-output.ts';
import type { CheckPlan, ProbeReport, Transport } from '../probe/contract.ts';
import type { DnsWorkload } from '../discover/types.ts';
import type { Judgement } from '../judge/types.ts';

/** A target's row of the output: the types generated from schema/check-output.v1.json. */
export type TargetResult = Target;
export type FailingCheck = Target['failing'][number];
export type { TransportVerdict };

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
