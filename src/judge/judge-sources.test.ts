// The judge over address families, stub domains, zones CoreDNS serves itself and network evidence.
import { expect } from 'chai';
import type { DnsPod, Zones } from '../discover/types.ts';
import type { Query } from '../probe/contract.ts';
import { parseCorefile } from '../discover/corefile.ts';
import { EXAMPLE_DB, L7MP } from '../discover/corefile-fixtures.ts';
import { dualPod, pod, pods, plan, QUERIES, report, workload, type Fault } from '../../test/fixtures/reports.ts';
import { judge } from './judge.ts';
import type { Classification, Judgement } from './types.ts';

const EKS_STUB = parseCorefile('.:53 {\n kubernetes cluster.local\n forward . /etc/resolv.conf\n}\nconsul.local:53 {\n forward . 10.150.0.1\n}\n');
const L7MP_ZONES = parseCorefile(L7MP, [{ configMap: 'dns-config', key: 'example.db', text: EXAMPLE_DB }]);
const STUB_QUERY: Query = { id: 'stub/consul.local', name: 'consul.local', type: 'A', expect: { rcodes: ['NOERROR', 'NXDOMAIN'] }, external: true };
const FRESHNESS: Query = { id: 'freshness', name: 'coredns-sentinel-canary-0a1b2c3d.default.svc.cluster.local', type: 'A', expect: { equal: ['10.96.7.7'] }, external: false };
const ZONE_QUERY: Query = { id: 'zone/host', name: 'host.example.com', type: 'A', expect: { include: ['192.168.1.3'] } };

interface Row {
  name: string;
  pods: DnsPod[];
  faults?: Fault[];
  queries?: Query[];
  zones?: Zones;
  replicas?: number;
  /** Plan the network-evidence connect; the primary's outcome. */
  network?: 'works' | 'cut-off';
  /** Corroborating probes: node and faults (node-0 = the primary's node, ignored by the judge). */
  others?: { node: string; faults: Fault[] }[];
  classification: Classification;
  reason: RegExp;
  candidates: string[];
  notes?: RegExp;
  /** Notes that would contradict the verdict. */
  notNotes?: RegExp;
}

/** secondFamily: the IPv6 addresses are asked only these queries, as the planner plans dual-stack. */
function run(r: Row, secondFamily?: string[]): Judgement {
  const p = plan(r.pods, { queries: r.queries, connects: r.network !== undefined, secondFamily });
  return judge({
    plan: p,
    workload: workload(r.pods, r.replicas, r.zones),
    primary: { node: 'node-0', report: report(p, r.faults, 'probe-1', r.network) },
    corroborating: (r.others ?? []).map((o) => ({ node: o.node, report: report(p, o.faults, `probe-${o.node}`) })),
  });
}

const dual = (n: number) => Array.from({ length: n }, (_, i) => dualPod(i));
const hang = (target: string): Fault => ({ target, outcome: 'timeout' });

