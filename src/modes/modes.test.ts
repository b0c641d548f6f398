// The pure parts of the deployment modes: auto's decision over every RBAC set, each mode's fitted
// plan and notes, --dns-address parsing, and the access checks against the shipped manifests.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { Duplex } from 'node:stream';
import { KubeError, type AccessCheck } from '../kube/index.ts';
import { validateReport, type CheckPlan } from '../probe/contract.ts';
import { pods, workload } from '../../test/fixtures/reports.ts';
import { ruleAllows } from '../../test/sim/apiserver/auth.ts';
import { portForwardChecks, probePodChecks, readChecks, type Scope } from './access.ts';
import { MANIFESTS } from './registry.ts';
import { parseDnsAddress } from './address.ts';
import { decideMode, decisionLine, needsReachability, type ModeFacts } from './auto.ts';
import { directScope } from './direct.ts';
import { ModeError } from './errors.ts';
import { portForwardProber, portForwardScope, SERVICE_NOTE, UDP_NOTE } from './portforward.ts';
import { inProcessResult, NODE_LOCAL_NOTE } from './types.ts';
import { ProbePodError } from '../probepod/lifecycle.ts';

const base: ModeFacts = { inCluster: false, read: true, allowed: {}, dnsAddresses: 0 };

describe('modes: auto decides from access and reachability', () => {
  const table: [string, Partial<ModeFacts>, string | undefined][] = [
    ['full RBAC', { allowed: { 'probe-pod': true, 'port-forward': true } }, 'probe-pod'],
    ['full RBAC, pods routable too', { allowed: { 'probe-pod': true, 'port-forward': true }, podsRoutable: true }, 'probe-pod'],
    ['no pods create (port-forward allowed), pods unroutable', { allowed: { 'port-forward': true }, podsRoutable: false }, 'port-forward'],
    ['no exec (port-forward allowed), pods routable', { allowed: { 'port-forward': true }, podsRoutable: true, serviceRoutable: true }, 'direct'],
    ['read-only with routable pods', { podsRoutable: true, serviceRoutable: false }, 'direct'],
    ['read-only without routable pods or Service', { podsRoutable: false, serviceRoutable: false }, undefined],
    ['read-only, only --dns-address', { podsRoutable: false, serviceRoutable: false, dnsAddresses: 1 }, 'direct'],
    ['read-only, Service routable but not the pods', { podsRoutable: false, serviceRoutable: true }, 'direct'],
    ['in a pod, even with full RBAC', { allowed: { 'probe-pod': true }, inCluster: true }, 'in-cluster'],
    ['cannot read the workload', { allowed: { 'probe-pod': true }, read: false }, undefined],
  ];
  for (const [name, facts, mode] of table)
    it(`${name} → ${mode ?? 'no mode'}`, () => assert.equal(decideMode({ ...base, ...facts }).mode, mode));

  it('says what the chosen mode cannot check, in one line', () => {
    const d = decideMode({ ...base, allowed: { 'port-forward': true }, podsRoutable: false });
    assert.ok(d.mode);
    assert.equal(decisionLine(d), 'mode: port-forward (auto: no permission to create and exec into a probe pod; pods/portforward allowed and pod IPs not routable from here: per-pod checks over TCP through tunnels); cannot check: UDP (pods/portforward carries TCP only), the Service IP (a tunnel reaches a pod, not the Service)');
    const direct = decideMode({ ...base, podsRoutable: true, serviceRoutable: false });
    assert.deepEqual(direct.mode && direct.cannot, ['the Service IP (not routable from here)']);
    const onlyService = decideMode({ ...base, podsRoutable: false, serviceRoutable: true });
    assert.deepEqual(onlyService.mode && onlyService.cannot, ['each CoreDNS pod on its own (pod IPs not routable)']);
  });

  it('names the first thing to fix when no mode can run', () => {
    const d = decideMode({ ...base, podsRoutable: false, serviceRoutable: false });
    assert.equal(d.mode, undefined);
    assert.match(d.mode === undefined ? d.fix : '', /manifests\/rbac-portforward\.yaml .* manifests\/rbac-check\.yaml .* --dns-address/);
  });

  it('tests reachability only when nothing from the pod network is allowed', () => {
    assert.equal(needsReachability({ ...base, allowed: { 'probe-pod': true } }), false);
    assert.equal(needsReachability({ ...base, inCluster: true }), false);
    assert.equal(needsReachability({ ...base, read: false }), false);
    assert.equal(needsReachability({ ...base, allowed: { 'port-forward': true } }), true);
    assert.equal(needsReachability(base), true);
  });
});

