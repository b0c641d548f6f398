import { expect } from 'chai';
import type { DnsWorkload, NodeLocalCache } from '../discover/types.ts';
import type { CheckPlan } from '../probe/contract.ts';
import { plan as basePlan, pods, report, SERVICE_IP, workload, type Fault } from '../../test/fixtures/reports.ts';
import { judge } from './judge.ts';
import { cacheFailures, nodeLocalReason } from './nodelocal.ts';
import type { Classification, ProbeRun } from './types.ts';

const LOCAL_IP = '169.254.20.10';
const CACHE: NodeLocalCache = { namespace: 'kube-system', daemonSet: 'node-local-dns', configMap: 'node-local-dns', localIPs: [LOCAL_IP, SERVICE_IP], port: 53 };

/** The plan of src/plan/plan.ts with NodeLocal DNSCache: the Service, 3 pods and the cache's local address. */
function cachePlan(): CheckPlan {
  const p = basePlan(pods(3));
  return { ...p, targets: [...p.targets, { id: 'node-local', address: LOCAL_IP, port: 53, kind: 'node-local', label: `node-local-dns ${LOCAL_IP}` }] };
}
const withCache = (cache: NodeLocalCache | undefined = CACHE): DnsWorkload => ({ ...workload(pods(3)), ...(cache && { nodeLocal: cache }) });
/** The cache on a node hung: its local address and the Service IP it binds time out from there. */
const cacheHung: Fault[] = [{ target: 'node-local', outcome: 'timeout' }, { target: 'svc', outcome: 'timeout' }];

interface Row {
  name: string;
  /** Faults seen by the probe on each node; node-0 is the primary. */
  nodes: Record<string, Fault[]>;
  cache?: NodeLocalCache;
  classification: Classification;
  reason: RegExp;
  /** The nodes whose cache fails. */
  failing: string[];
  notes?: RegExp;
}

function judged(row: Row) {
  const p = cachePlan();
  const w = withCache(row.cache);
  const runs: ProbeRun[] = Object.entries(row.nodes).map(([node, faults]) => ({ node, report: report(p, faults, `probe-${node}`) }));
  const [primary, ...corroborating] = runs;
  return { j: judge({ plan: p, workload: w, primary: primary!, corroborating }), failures: cacheFailures(p, w, runs, {}) };
}

