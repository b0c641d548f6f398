import { expect } from 'chai';
import type { DnsPod, DnsWorkload } from '../discover/types.ts';
import { pod, plan, report, workload, type Fault } from '../../test/fixtures/reports.ts';
import { judge } from '../judge/judge.ts';
import { emptyHistory, type History, type QuarantineRecord, type RestartRecord } from './history.ts';
import { lineageOf, planRepairs, type RepairConfig } from './policy.ts';
import { dueForRemoval, planQuarantines, quarantineIntent, quarantinePatch, settleQuarantine, withQuarantineIntent, type QuarantineConfig, type QuarantinePlan } from './quarantine.ts';

const NOW = new Date('2025-06-01T12:00:00.000Z');
const MIN = 60_000;
const ago = (ms: number): string => new Date(NOW.getTime() - ms).toISOString();
const HUNG = 'api/tcp,api/udp,dns-srv/tcp,dns-srv/udp,ext/tcp,ext/udp';
const hang = (name: string): Fault => ({ target: name, outcome: 'timeout' });
const SELECTOR = { 'k8s-app': 'kube-dns' };

const restart = (podName: string, agoMs: number, lineageOfPod = podName, replacedBy?: string): RestartRecord => ({
  id: `r-${podName}-${agoMs}`,
  at: ago(agoMs),
  method: 'evict',
  status: 'done',
  lineage: lineageOf('kube-system', lineageOfPod),
  workload: 'coredns',
  pods: [{ name: podName, uid: `uid-old-${podName}`, signature: HUNG }],
  ...(replacedBy ? { replacements: [{ name: replacedBy, uid: `uid-${replacedBy}` }] } : {}),
});
const kept = (name: string): QuarantineRecord => ({
  id: `q-${name}`, at: ago(MIN), until: new Date(NOW.getTime() + 29 * MIN).toISOString(), status: 'done', lineage: lineageOf('kube-system', name),
  pod: { name, uid: `uid-${name}` }, reason: 'in cooldown', removedLabels: SELECTOR,
});

interface Scenario {
  hung?: string[];
  /** Pods that answer no DNS at all (default: the hung ones). */
  silent?: string[];
  pod?: Partial<DnsPod>;
  workload?: Partial<DnsWorkload>;
  restarts?: RestartRecord[];
  quarantined?: QuarantineRecord[];
  repair?: Partial<RepairConfig>;
  quarantine?: Partial<QuarantineConfig>;
}

function quarantinePlan(s: Scenario): QuarantinePlan {
  const ps = [0, 1, 2].map((i) => pod(i, { controller: { kind: 'Deployment', name: 'coredns' }, ...s.pod }));
  const base = workload(ps);
  const w: DnsWorkload = { ...base, service: { ...base.service, selector: SELECTOR }, controller: { ...base.controller!, selector: { ...SELECTOR, 'pod-template-hash': 'x' } }, ...s.workload };
  const p = plan(ps);
  const hung = s.hung ?? ['coredns-b'];
  const judgement = judge({ plan: p, workload: w, primary: { node: 'node-0', report: report(p, hung.map(hang)) } });
  const history: History = { ...emptyHistory(), restarts: s.restarts ?? [], quarantines: s.quarantined ?? [] };
  const repairs = planRepairs(judgement, w, history, s.repair ?? {}, NOW);
  const silent = new Set((s.silent ?? hung).map((n) => `uid-${n}`));
  return planQuarantines(repairs, w, silent, history, s.quarantine ?? {}, NOW);
}

const out = (q: QuarantinePlan) => q.quarantines.map((x) => x.pod);
const why = (q: QuarantinePlan, name: string) => q.skipped.filter((s) => s.pod === name).map((s) => s.reason).join(' | ');