const plan: CheckPlan = {
  schema: 'coredns-sentinel/plan/v1',
  targets: [
    { id: 'service', address: '10.96.0.10', port: 53, kind: 'service', label: 'service kube-dns' },
    { id: 'pod/a', address: '10.244.0.2', port: 53, kind: 'pod', label: 'a' },
    { id: 'pod/b', address: '10.244.0.3', port: 53, kind: 'pod', label: 'b' },
  ],
  queries: [{ id: 'q', name: 'kubernetes.default.svc.cluster.local', type: 'A', expect: {} }],
  transports: ['udp', 'tcp'],
  samples: 3,
  timeoutMs: 1000,
  concurrency: 8,
  connects: [{ id: 'api', address: '10.96.0.1', port: 443, label: 'kubernetes Service 10.96.0.1:443' }],
};

describe('modes: port-forward fits the plan', () => {
  it('keeps the pods over TCP, drops the Service and the connects, and says so', () => {
    const { plan: fitted, notes } = portForwardScope(plan);
    assert.deepEqual(fitted.targets.map((t) => t.id), ['pod/a', 'pod/b']);
    assert.deepEqual(fitted.transports, ['tcp']);
    assert.equal(fitted.connects, undefined);
    assert.deepEqual(notes, [UDP_NOTE, SERVICE_NOTE(['10.96.0.10'])]);
  });

  it('has nothing to say about UDP when only TCP was planned, and refuses a UDP-only plan', () => {
    assert.deepEqual(portForwardScope({ ...plan, transports: ['tcp'] }).notes, [SERVICE_NOTE(['10.96.0.10'])]);
    assert.throws(() => portForwardScope({ ...plan, transports: ['udp'] }), (e: unknown) => e instanceof ModeError && /--transports tcp/.test(e.line));
  });
});

describe('modes: port-forward, a tunnel the API server refuses', () => {
  const fitted: CheckPlan = { ...portForwardScope(plan).plan, samples: 2, timeoutMs: 50 };
  const dialing = (pod: string) =>
    new KubeError('server', 500, 'the API server failed (HTTP 500): error dialing backend', "check the API server's health and run again", { request: { verb: 'create', resource: 'pods/portforward', namespace: 'kube-system', name: pod } });
  /** A tunnel that takes the queries and never answers: the pod's DNS hung. */
  const silent = () => new Duplex({ read() {}, write(_chunk, _encoding, done) { done(); } });
  const prober = (refuse: (pod: string) => boolean, asked: string[]) =>
    portForwardProber({
      portForward: async (req) => {
        asked.push(req.pod);
        if (refuse(req.pod)) throw dialing(req.pod);
        return silent();
      },
    });

  it('leaves that target\'s samples "path" with the API\'s line, asked once, while the other pod is judged on its answers', async () => {
    const asked: string[] = [];
    const p = prober((pod) => pod === 'coredns-a', asked);
    await p.prepare!(fitted, workload(pods(2)));
    const [run] = await p.run(fitted, []);
    const outcomes = (target: string) => [...new Set(run!.report.results.filter((r) => r.targetId === target).flatMap((r) => r.samples.map((s) => s.outcome)))];
    assert.deepEqual([outcomes('pod/a'), outcomes('pod/b')], [['path'], ['timeout']]);
    assert.equal(run!.report.results.find((r) => r.targetId === 'pod/a')!.samples[0]!.detail, dialing('coredns-a').line);
    assert.equal(validateReport(run!.report, fitted), null);
    assert.deepEqual(asked.filter((pod) => pod === 'coredns-a'), ['coredns-a'], 'a refused tunnel is not asked again for every query');
  });

  it('no tunnel opened at all: the API\'s error, not a report', async () => {
    const p = prober(() => true, []);
    await p.prepare!(fitted, workload(pods(2)));
    await assert.rejects(p.run(fitted, []), (e: unknown) => e instanceof KubeError && /^create pods\/portforward coredns-a in namespace kube-system: .*error dialing backend/.test(e.line));
  });
});