const rows: Row[] = [
  // Dual-stack: a pod is one peer; a family is judged on its own.
  { name: 'dual-stack, healthy', pods: dual(3), classification: 'healthy', reason: /every target passes/, candidates: [] },
  {
    name: 'dual-stack, IPv6 dropped everywhere → ip-family, never a restart',
    pods: dual(3),
    faults: [{ family: 'ipv6', outcome: 'timeout' }],
    classification: 'ip-family',
    reason: /^IPv6 fails on every CoreDNS pod while IPv4 passes .* not restarting; fix IPv6 routing or probe with --ip-family ipv4$/,
    candidates: [],
  },
  {
    name: 'dual-stack, IPv4 dropped everywhere → ip-family naming IPv4',
    pods: dual(2),
    faults: [{ family: 'ipv4', outcome: 'unreachable' }, { family: 'ipv6', outcome: 'ok' }],
    classification: 'ip-family',
    reason: /^IPv4 fails on every CoreDNS pod while IPv6 passes/,
    candidates: [],
  },
  {
    name: 'dual-stack, one pod fails IPv6 while its peers pass IPv6 → pod-local for IPv6',
    pods: dual(3),
    faults: [{ target: 'coredns-b (ipv6)', outcome: 'timeout' }],
    classification: 'pod-local',
    reason: /^coredns-b \(IPv6\) fails while coredns-a, coredns-c pass IPv6 from the same probe — it is repairable/,
    candidates: ['coredns-b'],
  },
  {
    name: 'dual-stack, one pod hung on both families → one candidate, not two',
    pods: dual(3),
    faults: [hang('coredns-c'), hang('coredns-c (ipv6)')],
    classification: 'pod-local',
    reason: /^coredns-c \(IPv4, IPv6\) fails while coredns-a, coredns-b pass IPv4 and IPv6 from the same probe/,
    candidates: ['coredns-c'],
  },
  {
    name: 'dual-stack, IPv6 down everywhere and one pod hung on IPv4 → that pod, IPv6 in the notes',
    pods: dual(3),
    faults: [{ family: 'ipv6', outcome: 'timeout' }, hang('coredns-a')],
    classification: 'pod-local',
    reason: /^coredns-a \(IPv4\) fails while coredns-b, coredns-c pass IPv4 from/,
    candidates: ['coredns-a'],
    notes: /IPv6 fails on every CoreDNS pod/,
  },
  {
    name: 'dual-stack, one pod answers a wrong record (CoreDNS data, asked on its IPv4 address) → pod-local for that pod',
    pods: dual(3),
    faults: [{ target: 'coredns-a', query: 'dns-srv', outcome: 'wrong-answer' }],
    classification: 'pod-local',
    reason: /^coredns-a \(IPv4\) fails while coredns-b, coredns-c pass IPv4 from the same probe — it is repairable/,
    candidates: ['coredns-a'],
  },
  {
    name: 'dual-stack, a stub down on every pod → stub, never ip-family or a restart',
    pods: dual(3),
    queries: [...QUERIES, STUB_QUERY],
    zones: EKS_STUB,
    faults: [{ query: 'stub/consul.local', outcome: 'server-failure' }],
    classification: 'stub',
    reason: /^stub domain consul\.local fails through its forwarder 10\.150\.0\.1/,
    candidates: [],
  },
  {
    name: 'dual-stack, both families fail on every pod → not a family problem',
    pods: dual(2),
    faults: [{ outcome: 'timeout' }],
    classification: 'uncorroborated',
    reason: /every CoreDNS pod fails from node node-0/,
    candidates: [],
  },
  // Stub domains: their forwarder is at fault, and named.
  {
    name: 'stub forwarder down, seen on every pod → stub, forwarder named, no restart',
    pods: pods(3),
    queries: [...QUERIES, STUB_QUERY],
    zones: EKS_STUB,
    faults: [{ query: 'stub/consul.local', outcome: 'server-failure' }],
    classification: 'stub',
    reason: /^stub domain consul\.local fails through its forwarder 10\.150\.0\.1 on every target .*restarting CoreDNS cannot help; check 10\.150\.0\.1/,
    candidates: [],
  },
  {
    name: 'stub failing through one pod only → stub, that pod named, no restart',
    pods: pods(3),
    queries: [...QUERIES, STUB_QUERY],
    zones: EKS_STUB,
    faults: [{ target: 'coredns-b', query: 'stub/consul.local', outcome: 'timeout' }],
    classification: 'stub',
    reason: /consul\.local fails through its forwarder 10\.150\.0\.1 on coredns-b only while the others pass .*check the network from the nodes of coredns-b to 10\.150\.0\.1$/,
    candidates: [],
  },
  {
    name: 'a user check in a stub zone marked internal still belongs to the stub',
    pods: pods(2),
    queries: [...QUERIES, { id: 'custom-1', name: 'db.consul.local', type: 'A', expect: { nonEmpty: true }, external: false }],
    zones: EKS_STUB,
    faults: [{ query: 'custom-1', outcome: 'timeout' }],
    others: [{ node: 'node-1', faults: [{ query: 'custom-1', outcome: 'timeout' }] }],
    classification: 'stub',
    reason: /stub domain consul\.local/,
    candidates: [],
  },
  {
    name: 'stub down everywhere and one pod hung → the hung pod, the stub in the notes',
    pods: pods(3),
    queries: [...QUERIES, STUB_QUERY],
    zones: EKS_STUB,
    faults: [{ query: 'stub/consul.local', outcome: 'server-failure' }, hang('coredns-c')],
    classification: 'pod-local',
    reason: /^coredns-c fails while coredns-a, coredns-b pass/,
    candidates: ['coredns-c'],
    notes: /stub domain consul\.local fails through its forwarder 10\.150\.0\.1/,
  },
  {
    name: 'stub up, one pod hung (its stub names fail too) → the hung pod, no stub note saying a restart cannot help',
    pods: pods(3),
    queries: [...QUERIES, STUB_QUERY],
    zones: EKS_STUB,
    faults: [hang('coredns-c')],
    classification: 'pod-local',
    reason: /^coredns-c fails while coredns-a, coredns-b pass .* it is repairable/,
    candidates: ['coredns-c'],
    notNotes: /stub domain|restarting CoreDNS cannot help/,
  },
  {
    name: 'stub failing through one answering pod, another pod hung → the hung pod repairable, the stub note names only the answering pod',
    pods: pods(3),
    queries: [...QUERIES, STUB_QUERY],
    zones: EKS_STUB,
    faults: [hang('coredns-c'), { target: 'coredns-b', query: 'stub/consul.local', outcome: 'timeout' }],
    classification: 'pod-local',
    reason: /^coredns-c fails while coredns-a/,
    candidates: ['coredns-c'],
    notes: /stub domain consul\.local fails .* on coredns-b only while the others pass/,
    notNotes: /on [^;]*coredns-c[^;]* only while/,
  },
  {
    name: 'stub down everywhere and one pod hung → the stub on every target that answers',
    pods: pods(3),
    queries: [...QUERIES, STUB_QUERY],
    zones: EKS_STUB,
    faults: [{ query: 'stub/consul.local', outcome: 'server-failure' }, hang('coredns-c')],
    classification: 'pod-local',
    reason: /^coredns-c fails/,
    candidates: ['coredns-c'],
    notes: /stub domain consul\.local fails through its forwarder 10\.150\.0\.1 on every target that answers .*check 10\.150\.0\.1 and the network to it/,
  },
  // The freshness canary no pod resolves, even on the engine's second look: every pod is stale.
  {
    name: 'every pod fails the freshness canary alone → every pod stale, pod-local, all repairable one at a time',
    pods: pods(3),
    queries: [...QUERIES, FRESHNESS],
    faults: [{ query: 'freshness', outcome: 'unexpected-rcode' }],
    classification: 'pod-local',
    reason: /^every CoreDNS pod \(coredns-a, coredns-b, coredns-c\) does not resolve the freshness canary Service, even on a second look, while answering every other check: their Kubernetes watch is stale — they are repairable \(--repair restarts them one at a time/,
    candidates: ['coredns-a', 'coredns-b', 'coredns-c'],
  },
  {
    name: 'the only pod fails the freshness canary alone → stale, repairable with --allow-single-replica',
    pods: [pod(0)],
    queries: [...QUERIES, FRESHNESS],
    faults: [{ query: 'freshness', outcome: 'unexpected-rcode' }],
    classification: 'pod-local',
    reason: /^the only CoreDNS pod coredns-a does not resolve the freshness canary Service.*: it is repairable — .*--allow-single-replica$/,
    candidates: ['coredns-a'],
  },
  {
    name: 'every pod fails the freshness canary and the kubernetes check → not stale: every pod fails (uncorroborated)',
    pods: pods(3),
    queries: [...QUERIES, FRESHNESS],
    faults: [{ query: 'freshness', outcome: 'unexpected-rcode' }, { query: 'api', outcome: 'timeout' }],
    classification: 'uncorroborated',
    reason: /every CoreDNS pod fails from node node-0/,
    candidates: [],
  },
  {
    name: 'one pod stale while its peers resolve the canary → pod-local as before',
    pods: pods(3),
    queries: [...QUERIES, FRESHNESS],
    faults: [{ target: 'coredns-b', query: 'freshness', outcome: 'unexpected-rcode' }],
    classification: 'pod-local',
    reason: /^coredns-b fails while coredns-a, coredns-c pass/,
    candidates: ['coredns-b'],
  },
  // Zones CoreDNS serves itself are internal.
  {
    name: 'file zone record wrong on one pod → pod-local, repairable',
    pods: pods(3),
    queries: [ZONE_QUERY, { id: 'external', name: 'kubernetes.io', type: 'A', expect: { nonEmpty: true }, external: true }],
    zones: L7MP_ZONES,
    faults: [{ target: 'coredns-a', query: 'zone/host', outcome: 'wrong-answer' }],
    classification: 'pod-local',
    reason: /^coredns-a fails while coredns-b, coredns-c pass/,
    candidates: ['coredns-a'],
  },
  {
    name: 'file zone failing on every pod from every probe → cluster-wide',
    pods: pods(2),
    queries: [ZONE_QUERY],
    zones: L7MP_ZONES,
    faults: [{ query: 'zone/host', outcome: 'unexpected-rcode' }],
    others: [{ node: 'node-1', faults: [{ query: 'zone/host', outcome: 'unexpected-rcode' }] }],
    classification: 'cluster-wide',
    reason: /every CoreDNS pod fails from nodes node-0, node-1/,
    candidates: ['coredns-a', 'coredns-b'],
  },
  // One replica, with and without the probe's network evidence.
  {
    name: 'single replica hung, network works, corroboration tried on the same node → repairable',
    pods: [pod(0)],
    faults: [hang('coredns-a')],
    network: 'works',
    others: [{ node: 'node-0', faults: [hang('coredns-a')] }],
    classification: 'pod-local',
    reason: /^the only CoreDNS pod coredns-a fails while the probe's network works \(kubernetes Service 10\.96\.0\.1:443 connected in 0\.8 ms\): it is repairable .*--allow-single-replica$/,
    candidates: ['coredns-a'],
  },
  {
    name: 'single replica hung, network works, confirmed from another node → repairable',
    pods: [pod(0)],
    faults: [hang('coredns-a')],
    network: 'works',
    others: [{ node: 'node-1', faults: [hang('coredns-a')] }],
    classification: 'pod-local',
    reason: /the only CoreDNS pod coredns-a fails while the probe's network works/,
    candidates: ['coredns-a'],
  },
  {
    name: 'single replica hung, network works, before corroboration → uncorroborated (probe again first)',
    pods: [pod(0)],
    faults: [hang('coredns-a')],
    network: 'works',
    classification: 'uncorroborated',
    reason: /no probe on another node could corroborate — not restarting; run again: the second probe could not run/,
    candidates: [],
  },
  {
    name: 'three pods on three nodes all hung, no second probe ran → uncorroborated, more probe nodes advised',
    pods: pods(3),
    faults: [{ outcome: 'timeout' }],
    classification: 'uncorroborated',
    reason: /no probe on another node could corroborate — not restarting; probe from more nodes \(--probe-nodes 2\)$/,
    candidates: [],
  },
  {
    name: 'single replica hung, no network evidence, another node agrees → cluster-wide',
    pods: [pod(0)],
    faults: [hang('coredns-a')],
    others: [{ node: 'node-1', faults: [hang('coredns-a')] }],
    classification: 'cluster-wide',
    reason: /every CoreDNS pod fails from nodes node-0, node-1/,
    candidates: ['coredns-a'],
  },
  {
    name: 'single replica failing, the probe cut off (its own connect fails too) → probe-side',
    pods: [pod(0)],
    faults: [hang('coredns-a')],
    network: 'cut-off',
    classification: 'probe-side',
    reason: /^every CoreDNS pod fails from node node-0 and so does the probe's own network check \(kubernetes Service 10\.96\.0\.1:443 failed: timeout after 2000 ms\): the probe's node is cut off/,
    candidates: [],
  },
  {
    name: 'single replica failing from here, passing from another node, network works → probe-side',
    pods: [pod(0)],
    faults: [hang('coredns-a')],
    network: 'works',
    others: [{ node: 'node-1', faults: [] }],
    classification: 'probe-side',
    reason: /from node node-1 all pods pass/,
    candidates: [],
  },
  {
    name: 'three pods all hung, network works, corroboration found no other node → cluster-wide, not pod-local',
    pods: pods(3),
    faults: [{ outcome: 'timeout' }],
    network: 'works',
    others: [{ node: 'node-0', faults: [{ outcome: 'timeout' }] }],
    classification: 'cluster-wide',
    reason: /every CoreDNS pod fails from node node-0 while the probe's network works/,
    candidates: ['coredns-a', 'coredns-b', 'coredns-c'],
  },
];

const verify = (r: Row, j: Judgement) => {
  expect(j.classification, j.reason).to.equal(r.classification);
  expect(j.reason).to.match(r.reason);
  expect(j.candidates.map((c) => c.pod)).to.deep.equal(r.candidates);
  if (r.notes) expect(j.notes.join('\n')).to.match(r.notes);
  if (r.notNotes) expect(j.notes.join('\n')).to.not.match(r.notNotes);
  // Every failing target carries a classification and a one-line reason.
  for (const t of j.targets.filter((x) => x.failedChecks.length > 0)) expect(t.reason).to.not.include('\n').and.not.equal('ok');
};

describe('judge: families, stubs, own zones, network evidence', () => {
  for (const r of rows) it(r.name, () => verify(r, run(r)));
  // The planner asks a dual-stack pod's second address one check CoreDNS answers itself: the same verdicts.
  for (const r of rows.filter((x) => x.pods.some((p) => p.ips.length > 1)))
    it(`${r.name} (the IPv6 addresses asked only the reachability check)`, () => {
      const j = run(r, ['api']);
      verify(r, j);
      expect(j.targets.filter((t) => t.address.includes(':')).flatMap((t) => t.failedChecks.map((c) => c.queryId))).to.satisfy((ids: string[]) => ids.every((id) => id === 'api'));
    });

  it('merges the failing checks of both addresses into the one candidate', () => {
    const j = run(rows.find((r) => r.name.includes('hung on both families'))!);
    const [c] = j.candidates;
    expect(c!.failedChecks).to.equal(12); // 3 queries × 2 transports × 2 addresses
    expect(c!.signature).to.equal('api/tcp,api/udp,dns-srv/tcp,dns-srv/udp,ext/tcp,ext/udp');
  });

  it('marks stub failures with their scope and forwarder', () => {
    const j = run(rows.find((r) => r.name.startsWith('stub forwarder down'))!);
    const check = j.targets.find((t) => t.label === 'coredns-a')!.failedChecks[0]!;
    expect(check).to.deep.include({ scope: 'stub', external: true, stub: { zone: 'consul.local', forwarders: ['10.150.0.1'] } });
    expect(j.targets.find((t) => t.label === 'coredns-a')!.classification).to.equal('stub');
  });
});
