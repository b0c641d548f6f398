import { expect } from 'chai';
import { pods, plan, report, workload, type Fault } from '../../test/fixtures/reports.ts';
import { judge } from '../judge/judge.ts';
import type { Judgement } from '../judge/types.ts';
import { emptyHistory, type History } from './history.ts';
import { planRepairs } from './policy.ts';
import { withTimeline } from './timeline.ts';

const NOW = new Date('2025-06-01T12:00:00.000Z');
const ago = (s: number): string => new Date(NOW.getTime() - s * 1000).toISOString();
const hang = (name: string): Fault => ({ target: name, outcome: 'timeout' });

/** Every pod of three hung, seen so from two probes: the judge says cluster-wide. */
function everyPodHungInput() {
  const ps = pods(3);
  const p = plan(ps);
  const faults = ps.map((x) => hang(x.name));
  return { plan: p, workload: workload(ps), primary: { node: 'node-0', report: report(p, faults) }, corroborating: [{ node: 'node-1', report: report(p, faults) }] };
}
const everyPodHung = (): Judgement => judge(everyPodHungInput());

/** A history in which each named pod's streak began `secondsAgo` (absent: it began failing this cycle). */
function streaks(j: Judgement, secondsAgo: Record<string, number>): History {
  const targets: History['targets'] = {};
  for (const t of j.targets) {
    const s = t.pod ? secondsAgo[t.pod.name] : undefined;
    if (s !== undefined) targets[t.key] = { failing: Math.max(1, Math.round(s / 2)), signature: t.signature, since: ago(s) };
  }
  return { ...emptyHistory(), targets };
}

describe('repair/timeline: pods failing one after another are not cluster-wide', () => {
  const rows: { name: string; since: Record<string, number>; classification: string }[] = [
    { name: 'no history: all began together (this cycle)', since: {}, classification: 'cluster-wide' },
    { name: 'a, b and c began in three different cycles', since: { 'coredns-a': 30, 'coredns-b': 15 }, classification: 'pod-local' },
    { name: 'a and b began in the same cycle, c now', since: { 'coredns-a': 15, 'coredns-b': 15 }, classification: 'cluster-wide' },
    { name: 'a long ago, b and c together this cycle', since: { 'coredns-a': 60 }, classification: 'cluster-wide' },
    { name: 'all three in one earlier cycle', since: { 'coredns-a': 10, 'coredns-b': 10, 'coredns-c': 10 }, classification: 'cluster-wide' },
    { name: 'each in its own earlier cycle', since: { 'coredns-a': 40, 'coredns-b': 25, 'coredns-c': 6 }, classification: 'pod-local' },
  ];
  for (const r of rows)
    it(`${r.name} → ${r.classification}`, () => {
      const j = everyPodHung();
      expect(j.classification).to.equal('cluster-wide');
      const seen = withTimeline(j, streaks(j, r.since), NOW);
      expect(seen.classification).to.equal(r.classification);
      expect(seen.candidates.map((c) => c.scope)).to.deep.equal(j.candidates.map(() => r.classification));
    });

  it('says when each began, oldest first, and the policy then restarts them one at a time, the oldest failure first', () => {
    const j = everyPodHung();
    const seen = withTimeline(j, streaks(j, { 'coredns-b': 30, 'coredns-c': 15 }), NOW);
    expect(seen.reason).to.equal(
      'every CoreDNS pod fails, but they began one after another (coredns-b since 11:59:30, coredns-c since 11:59:45, coredns-a since this cycle): separate faults, not cluster-wide — each is repaired as pod-local, one at a time',
    );
    // The judge counted the streaks from the history: the oldest failure is the worst and goes first.
    const history = streaks(j, { 'coredns-b': 30, 'coredns-c': 15 });
    const counted = judge({ ...everyPodHungInput(), previousFailures: Object.fromEntries(Object.entries(history.targets).map(([k, t]) => [k, t.failing])) });
    const plan_ = planRepairs(withTimeline(counted, history, NOW), workload(pods(3)), history, {}, NOW);
    expect(plan_.actions.map((a) => a.pod)).to.deep.equal(['coredns-b', 'coredns-c', 'coredns-a']);
    expect(plan_.skipped).to.deep.equal([]);
  });

  it('leaves every other verdict alone', () => {
    const ps = pods(3);
    const p = plan(ps);
    const one = judge({ plan: p, workload: workload(ps), primary: { node: 'node-0', report: report(p, [hang('coredns-a')]) } });
    expect(withTimeline(one, emptyHistory(), NOW)).to.equal(one);
  });
});
