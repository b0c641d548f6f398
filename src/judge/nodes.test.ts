import assert from 'node:assert/strict';
import { differingNodes, nodeViews } from './nodes.ts';
import type { CheckPlan, CheckResult, ProbeReport } from '../probe/contract.ts';

const plan = { targets: [{ id: 'service', kind: 'service' }, { id: 'pod/a', kind: 'pod' }, { id: 'pod/b', kind: 'pod' }] } as CheckPlan;
const result = (targetId: string, pass: boolean) => ({ targetId, queryId: 'q', transport: 'udp', verdict: pass ? 'pass' : 'fail', samples: [], reason: '' }) as CheckResult;
const run = (node: string, pass: Record<string, boolean>) => ({
  node, pod: `probe-${node}`,
  report: { results: Object.entries(pass).map(([id, ok]) => result(id, ok)) } as ProbeReport,
});

describe('every node\'s view', () => {
  it('a matrix of node × target verdicts; a target without results fails', () => {
    assert.deepEqual(nodeViews(plan, [run('n1', { service: true, 'pod/a': true })]), [
      { node: 'n1', pod: 'probe-n1', targets: [{ id: 'service', verdict: 'pass' }, { id: 'pod/a', verdict: 'pass' }, { id: 'pod/b', verdict: 'fail' }] },
    ]);
  });
  const table: [string, ReturnType<typeof run>[], string[]][] = [
    ['all nodes fine', [run('n1', { service: true, 'pod/a': true, 'pod/b': true }), run('n2', { service: true, 'pod/a': true, 'pod/b': true })], []],
    ['one node cut off', [run('n1', { service: true, 'pod/a': true, 'pod/b': true }), run('n2', { service: false, 'pod/a': false, 'pod/b': false })], ['n2']],
    ['every node cut off: not a node problem to name', [run('n1', { 'pod/a': false, 'pod/b': false }), run('n2', { 'pod/a': false, 'pod/b': false })], []],
    ['a sick pod seen from every node is not a node problem', [run('n1', { 'pod/a': false, 'pod/b': true }), run('n2', { 'pod/a': false, 'pod/b': true })], []],
    ['one node only', [run('n1', { 'pod/a': false, 'pod/b': false })], []],
    ['two of three cut off', [run('n1', { 'pod/a': true, 'pod/b': true }), run('n2', { 'pod/a': false, 'pod/b': false }), run('n3', { 'pod/a': false, 'pod/b': false })], ['n2', 'n3']],
  ];
  for (const [name, runs, nodes] of table)
    it(name, () => assert.deepEqual(differingNodes(plan, nodeViews(plan, runs)).map((l) => /^node (\S+)/.exec(l)![1]), nodes));
});
