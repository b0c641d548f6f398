// Repair keeps up with repeated faults (docs/repair.md "Repeated faults"): a terminating pod the Service
// no longer routes to does not block the next repair, a pod answering nothing leaves with a short grace
// period, and a replacement inherits its predecessor's lineage. Pure.
import { expect } from 'chai';
import type { DnsPod } from '../discover/types.ts';
import { pod, plan, report, workload, type Fault } from '../../test/fixtures/reports.ts';
import { judge } from '../judge/judge.ts';
import { emptyHistory, type History } from './history.ts';
import { planRepairs } from './policy.ts';
import { silentPodUids, withSilentGrace } from './grace.ts';

const NOW = new Date('2025-06-01T12:00:00.000Z');

function planFor(ps: DnsPod[], hung: string, endpoints?: { address: string; ready: boolean; pod?: string }[], history: History = emptyHistory(), replicas = 3, fault: Fault = { target: hung, outcome: 'timeout' }) {
  const p = plan(ps.filter((x) => !x.terminating));
  const r = report(p, [fault]);
  const w = { ...workload(ps, replicas), ...(endpoints ? { endpoints } : {}) };
  const j = judge({ plan: p, workload: w, primary: { node: 'node-0', report: r } });
  return { result: planRepairs(j, w, history, {}, NOW), plan: p, report: r, workload: w };
}

describe('repair keeps up', () => {
  describe('a terminating pod gone from the EndpointSlices', () => {
    // coredns-c was evicted; its replacement coredns-d is Ready; now coredns-a hangs.
    const ps = [pod(0), pod(1), pod(2, { terminating: true }), pod(3)];
    const ready = (names: DnsPod[]) => names.filter((x) => !x.terminating).map((x) => ({ address: x.ips[0]!, ready: true, pod: x.name }));
    // coredns-a still answers, one record wrong: restarting it takes a serving pod away, so it waits its turn.
    const wrongA: Fault = { target: 'coredns-a', query: 'api', outcome: 'wrong-answer' };
    const planWrong = (pods: DnsPod[], endpoints?: { address: string; ready: boolean; pod?: string }[]) => planFor(pods, 'coredns-a', endpoints, emptyHistory(), 3, wrongA);

    it('does not block the next repair when the Service no longer routes to it', () => {
      expect(planWrong(ps, ready(ps)).result.actions.map((a) => a.pod)).to.deep.equal(['coredns-a']);
    });

    it('still blocks while it is a ready endpoint', () => {
      const endpoints = ps.map((x) => ({ address: x.ips[0]!, ready: true, pod: x.name }));
      const { result } = planWrong(ps, endpoints);
      expect(result.actions).to.deep.equal([]);
      expect(result.skipped.find((s) => s.pod === 'coredns-a')?.reason).to.match(/already unavailable \(coredns-c\)/);
    });

    it('still blocks when the EndpointSlices could not be read', () => {
      expect(planWrong(ps, undefined).result.actions).to.deep.equal([]);
    });

    it('its replacement not created yet: the missing replica blocks', () => {
      const without = ps.filter((x) => x.name !== 'coredns-d');
      const { result } = planWrong(without, ready(without));
      expect(result.skipped.find((s) => s.pod === 'coredns-a')?.reason).to.match(/missing replica 1/);
    });

    it('never blocks a hung pod: it serves no one, so restarting it takes nothing away', () => {
      const endpoints = ps.map((x) => ({ address: x.ips[0]!, ready: true, pod: x.name }));
      expect(planFor(ps, 'coredns-a', endpoints).result.actions.map((a) => a.pod)).to.deep.equal(['coredns-a']);
    });
  });

  describe('silent pods (no answer at all) get the short grace period', () => {
    const ps = [pod(0), pod(1), pod(2)];

    it('a pod whose every sample went unanswered', () => {
      // Every sample of coredns-b timed out: the report, as the probe summarizes it, has no latency for it.
      const f = planFor(ps, 'coredns-b');
      const silent = silentPodUids(f.plan, f.report, f.workload);
      expect([...silent]).to.deep.equal(['uid-coredns-b']);
      expect(withSilentGrace(f.result.actions, silent, 1).map((a) => a.gracePeriodSeconds)).to.deep.equal([1]);
    });

    it('a pod that answers something (errors, slow answers) keeps its own grace period', () => {
      const f = planFor(ps, 'coredns-b', undefined, emptyHistory(), 3, { target: 'coredns-b', outcome: 'server-failure' });
      const silent = silentPodUids(f.plan, f.report, f.workload);
      expect(silent.size).to.equal(0);
      expect(withSilentGrace(f.result.actions, silent, 1)[0]).to.not.have.property('gracePeriodSeconds');
    });

    it('not a pod the API could not reach (its tunnel refused): it was asked nothing', () => {
      const f = planFor(ps, 'coredns-c');
      const cut = report(f.plan, [{ target: 'coredns-b', outcome: 'path' }]);
      expect([...silentPodUids(f.plan, cut, f.workload)]).to.deep.equal([]);
    });

    it('never for a rollout', () => {
      const action = { method: 'rollout' as const, namespace: 'kube-system', deployment: 'coredns', lineage: 'x', restarts: [{ pod: 'coredns-b', uid: 'uid-coredns-b', node: 'n', signature: 's' }], reason: 'r' };
      expect(withSilentGrace([action], new Set(['uid-coredns-b']), 1)[0]).to.not.have.property('gracePeriodSeconds');
    });
  });

  it('a replacement inherits the lineage of the pod it replaced', () => {
    const ps = [pod(0), pod(1), pod(2)];
    const history: History = {
      ...emptyHistory(),
      restarts: [{ id: 'r1', at: new Date(NOW.getTime() - 10 * 60_000).toISOString(), method: 'evict', status: 'done', lineage: 'kube-system/pod/coredns-x', workload: 'coredns',
        pods: [{ name: 'coredns-x', uid: 'uid-x', signature: 'other' }], replacements: [{ name: 'coredns-b', uid: 'uid-coredns-b' }] }],
    };
    expect(planFor(ps, 'coredns-b', undefined, history).result.actions[0]!.lineage).to.equal('kube-system/pod/coredns-x');
  });
});
