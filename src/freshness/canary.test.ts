import assert from 'node:assert/strict';
import { CANARY_TTL_MS, canaryQuery, judgeableFreshness, staleCanaries, FRESHNESS_QUERY_ID } from './canary.ts';
import type { CheckPlan, CheckResult, ProbeReport } from '../probe/contract.ts';

const canary = { name: 'coredns-sentinel-canary-0a1b2c3d', namespace: 'default', clusterIP: '10.96.7.7' };

describe('freshness canary', () => {
  it('asks every pod for the canary A record, internal, exactly its ClusterIP', () => {
    assert.deepEqual(canaryQuery(canary, 'cluster.local'), {
      id: FRESHNESS_QUERY_ID, name: 'coredns-sentinel-canary-0a1b2c3d.default.svc.cluster.local', type: 'A', expect: { equal: ['10.96.7.7'] }, external: false,
    });
  });

  it('sweeps canaries past their TTL only', () => {
    const now = Date.parse('2026-01-01T01:00:00Z');
    const svc = (name: string, ageMs: number | undefined) => ({ name, namespace: 'default', clusterIPs: [], ports: [], selector: {}, ...(ageMs === undefined ? {} : { creationTimestamp: new Date(now - ageMs).toISOString() }) });
    assert.deepEqual(staleCanaries([svc('old', CANARY_TTL_MS + 1), svc('fresh', 1000), svc('edge', CANARY_TTL_MS), svc('undated', undefined)], now).map((s) => s.name), ['old']);
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
  });
});
