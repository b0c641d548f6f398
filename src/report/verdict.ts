// Per-target verdicts from the primary probe's report. For now a target fails when any of its checks
// fails; src/judge replaces this with k-of-n thresholds and classification — `targetResults` is that seam.
import type { CheckPlan, ProbeReport, Transport } from '../probe/contract.ts';
import type { DnsWorkload } from '../discover/types.ts';

export type TransportVerdict = 'pass' | 'fail' | 'n/a';

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
  kind: 'service' | 'pod';
  label: string;
  address: string;
  node: string;
  udp: TransportVerdict;
  tcp: TransportVerdict;
  p50Ms: number | null;
  p99Ms: number | null;
  verdict: 'pass' | 'fail';
  failing: FailingCheck[];
}

export function targetResults(plan: CheckPlan, report: ProbeReport, workload: DnsWorkload): TargetResult[] {
  const queries = new Map(plan.queries.map((q) => [q.id, q]));
  const nodeOf = new Map(workload.pods.flatMap((p) => p.ips.map((ip) => [ip, p.node] as const)));
  return plan.targets.map((target) => {
    const results = report.results.filter((r) => r.targetId === target.id);
    const failing: FailingCheck[] = results
      .filter((r) => r.verdict === 'fail')
      .map((r) => {
        const q = queries.get(r.queryId);
        return { queryId: r.queryId, query: q ? `${q.name} ${q.type}` : r.queryId, transport: r.transport, external: q?.external === true, reason: r.reason };
      });
    const transportVerdict = (t: Transport): TransportVerdict => {
      const own = results.filter((r) => r.transport === t);
      if (own.length === 0) return 'n/a';
      return own.every((r) => r.verdict === 'pass') ? 'pass' : 'fail';
    };
    const summary = report.targets.find((s) => s.targetId === target.id);
    return {
      id: target.id,
      kind: target.kind,
      label: target.label,
      address: target.address,
      node: target.kind === 'pod' ? (nodeOf.get(target.address) ?? '') : '',
      udp: transportVerdict('udp'),
      tcp: transportVerdict('tcp'),
      p50Ms: summary?.p50Ms ?? null,
      p99Ms: summary?.p99Ms ?? null,
      verdict: failing.length ? 'fail' : 'pass',
      failing,
    };
  });
}

/** One line for the whole cycle. */
export function overallVerdict(targets: TargetResult[]): { healthy: boolean; line: string } {
  const failed = targets.filter((t) => t.verdict === 'fail');
  if (failed.length === 0) return { healthy: true, line: `DNS healthy: ${targets.length} targets passed every check` };
  const names = failed.map((t) => t.label).join(', ');
  return { healthy: false, line: `DNS unhealthy: ${failed.length} of ${targets.length} targets failed (${names})` };
}