describe('modes: NodeLocal DNSCache targets answer only on a node', () => {
  const withCaches: CheckPlan = {
    ...plan,
    targets: [...plan.targets, { id: 'node-local/n1', address: '169.254.20.10', port: 53, kind: 'node-local', label: 'node-local-dns' }, { id: 'node-local/n2', address: '169.254.20.10', port: 53, kind: 'node-local', label: 'node-local-dns' }],
  };
  it('port-forward and direct drop them with one note naming the address', () => {
    const pf = portForwardScope(withCaches);
    assert.ok(!pf.plan.targets.some((t) => t.kind === 'node-local'));
    assert.ok(pf.notes.includes(NODE_LOCAL_NOTE('port-forward', withCaches.targets.filter((t) => t.kind === 'node-local'))));
    const direct = directScope(withCaches, { service: true, pods: true }, []);
    assert.deepEqual(direct.plan.targets.map((t) => t.id), ['service', 'pod/a', 'pod/b']);
    assert.deepEqual(direct.notes, ['direct: the NodeLocal DNSCache address 169.254.20.10 answers only on a node, not checked from here (use --mode probe-pod for each node\'s cache)']);
  });
});

describe('modes: direct fits the plan to what is routable', () => {
  it('keeps every kind that answered', () => {
    const s = directScope(plan, { service: true, pods: true }, []);
    assert.deepEqual(s.plan.targets.map((t) => t.id), ['service', 'pod/a', 'pod/b']);
    assert.deepEqual(s.notes, []);
  });

  it('drops a kind whole when nothing of it answered, with a note, and adds --dns-address targets', () => {
    const s = directScope(plan, { service: false, pods: true }, [{ address: '192.0.2.7', port: 30053 }]);
    assert.deepEqual(s.plan.targets.map((t) => `${t.id} ${t.kind}`), ['pod/a pod', 'pod/b pod', 'address/192.0.2.7:30053 service']);
    assert.deepEqual(s.notes, ['direct: the Service IP 10.96.0.10 is not routable from here, not checked']);
    const none = directScope(plan, { service: false, pods: false }, []);
    assert.deepEqual(none.plan.targets, []);
    assert.equal(none.notes.length, 2);
    assert.match(none.notes[1]!, /pod IPs are not routable from here, the 2 CoreDNS pod target\(s\) were not checked/);
  });
});

describe('modes: --dns-address', () => {
  it('parses IPv4 and bracketed IPv6 endpoints', () => {
    assert.deepEqual(parseDnsAddress('192.0.2.1:53'), { address: '192.0.2.1', port: 53 });
    assert.deepEqual(parseDnsAddress('[fd00::10]:30053'), { address: 'fd00::10', port: 30053 });
  });
  for (const bad of ['192.0.2.1', 'dns.example.com:53', '192.0.2.1:0', '192.0.2.1:70000', '[192.0.2.1]:53', 'fd00::1:53', ':53', '1.2.3.4:5x'])
    it(`refuses "${bad}"`, () => assert.ok('problem' in parseDnsAddress(bad)));
});

/** The RBAC rules a manifest grants, each limited to its Role's namespace (NAMESPACE_OF_* → the scope's). */
function manifestRules(file: string, sentinelNs: string) {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => d.toJS() as { kind?: string; metadata?: { namespace?: string }; rules?: { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] }[] } | null)
    .filter((d) => d?.kind === 'Role' || d?.kind === 'ClusterRole')
    .flatMap((d) => (d!.rules ?? []).map((r) => ({ ...r, ...(d!.kind === 'Role' ? { namespaces: [(d!.metadata?.namespace ?? '').replace(/^NAMESPACE_OF_\w+$/, sentinelNs)] } : {}) })));
}