describe('repair/quarantine: a silent pod whose restart is refused leaves rotation', () => {
  const rows: { name: string; s: Scenario; out: string[]; reason?: [string, RegExp] }[] = [
    { name: 'restart allowed: nothing to quarantine', s: {}, out: [] },
    { name: 'cooldown (its predecessor restarted 1m ago)', s: { restarts: [restart('coredns-old', MIN, 'coredns-old', 'coredns-b')] }, out: ['coredns-b'] },
    { name: 'cooldown, but the pod still answers something (wrong answers)', s: { restarts: [restart('coredns-old', MIN, 'coredns-old', 'coredns-b')], silent: [] }, out: [], reason: ['coredns-b', /^in cooldown: [^;]*$/] },
    { name: 'budget used by other lineages', s: { restarts: [restart('x', 10 * MIN), restart('y', 20 * MIN), restart('z', 30 * MIN)] }, out: ['coredns-b'] },
    {
      name: 'escalated lineage',
      s: { restarts: [restart('coredns-p', 20 * MIN, 'coredns-p', 'coredns-q'), restart('coredns-q', 10 * MIN, 'coredns-p', 'coredns-b')], repair: { cooldownMs: 0 } },
      out: ['coredns-b'],
    },
    // Restarts go one after another in the same run (src/repair/policy.ts): the second silent pod is restarted too, not refused.
    { name: 'two silent pods: both restarted, one at a time — none left to take out of rotation', s: { hung: ['coredns-b', 'coredns-c'] }, out: [] },
    { name: '--no-quarantine', s: { restarts: [restart('coredns-old', MIN, 'coredns-old', 'coredns-b')], quarantine: { enabled: false } }, out: [], reason: ['coredns-b', /^in cooldown: [^;]*$/] },
    {
      name: 'DaemonSet pod with host port 53',
      s: { restarts: [restart('coredns-old', MIN, 'coredns-old', 'coredns-b')], pod: { controller: { kind: 'DaemonSet', name: 'dns-default' }, nodePorts: [53] } },
      out: [],
      reason: ['coredns-b', /in cooldown: .*; it answers no DNS and stays in rotation: DaemonSet dns-default's replacement cannot start on node node-1 while this pod holds host port 53 there$/],
    },
    {
      name: 'DaemonSet pod on the host network',
      s: { restarts: [restart('coredns-old', MIN, 'coredns-old', 'coredns-b')], pod: { controller: { kind: 'DaemonSet', name: 'dns-default' }, nodePorts: 'host-network' } },
      out: [],
      reason: ['coredns-b', /while this pod holds the node's ports \(hostNetwork\) there$/],
    },
    {
      name: 'DaemonSet pod without node ports',
      s: { restarts: [restart('coredns-old', MIN, 'coredns-old', 'coredns-b')], pod: { controller: { kind: 'DaemonSet', name: 'dns-default' } }, workload: { controller: undefined } },
      out: ['coredns-b'],
    },
    {
      name: 'StatefulSet pod',
      s: { restarts: [restart('coredns-old', MIN, 'coredns-old', 'coredns-b')], pod: { controller: { kind: 'StatefulSet', name: 'dns' } } },
      out: [],
      reason: ['coredns-b', /StatefulSet dns replaces a pod only under its name, which this pod keeps$/],
    },
    {
      name: 'a pod no controller owns',
      s: { restarts: [restart('coredns-old', MIN, 'coredns-old', 'coredns-b')], pod: { controller: undefined } },
      out: [],
      reason: ['coredns-b', /no controller owns it, so nothing would start a replacement$/],
    },
    {
      name: 'a Service without selector',
      s: { restarts: [restart('coredns-old', MIN, 'coredns-old', 'coredns-b')], workload: { service: { name: 'kube-dns', namespace: 'kube-system', clusterIPs: ['10.96.0.10'], port: 53 } } },
      out: [],
      reason: ['coredns-b', /Service kube-dns has no selector to take it out of$/],
    },
    {
      name: "the Service's selector is not the Deployment's",
      s: {
        restarts: [restart('coredns-old', MIN, 'coredns-old', 'coredns-b')],
        workload: { controller: { kind: 'Deployment', name: 'coredns', desired: 3, ready: 3, selector: { app: 'coredns' } } },
      },
      out: [],
      reason: ['coredns-b', /removing Service kube-dns's selector labels \(k8s-app\) leaves it in Deployment coredns's selector, so no replacement would start$/],
    },
    {
      name: 'as many pods kept in quarantine as replicas',
      s: { restarts: [restart('coredns-old', MIN, 'coredns-old', 'coredns-b')], quarantined: [kept('coredns-x'), kept('coredns-y'), kept('coredns-z')] },
      out: [],
      reason: ['coredns-b', /3 pod\(s\) are out of rotation already \(coredns-x, coredns-y, coredns-z\) and at most 3 \(the replicas\) are kept/],
    },
    { name: 'two kept of three: one more may go', s: { restarts: [restart('coredns-old', MIN, 'coredns-old', 'coredns-b')], quarantined: [kept('coredns-x'), kept('coredns-y')] }, out: ['coredns-b'] },
  ];
  for (const r of rows)
    it(`${r.name} → ${r.out.length ? `quarantine ${r.out.join(', ')}` : 'no quarantine'}`, () => {
      const q = quarantinePlan(r.s);
      expect(out(q)).to.deep.equal(r.out);
      if (r.reason) expect(why(q, r.reason[0])).to.match(r.reason[1]);
    });

  it('never for pods the judge did not make candidates: every pod hung is cluster-wide, not a refused restart', () => {
    const q = quarantinePlan({ hung: ['coredns-a', 'coredns-b', 'coredns-c'] });
    expect(out(q)).to.deep.equal([]);
  });

  it('the escalation stays in the plan beside the quarantine (exit 5: a human must look)', () => {
    const restarts = [restart('coredns-p', 20 * MIN, 'coredns-p', 'coredns-q'), restart('coredns-q', 10 * MIN, 'coredns-p', 'coredns-b')];
    const q = quarantinePlan({ restarts, repair: { cooldownMs: 0 } });
    expect(q.quarantines[0]).to.include({ pod: 'coredns-b', lineage: lineageOf('kube-system', 'coredns-p'), reason: 'escalated: the same failure came back after 2 restart(s)' });
  });

  it('relabels out of the Service selector, says why and until when, and remembers the labels removed', () => {
    const [action] = quarantinePlan({ restarts: [restart('coredns-old', MIN, 'coredns-old', 'coredns-b')], quarantine: { ttlMs: 10 * MIN } }).quarantines;
    expect(action!.until).to.equal('2025-06-01T12:10:00.000Z');
    const patch = quarantinePatch(action!);
    expect(patch.labels).to.deep.equal({ 'k8s-app': null, 'coredns-sentinel/quarantined': 'true' });
    expect(patch.annotations['coredns-sentinel/removed-labels']).to.equal('{"k8s-app":"kube-dns"}');
    expect(patch.annotations['coredns-sentinel/quarantined-until']).to.equal('2025-06-01T12:10:00.000Z');
    expect(patch.annotations['coredns-sentinel/quarantined-at']).to.equal('2025-06-01T12:00:00.000Z');
    expect(patch.annotations['coredns-sentinel/quarantine-reason']).to.match(/^answers no DNS; not restarted: in cooldown: its predecessor coredns-old was restarted 1m ago/);
  });

  it('history: write-ahead intent, done, deleted at the TTL or after a healthy cycle', () => {
    const [action] = quarantinePlan({ restarts: [restart('coredns-old', MIN, 'coredns-old', 'coredns-b')], quarantine: { ttlMs: 10 * MIN } }).quarantines;
    const intent = quarantineIntent(action!, 'q1', NOW);
    let h = withQuarantineIntent(emptyHistory(), intent, NOW);
    expect(dueForRemoval(h, true, NOW), 'an intent is not deleted: its relabel may not have happened').to.deep.equal([]);
    expect(settleQuarantine(h, 'q1', false, NOW).quarantines).to.deep.equal([]);
    h = settleQuarantine(h, 'q1', true, NOW);
    expect(dueForRemoval(h, false, NOW)).to.deep.equal([]);
    expect(dueForRemoval(h, true, NOW).map((q) => q.id)).to.deep.equal(['q1']);
    expect(dueForRemoval(h, false, new Date(NOW.getTime() + 10 * MIN)).map((q) => q.id)).to.deep.equal(['q1']);
  });
});
