// Pure parts of repair's I/O: lease decisions, newer history schemas, replacement and verification
// checks and the PDB refusal parser.
import assert from 'node:assert/strict';
import { leaseDecision, leaseExpiry } from './lock.ts';
import { newerSchemaOf } from './state.ts';
import { noLongerNeeded, replaced } from './execute.ts';
import type { RepairAction } from './policy.ts';
import { judge } from '../judge/judge.ts';
import { plan, pods, report, workload, type Fault } from '../../test/fixtures/reports.ts';
import { HISTORY_KEY } from './history.ts';
import { disruptionBudgetBlock } from '../kube/client.ts';
import type { KPod } from '../kube/index.ts';

const now = new Date('2025-01-01T00:01:00Z');

describe('repair lock decisions', () => {
  const lease = { name: 'coredns-sentinel-repair', namespace: 'kube-system', leaseDurationSeconds: 60 };
  it('creates when absent, takes a free or own lease, observes one that looks expired, refuses a live one naming holder and expiry', () => {
    assert.deepEqual(leaseDecision(undefined, 'me', now), { kind: 'create' });
    assert.deepEqual(leaseDecision({ ...lease, holderIdentity: '' }, 'me', now), { kind: 'take' });
    assert.deepEqual(leaseDecision({ ...lease, holderIdentity: 'me', renewTime: '2025-01-01T00:00:59.000000Z' }, 'me', now), { kind: 'take' });
    assert.deepEqual(leaseDecision({ ...lease, holderIdentity: 'ci/7/ab', renewTime: '2025-01-01T00:00:00.000000Z' }, 'me', now), { kind: 'observe', holder: 'ci/7/ab' });
    assert.deepEqual(leaseDecision({ ...lease, holderIdentity: 'ci/7/ab', renewTime: '2025-01-01T00:00:30.000000Z' }, 'me', now), {
      kind: 'locked',
      holder: 'ci/7/ab',
      until: '2025-01-01T00:01:30.000Z',
    });
    assert.equal(leaseExpiry({ ...lease, holderIdentity: 'x' }), 0, 'a lease without times is expired');
  });
});

describe('shared history schema', () => {
  it('flags only a NEWER schema (garbage and the current one are not newer)', () => {
    assert.equal(newerSchemaOf({ [HISTORY_KEY]: '{"schema":"coredns-sentinel/history/v3"}' }), 'coredns-sentinel/history/v3');
    assert.equal(newerSchemaOf({ [HISTORY_KEY]: '{"schema":"coredns-sentinel/history/v2"}' }), undefined);
    assert.equal(newerSchemaOf({ [HISTORY_KEY]: '{"schema":"coredns-sentinel/history/v1"}' }), undefined);
    assert.equal(newerSchemaOf({ [HISTORY_KEY]: 'not json' }), undefined);
    assert.equal(newerSchemaOf(undefined), undefined);
  });
});

describe('replacement wait', () => {
  const pod = (uid: string, ready: boolean, terminating = false): KPod => ({
    name: uid, namespace: 'kube-system', uid, resourceVersion: '1', labels: {}, ownerReferences: [], nodeName: 'n', phase: 'Running', podIPs: [],
    conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }], containerStatuses: [], ...(terminating ? { deletionTimestamp: 'x' } : {}),
  });
  it('needs the old pod out of service and the Ready count back', () => {
    const old = new Set(['a']);
    assert.equal(replaced([pod('a', true), pod('b', true), pod('c', true)], old, 3), false);
    assert.equal(replaced([pod('a', true, true), pod('b', true), pod('c', true)], old, 3), false, 'replacement not there yet');
    assert.equal(replaced([pod('a', true, true), pod('b', true), pod('c', true), pod('d', false)], old, 3), false, 'replacement not Ready');
    assert.equal(replaced([pod('a', true, true), pod('b', true), pod('c', true), pod('d', true)], old, 3), true);
  });
});

describe('eviction refused by a PodDisruptionBudget', () => {
  it('is a typed result with the budget, not throttling', () => {
    const body = JSON.stringify({ kind: 'Status', code: 429, reason: 'TooManyRequests', message: "Cannot evict pod as it would violate the pod's disruption budget.",
      details: { causes: [{ reason: 'DisruptionBudget', message: 'The disruption budget coredns-pdb needs 3 healthy pods and has 3 currently' }] } });
    assert.deepEqual(disruptionBudgetBlock({ code: 429, body }), { blockedBy: 'coredns-pdb', message: 'blocked by PodDisruptionBudget coredns-pdb: needs 3 healthy, has 3' });
    assert.equal(disruptionBudgetBlock({ code: 429, body: JSON.stringify({ message: 'slow down' }) }), undefined);
  });
});

describe('a restart planned before the last verification', () => {
  const ps = pods(3);
  const p = plan(ps);
  const judged = (faults: Fault[]) => judge({ plan: p, workload: workload(ps), primary: { node: 'node-0', report: report(p, faults) } });
  const action = (name: string, method: RepairAction['method'] = 'evict'): RepairAction => ({
    method, namespace: 'kube-system', pod: name, lineage: `kube-system/pod/${name}`, restarts: [{ pod: name, uid: `uid-${name}`, node: 'n', signature: 's' }], reason: 'r',
  });
  const rows: { name: string; faults: Fault[]; action: RepairAction; want: RegExp | undefined }[] = [
    { name: 'still sick → restarted', faults: [{ target: 'coredns-b', outcome: 'timeout' }], action: action('coredns-b'), want: undefined },
    { name: 'passes now → left alone', faults: [], action: action('coredns-b'), want: /passes in the verification after the previous repair; not restarted/ },
    { name: 'now only its external name fails → left alone, saying why', faults: [{ target: 'coredns-b', query: 'ext', outcome: 'server-failure' }], action: action('coredns-b'), want: /no longer repairable .*upstream/ },
    { name: 'gone from the workload → left alone', faults: [], action: action('coredns-x'), want: /no longer sees the pod/ },
    { name: 'a rollout is never second-guessed', faults: [], action: action('coredns-b', 'rollout'), want: undefined },
  ];
  for (const r of rows)
    it(r.name, () => {
      const why = noLongerNeeded(r.action, judged(r.faults));
      if (r.want) assert.match(why ?? '', r.want);
      else assert.equal(why, undefined);
    });
});
