import assert from 'node:assert/strict';
import { CANARY_LABELS, CANARY_SELECTOR, CANARY_TTL_MS, canaryQuery, judgeableFreshness, noPodSawCanary, secondLookPlan, staleCanaries, withSecondLook, sweepCanaries, FRESHNESS_QUERY_ID } from './canary.ts';
import { bootDigest, ownerAnnotations, ownerDead, type RunOwner } from '../common/owner.ts';
import type { KubeClient } from '../kube/index.ts';
import type { CheckPlan, CheckResult, ProbeReport } from '../probe/contract.ts';

const canary = { name: 'coredns-sentinel-canary-0a1b2c3d', namespace: 'default', clusterIP: '10.96.7.7' };

describe('freshness canary', () => {
  it('asks every pod for the canary A record, internal, exactly its ClusterIP', () => {
    assert.deepEqual(canaryQuery(canary, 'cluster.local'), {
      id: FRESHNESS_QUERY_ID, name: 'coredns-sentinel-canary-0a1b2c3d.default.svc.cluster.local', type: 'A', expect: { equal: ['10.96.7.7'] }, external: false,
    });
  });

  it('asks AAAA where the Service got an IPv6 ClusterIP (IPv6-primary clusters)', () => {
    const q = canaryQuery({ ...canary, clusterIP: 'fd00:10:96::7' }, 'cluster.local');
    assert.equal(q.type, 'AAAA');
    assert.deepEqual(q.expect, { equal: ['fd00:10:96::7'] });
  });

  const now = Date.parse('2026-01-01T01:00:00Z');
  const svc = (name: string, ageMs: number | undefined, annotations: Record<string, string> = {}, labels: Record<string, string> = { ...CANARY_LABELS }) =>
    ({ name, namespace: 'default', clusterIPs: [], ports: [], selector: {}, labels, annotations, ...(ageMs === undefined ? {} : { creationTimestamp: new Date(now - ageMs).toISOString() }) });

  it('sweeps canaries past their TTL, of runs that are alive or unknown', () => {
    assert.deepEqual(staleCanaries([svc('old', CANARY_TTL_MS + 1), svc('fresh', 1000), svc('edge', CANARY_TTL_MS), svc('undated', undefined)], now).map((s) => s.name), ['old']);
  });

  it('sweeps a canary of a provably dead run at once, and never a Service that is not ours', () => {
    const self: RunOwner = { boot: bootDigest('laptop', 'boot-1'), pid: 100, pidStart: '5000' };
    const mine = ownerAnnotations({ ...self, pid: 200, pidStart: '6000' });
    const elsewhere = ownerAnnotations({ boot: bootDigest('ci', 'boot-9'), pid: 200, pidStart: '6000' });
    const dead = (a: Record<string, string>) => ownerDead(a, self, () => false);
    const services = [svc('killed-here', 1000, mine), svc('killed-elsewhere', 1000, elsewhere), svc('kubernetes', CANARY_TTL_MS * 10, mine, { component: 'apiserver' })];
    assert.deepEqual(staleCanaries(services, now, dead).map((s) => s.name), ['killed-here']);
    assert.deepEqual(staleCanaries(services, now, (a) => ownerDead(a, self, () => true)).map((s) => s.name), [], 'its run still alive');
  });

  it('sweepCanaries: the stale ones, or with all every canary; each deleted by name in its namespace', async () => {
    const self: RunOwner = { boot: bootDigest('laptop', 'boot-1'), pid: process.pid, pidStart: '' };
    const listed = [svc('live-run', 1000, ownerAnnotations({ ...self, pid: process.pid })), svc('old', CANARY_TTL_MS + 1)];
    const deleted: string[] = [];
    const client = { listServices: async (_ns: string, selector: string) => (selector === CANARY_SELECTOR ? listed : []), deleteService: async (ns: string, name: string) => void deleted.push(`${ns}/${name}`) } as unknown as KubeClient;
    assert.deepEqual(await sweepCanaries(client, 'default', now, { self }), ['old']);
    assert.deepEqual(await sweepCanaries(client, 'default', now, { self, all: true }), ['live-run', 'old']);
    assert.deepEqual(deleted, ['default/old', 'default/live-run', 'default/old']);
  });

  describe('judgeable', () => {
    const plan = { targets: [{ id: 'service', kind: 'service' }, { id: 'pod/a', kind: 'pod' }, { id: 'pod/b', kind: 'pod' }] } as CheckPlan;
    const result = (targetId: string, queryId: string, ok: boolean): CheckResult => ({
      targetId, queryId, transport: 'udp', verdict: ok ? 'pass' : 'fail', reason: ok ? 'ok' : '1/1 samples failed',
      samples: [{ outcome: ok ? 'ok' : 'unexpected-rcode', rcode: ok ? 'NOERROR' : 'NXDOMAIN', answers: [], latencyMs: 1 }],
    });
    const report = (results: CheckResult[]): ProbeReport => ({
      schema: 'coredns-sentinel/report/v1', probeVersion: 'x', hostname: 'p', startedAt: '', durationMs: 1, results,
      targets: ['service', 'pod/a', 'pod/b'].map((id) => ({ targetId: id, checks: results.filter((r) => r.targetId === id).length, failedChecks: results.filter((r) => r.targetId === id && r.verdict === 'fail').length, p50Ms: 1, p99Ms: 1 })),
    });

    it('one pod does not see the canary while its peer does: its failure stands (stale, pod-local)', () => {
      const r = report([result('pod/a', 'freshness', true), result('pod/b', 'freshness', false), result('pod/b', 'kubernetes-a', true)]);
      assert.deepEqual(judgeableFreshness(plan, r), { report: r });
    });

    it('no pod sees it yet: left out of this cycle with a note, counts adjusted', () => {
      const r = report([result('pod/a', 'freshness', false), result('pod/b', 'freshness', false), result('service', 'freshness', false), result('pod/a', 'kubernetes-a', true)]);
      const judged = judgeableFreshness(plan, r);
      assert.match(judged.note ?? '', /no CoreDNS pod answered the canary/);
      assert.deepEqual(judged.report.results.map((x) => `${x.targetId} ${x.queryId}`), ['pod/a kubernetes-a']);
      assert.deepEqual(judged.report.targets.map((t) => [t.targetId, t.checks, t.failedChecks]), [['service', 0, 0], ['pod/a', 1, 0], ['pod/b', 0, 0]]);
    });

    it('a plan without the canary is untouched', () => {
      const r = report([result('pod/a', 'kubernetes-a', false)]);
      assert.deepEqual(judgeableFreshness(plan, r), { report: r });
    });

    describe('the second look', () => {
      const rows: { name: string; results: CheckResult[]; none: boolean }[] = [
        { name: 'no pod saw it', results: [result('pod/a', 'freshness', false), result('pod/b', 'freshness', false), result('service', 'freshness', true)], none: true },
        { name: 'one pod saw it', results: [result('pod/a', 'freshness', true), result('pod/b', 'freshness', false)], none: false },
        { name: 'no canary in the plan', results: [result('pod/a', 'kubernetes-a', false)], none: false },
      ];
      for (const r of rows) it(`is needed when ${r.name}: ${r.none}`, () => assert.equal(noPodSawCanary(plan, report(r.results)), r.none));

      it('asks the canary alone, of the targets that were asked it', () => {
        const full = {
          ...plan,
          targets: [...plan.targets, { id: 'pod/a/ipv6', kind: 'pod', queries: ['kubernetes-a'] }, { id: 'pod/b/ipv6', kind: 'pod', queries: ['kubernetes-a', 'freshness'] }],
          queries: [{ id: 'kubernetes-a' }, { id: 'freshness' }],
          connects: [{ id: 'kubernetes-service' }],
        } as unknown as CheckPlan;
        const second = secondLookPlan(full);
        assert.deepEqual(second.queries.map((q) => q.id), ['freshness']);
        assert.deepEqual(second.targets.map((t) => [t.id, t.queries]), [['service', undefined], ['pod/a', undefined], ['pod/b', undefined], ['pod/b/ipv6', ['freshness']]]);
        assert.equal(second.connects, undefined);
      });

      it("replaces the canary's results with the second look's, counts adjusted; the other checks stay", () => {
        const first = report([result('pod/a', 'freshness', false), result('pod/b', 'freshness', false), result('pod/a', 'kubernetes-a', true)]);
        const again = report([result('pod/a', 'freshness', true), result('pod/b', 'freshness', false)]);
        const merged = withSecondLook(first, again);
        assert.deepEqual(merged.results.map((x) => `${x.targetId} ${x.queryId} ${x.verdict}`), ['pod/a kubernetes-a pass', 'pod/a freshness pass', 'pod/b freshness fail']);
        assert.deepEqual(merged.targets.map((t) => [t.targetId, t.failedChecks]), [['service', 0], ['pod/a', 0], ['pod/b', 1]]);
        assert.equal(noPodSawCanary(plan, merged), false);
      });
    });
  });
});