describe('judge: NodeLocal DNSCache per node', () => {
  const rows: Row[] = [
    { name: 'every cache and every pod answers', nodes: { 'node-0': [], 'node-1': [], 'node-2': [] }, classification: 'healthy', reason: /every target passes/, failing: [] },
    {
      name: 'the primary node\'s cache hung: the Service IP it binds fails too, yet it is the cache, not kube-proxy',
      nodes: { 'node-0': cacheHung },
      classification: 'node-local',
      reason: /^NodeLocal DNSCache \(kube-system\/node-local-dns\) on node node-0 fails \(node-local-dns 169\.254\.20\.10: .* timeout/,
      failing: ['node-0'],
    },
    {
      name: 'another node\'s cache hung (--probe-nodes all): that node named, the primary is healthy',
      nodes: { 'node-0': [], 'node-1': [], 'node-2': cacheHung },
      classification: 'node-local',
      reason: /on node node-2 fails .* restart the node-local-dns pod on that node: kubectl -n kube-system get pods --field-selector spec\.nodeName=node-2 -o name \| grep \/node-local-dns- \| xargs kubectl -n kube-system delete$/,
      failing: ['node-2'],
    },
    {
      name: 'two nodes of three: both named',
      nodes: { 'node-0': [], 'node-1': cacheHung, 'node-2': cacheHung },
      classification: 'node-local',
      reason: /on nodes node-1, node-2 fails .* restart the node-local-dns pod on each: .*nodeName=node-1 .*; .*nodeName=node-2 /,
      failing: ['node-1', 'node-2'],
    },
    {
      name: 'every probed node\'s cache fails while CoreDNS passes: its Corefile or kube-dns-upstream, no restart command',
      nodes: { 'node-0': cacheHung, 'node-1': cacheHung },
      classification: 'node-local',
      reason: /fails on every probed node \(node-0, node-1; .*check the cache's Corefile \(ConfigMap node-local-dns\) and the Service it forwards to \(kube-dns-upstream\)$/,
      failing: ['node-0', 'node-1'],
    },
    {
      name: 'the cache fails only names outside the cluster (the node\'s own upstream) while CoreDNS resolves them',
      nodes: { 'node-0': [{ target: 'node-local', query: 'ext', outcome: 'timeout' }, { target: 'svc', query: 'ext', outcome: 'timeout' }] },
      classification: 'node-local',
      reason: /on node node-0 fails \(node-local-dns 169\.254\.20\.10: example\.com A over udp/,
      failing: ['node-0'],
    },
    {
      name: 'a hung CoreDNS pod makes the cache fail the same checks: the pod is the finding, not the cache',
      nodes: { 'node-0': [{ target: 'coredns-b', outcome: 'timeout' }, { target: 'node-local', outcome: 'timeout', failed: 2 }] },
      classification: 'pod-local',
      reason: /^coredns-b fails while coredns-a, coredns-c pass/,
      failing: [],
    },
    {
      // Only the checks no pod fails count against the cache: here coredns-b fails one query from node-1.
      name: 'a sick pod and, elsewhere, a hung cache: the pod is the classification, the cache a note',
      nodes: { 'node-0': [{ target: 'coredns-b', outcome: 'timeout' }], 'node-1': [...cacheHung, { target: 'coredns-b', query: 'api', outcome: 'timeout' }] },
      classification: 'pod-local',
      reason: /^coredns-b fails/,
      failing: ['node-1'],
      notes: /^NodeLocal DNSCache .* on node node-1 fails/,
    },
    {
      name: 'without NodeLocal DNSCache a Service IP failing alone stays kube-proxy\'s',
      nodes: { 'node-0': [{ target: 'svc', outcome: 'timeout' }] },
      cache: { ...CACHE, localIPs: [] },
      classification: 'service-only',
      reason: /kube-proxy or the endpoints/,
      failing: [],
    },
    {
      name: 'IPVS mode (the cache binds only its local address): a failing Service IP is kube-proxy\'s, the cache a note',
      nodes: { 'node-0': [{ target: 'svc', outcome: 'timeout' }, { target: 'node-local', outcome: 'timeout' }] },
      cache: { ...CACHE, localIPs: [LOCAL_IP] },
      classification: 'service-only',
      reason: /kube-proxy or the endpoints/,
      failing: ['node-0'],
      notes: /^NodeLocal DNSCache .* on node node-0 fails/,
    },
  ];
  for (const row of rows)
    it(row.name, () => {
      const { j, failures } = judged(row);
      expect(j.classification).to.equal(row.classification);
      expect(j.reason).to.match(row.reason);
      expect(failures.map((f) => f.node)).to.deep.equal(row.failing);
      // A cache is never a restart candidate; only the sick CoreDNS pod is.
      expect(j.candidates.map((c) => c.pod)).to.deep.equal(row.classification === 'pod-local' ? ['coredns-b'] : []);
      if (row.notes) expect(j.notes.some((n) => row.notes!.test(n)), j.notes.join('\n')).to.equal(true);
    });

  it('the primary\'s cache targets carry the node-local classification; a blind probe says nothing about its node\'s cache', () => {
    const { j } = judged({ name: '', nodes: { 'node-0': cacheHung }, classification: 'node-local', reason: /./, failing: [] });
    expect(j.targets.filter((t) => t.classification === 'node-local').map((t) => [t.label, t.key])).to.deep.equal([
      ['service kube-dns', `service/${SERVICE_IP}`],
      [`node-local-dns ${LOCAL_IP}`, `node-local/${LOCAL_IP}`],
    ]);
    const p = cachePlan();
    const blind = { ...report(p, [{ outcome: 'timeout' }]), error: { kind: 'internal' as const, message: 'probe broke' } };
    expect(cacheFailures(p, withCache(), [{ node: 'node-0', report: blind }], {})).to.deep.equal([]);
  });

  it('the reason names the ConfigMap only when the cache mounts one', () => {
    const f = [{ node: 'a', targetIds: ['node-local'], detail: 'd' }, { node: 'b', targetIds: ['node-local'], detail: 'd' }];
    expect(nodeLocalReason(f, { ...CACHE, configMap: undefined } as unknown as NodeLocalCache, 2)).to.match(/check the cache's Corefile and the Service/);
  });
});
