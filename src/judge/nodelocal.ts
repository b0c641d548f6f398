// NodeLocal DNSCache, judged per probe node. From a probe pod, the cache's local address (and the
// Service IP, which the cache binds in iptables mode) is answered by the cache on the probe's node. A
// node's cache fails when a check fails there while the same check passes on every CoreDNS pod from
// the same probe: the cache (or its path to kube-dns-upstream), never a reason to restart CoreDNS. The
// tool does not restart the cache itself; the reason says how. Pure.
import type { DnsWorkload, NodeLocalCache } from '../discover/types.ts';
import type { CheckPlan, Target } from '../probe/contract.ts';
import { failuresByTarget, probeBlindness, type CheckThresholds } from './checks.ts';
import type { FailedCheck, ProbeRun } from './types.ts';

export interface CacheFailure {
  node: string;
  /** The cache's targets that fail from this node's probe. */
  targetIds: string[];
  /** The first failure: "node-local-dns 169.254.20.10: kubernetes.default.svc.cluster.local A over udp: timeout". */
  detail: string;
}

export interface NodeLocalVerdict {
  failures: CacheFailure[];
  reason: string;
}

/** The targets the cache answers from a probe pod: its local addresses, and the Service IPs it binds. */
export function cacheTargets(plan: CheckPlan, workload: DnsWorkload): Target[] {
  const bound = new Set(workload.nodeLocal?.localIPs ?? []);
  return workload.nodeLocal ? plan.targets.filter((t) => t.kind === 'node-local' || (t.kind === 'service' && bound.has(t.address))) : [];
}

const checkKey = (c: FailedCheck) => `${c.queryId}/${c.transport}`;

/** Per probe node (the first trustworthy run of each): the cache's failures that no CoreDNS pod shares. */
export function cacheFailures(plan: CheckPlan, workload: DnsWorkload, runs: ProbeRun[], thresholds: CheckThresholds): CacheFailure[] {
  const caches = cacheTargets(plan, workload);
  const pods = plan.targets.filter((t) => t.kind === 'pod');
  if (caches.length === 0 || pods.length === 0) return [];
  const byNode = new Map<string, CacheFailure | null>();
  for (const run of runs) {
    if (byNode.has(run.node) || probeBlindness(run.report)) continue;
    const failures = failuresByTarget(run.report, plan, thresholds, workload.zones);
    const sharedWithPods = new Set(pods.flatMap((t) => (failures.get(t.id) ?? []).map(checkKey)));
    // The local address first: its failure is the cache's whatever kube-proxy does.
    const own = [...caches].sort((a, b) => Number(b.kind === 'node-local') - Number(a.kind === 'node-local')).flatMap((t) => {
      const checks = (failures.get(t.id) ?? []).filter((c) => !sharedWithPods.has(checkKey(c)));
      return checks.length ? [{ target: t, check: checks[0]! }] : [];
    });
    const first = own[0];
    byNode.set(
      run.node,
      first ? { node: run.node, targetIds: own.map((o) => o.target.id), detail: `${first.target.label}: ${first.check.query} over ${first.check.transport}: ${first.check.reason}` } : null,
    );
  }
  return [...byNode.values()].filter((f): f is CacheFailure => f !== null).sort((a, b) => a.node.localeCompare(b.node));
}

/** One line: where the cache fails, why it is not CoreDNS, and how to restart the cache on those nodes. */
export function nodeLocalReason(failures: CacheFailure[], cache: NodeLocalCache, probedNodes: number): string {
  const nodes = failures.map((f) => f.node);
  const what = `NodeLocal DNSCache (${cache.namespace}/${cache.daemonSet})`;
  if (failures.length > 1 && failures.length === probedNodes)
    return `${what} fails on every probed node (${nodes.join(', ')}; ${failures[0]!.detail}) while every CoreDNS pod passes from the same probes — not restarting CoreDNS; check the cache's Corefile${cache.configMap ? ` (ConfigMap ${cache.configMap})` : ''} and the Service it forwards to (kube-dns-upstream)`;
  const restart = nodes
    .map((n) => `kubectl -n ${cache.namespace} get pods --field-selector spec.nodeName=${n} -o name | grep /${cache.daemonSet}- | xargs kubectl -n ${cache.namespace} delete`)
    .join('; ');
  const one = nodes.length === 1;
  return `${what} on node${one ? '' : 's'} ${nodes.join(', ')} fails (${failures[0]!.detail}) while every CoreDNS pod passes from ${one ? 'that node' : 'those nodes'} — not restarting CoreDNS, and --repair does not restart the cache; restart the ${cache.daemonSet} pod on ${one ? 'that node' : 'each'}: ${restart}`;
}

/** The cache's verdict over every probe run, or null when no node's cache fails on its own (or there is none). */
export function nodeLocalVerdict(plan: CheckPlan, workload: DnsWorkload, runs: ProbeRun[], thresholds: CheckThresholds): NodeLocalVerdict | null {
  if (!workload.nodeLocal) return null;
  const failures = cacheFailures(plan, workload, runs, thresholds);
  if (failures.length === 0) return null;
  const probedNodes = new Set(runs.filter((r) => !probeBlindness(r.report)).map((r) => r.node)).size;
  return { failures, reason: nodeLocalReason(failures, workload.nodeLocal, probedNodes) };
}
