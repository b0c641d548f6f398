import { expect } from 'chai';
import type { KPdb } from '../kube/index.ts';
import { judge } from '../judge/judge.ts';
import { plan, pods, report, workload } from '../../test/fixtures/reports.ts';
import { afterRepair, evictionBlock, selects, type RepairSay } from './foresight.ts';

const pdb = (o: Partial<KPdb> = {}): KPdb => ({
  name: 'coredns', matchLabels: { 'k8s-app': 'kube-dns' }, matchExpressions: [], hasSelector: true, disruptionsAllowed: 1, currentHealthy: 3, desiredHealthy: 2, ...o,
});
const DNS = { 'k8s-app': 'kube-dns', 'pod-template-hash': 'abc' };

describe('repair/foresight', () => {
  describe('selects', () => {
    const rows: [string, KPdb, Record<string, string>, boolean][] = [
      ['matchLabels equal', pdb(), DNS, true],
      ['matchLabels differ', pdb({ matchLabels: { app: 'other' } }), DNS, false],
      ['no selector selects nothing', pdb({ hasSelector: false, matchLabels: {} }), DNS, false],
      ['empty selector selects every pod', pdb({ matchLabels: {} }), DNS, true],
      ['In', pdb({ matchLabels: {}, matchExpressions: [{ key: 'k8s-app', operator: 'In', values: ['kube-dns', 'coredns'] }] }), DNS, true],
      ['NotIn', pdb({ matchLabels: {}, matchExpressions: [{ key: 'k8s-app', operator: 'NotIn', values: ['kube-dns'] }] }), DNS, false],
      ['Exists', pdb({ matchLabels: {}, matchExpressions: [{ key: 'pod-template-hash', operator: 'Exists', values: [] }] }), DNS, true],
      ['DoesNotExist', pdb({ matchLabels: {}, matchExpressions: [{ key: 'pod-template-hash', operator: 'DoesNotExist', values: [] }] }), DNS, false],
    ];
    for (const [name, budget, labels, want] of rows) it(`${name} → ${want}`, () => expect(selects(budget, labels)).to.equal(want));
  });

  describe('evictionBlock', () => {
    const rows: [string, KPdb[], RegExp | undefined][] = [
      ['no budget', [], undefined],
      ['a budget allowing one disruption', [pdb()], undefined],
      ['minAvailable = replicas', [pdb({ disruptionsAllowed: 0, desiredHealthy: 3 })], /^PodDisruptionBudget coredns allows no disruption now \(needs 3 healthy, has 3\)$/],
      ['a budget for other pods', [pdb({ disruptionsAllowed: 0, matchLabels: { app: 'web' } })], undefined],
      ['two budgets', [pdb(), pdb({ name: 'dns-too' })], /more than one PodDisruptionBudget \(coredns, dns-too\).*--restart-method delete/],
    ];
    for (const [name, budgets, want] of rows)
      it(name, () => {
        const got = evictionBlock(budgets, DNS);
        if (want) expect(got).to.match(want);
        else expect(got).to.equal(undefined);
      });
  });

  describe('afterRepair: the verdict line never offers a repair that was refused', () => {
    const ps = pods(3);
    const p = plan(ps);
    const j = judge({ plan: p, workload: workload(ps), primary: { node: 'node-0', report: report(p, [{ target: 'coredns-b', outcome: 'timeout' }]) } });
    const rows: { name: string; say: RepairSay; reason: RegExp }[] = [
      { name: 'done', say: { mode: 'repair', actions: [{ pod: 'coredns-b', outcome: 'done', detail: 'replacement Ready' }], skipped: [] }, reason: /it is repairable \(--repair restarts it one at a time\)$/ },
      {
        name: 'blocked by a PDB',
        say: { mode: 'repair', actions: [{ pod: 'coredns-b', outcome: 'blocked', detail: 'blocked by PodDisruptionBudget coredns: needs 3 healthy, has 3; not forced' }], skipped: [] },
        reason: /from the same probe — coredns-b not repaired: blocked by PodDisruptionBudget coredns: needs 3 healthy, has 3; not forced$/,
      },
      { name: 'skipped (cooldown)', say: { mode: 'repair', actions: [], skipped: [{ pod: 'coredns-b', reason: 'in cooldown: coredns-b was restarted 1m ago' }] }, reason: /— coredns-b not repaired: in cooldown/ },
      { name: 'dry run, would evict', say: { mode: 'dry-run', actions: [{ pod: 'coredns-b', outcome: 'dry-run', detail: 'would evict coredns-b' }], skipped: [] }, reason: /it is repairable/ },
      {
        name: 'dry run, a PDB would block',
        say: { mode: 'dry-run', actions: [{ pod: 'coredns-b', outcome: 'blocked', detail: 'PodDisruptionBudget coredns allows no disruption now' }], skipped: [] },
        reason: /— --repair would not restart coredns-b now: PodDisruptionBudget coredns allows no disruption now$/,
      },
      { name: 'a skip of a pod that is no candidate says nothing', say: { mode: 'repair', actions: [], skipped: [{ pod: 'coredns-a', reason: 'x' }] }, reason: /it is repairable/ },
    ];
    for (const r of rows)
      it(r.name, () => {
        const after = afterRepair(j, r.say);
        expect(after.reason).to.match(r.reason);
        if (after.reason !== j.reason) expect(after.reason).to.not.match(/repairable \(--repair/);
      });
  });
});