describe('modes: the access checks match the shipped manifests', () => {
  const scope: Scope = { namespace: 'kube-system', service: 'kube-dns', probeNamespace: 'probes' };
  const allows = (file: string, checks: AccessCheck[]) => {
    const rules = manifestRules(file, scope.probeNamespace);
    return checks.map((c) => rules.some((r) => ruleAllows(r, c)));
  };
  const all = (xs: boolean[]) => xs.every(Boolean);
  const none = (xs: boolean[]) => !xs.some(Boolean);

  it('rbac-direct.yaml: reads the workload and nothing more', () => {
    assert.ok(all(allows(MANIFESTS.direct, readChecks(scope))));
    assert.ok(none(allows(MANIFESTS.direct, [...probePodChecks(scope), ...portForwardChecks(scope)])));
  });

  it('rbac-portforward.yaml: reads and tunnels, never creates pods', () => {
    assert.ok(all(allows(MANIFESTS['port-forward'], [...readChecks(scope), ...portForwardChecks(scope)])));
    assert.ok(none(allows(MANIFESTS['port-forward'], probePodChecks(scope))));
  });

  it('every shipped manifest grants the reads discovery makes (rbac-check.yaml\'s discover Role), so no mode degrades silently', () => {
    const discover = manifestRules(MANIFESTS['probe-pod'], scope.probeNamespace).filter((r) => r.namespaces?.[0] === 'kube-system' && !r.resources.some((x) => x.startsWith('pods/') || x === 'nodes'));
    assert.ok(discover.some((r) => r.resources.includes('services') && r.verbs.includes('list')));
    for (const file of [MANIFESTS.direct, MANIFESTS['port-forward'], 'manifests/deploy/base/rbac.yaml']) {
      const rules = manifestRules(file, scope.probeNamespace).filter((r) => r.namespaces?.[0] === 'kube-system');
      for (const rule of discover) assert.ok(rules.some((r) => JSON.stringify(r) === JSON.stringify(rule)), `${file} lacks ${JSON.stringify(rule)}`);
    }
  });

  it('rbac-check.yaml: reads and runs the probe pod, no tunnel', () => {
    assert.ok(all(allows(MANIFESTS['probe-pod'], [...readChecks(scope), ...probePodChecks(scope)])));
    assert.ok(none(allows(MANIFESTS['probe-pod'], portForwardChecks(scope))));
  });
});

describe('modes: an in-process report is checked as a probe pod\'s is', () => {
  const plan: CheckPlan = {
    schema: 'coredns-sentinel/plan/v1',
    targets: [{ id: 'pod/a', address: '10.0.0.1', port: 53, kind: 'pod', label: 'coredns-a' }],
    queries: [{ id: 'q', name: 'kubernetes.default.svc.cluster.local', type: 'A', expect: {} }],
    transports: ['udp'],
    samples: 1,
    timeoutMs: 100,
    concurrency: 1,
  };
  const timedOut = { outcome: 'timeout', rcode: null, answers: [], latencyMs: null, detail: 'timeout after 100 ms' };
  const report = (sample: object) => ({
    schema: 'coredns-sentinel/report/v1',
    probeVersion: '0.1.0',
    hostname: 'h',
    startedAt: '2026-01-01T00:00:00.000Z',
    durationMs: 100,
    results: [{ targetId: 'pod/a', queryId: 'q', transport: 'udp', samples: [sample], verdict: 'fail', reason: '1/1 samples failed: timeout after 100 ms' }],
    targets: [{ targetId: 'pod/a', checks: 1, failedChecks: 1, p50Ms: null, p99Ms: null }],
  });

  it('a consistent report passes through', () => {
    assert.equal(inProcessResult(report(timedOut), plan, 'direct', '', 100).report.results.length, 1);
  });
  it('an inconsistent one is exit 4 "probe output invalid", naming the mode', () => {
    assert.throws(
      () => inProcessResult(report({ ...timedOut, rcode: 'NOERROR' }), plan, 'port-forward', '', 100),
      (e: unknown) => e instanceof ProbePodError && e.reason === 'garbage' && e.message === 'probe output invalid: results[0].samples[0] is "timeout" but has an rcode or latency (the in-process probe (port-forward mode))',
    );
  });
});
