import assert from 'node:assert/strict';
import { clientViewFindings } from './clientview.ts';
import type { CheckPlan, ClientViewResult } from '../probe/contract.ts';

const plan = { targets: [{ id: 'service', kind: 'service', label: 'service kube-dns' }, { id: 'pod/a', kind: 'pod', label: 'coredns-a' }] } as CheckPlan;
const view = (service: [number, number], pod: [number, number]): ClientViewResult => ({
  resolvConf: { nameservers: [], search: [], ndots: 5 },
  lookup: { name: 'kubernetes.default', tried: [], answeredAs: null, glibcQueries: 0, muslQueries: 0 },
  bursts: [
    { targetId: 'service', queries: 20, firstTry: 20 - service[0] - service[1], afterRetry: service[0], lost: service[1] },
    { targetId: 'pod/a', queries: 20, firstTry: 20 - pod[0] - pod[1], afterRetry: pod[0], lost: pod[1] },
  ],
});

describe('client view findings', () => {
  it('nothing late: no finding', () => assert.deepEqual(clientViewFindings(plan, view([0, 0], [0, 0]), 'n1'), []));
  it('late on the Service IP only: the conntrack race of that node, no restart', () => {
    const [f] = clientViewFindings(plan, view([10, 0], [0, 0]), 'n1');
    assert.match(f!, /^client view from node n1: 10 of 20 A\/AAAA queries to service kube-dns answered only after a retry, 0 never — while every pod IP answered at once: the conntrack insertion race/);
    assert.match(f!, /no CoreDNS restart/);
  });
  it('late on a pod IP too: a lossy path, not the race', () => {
    const findings = clientViewFindings(plan, view([2, 1], [1, 0]), 'n2');
    assert.equal(findings.length, 2);
    assert.ok(findings.every((f) => /loses UDP; a node or network problem, no CoreDNS restart/.test(f)));
  });
  it("a hung (failing) pod losing queries is the pod's failure, not the node's path", () => {
    assert.deepEqual(clientViewFindings(plan, view([0, 0], [0, 20]), 'n2', new Set(['pod/a'])), []);
  });
  it('a terminating pod left out of the plan says nothing about the path', () => {
    const withoutA = { targets: plan.targets.filter((t) => t.id !== 'pod/a') } as CheckPlan;
    assert.deepEqual(clientViewFindings(withoutA, view([0, 0], [0, 20]), 'n2'), []);
  });
});
