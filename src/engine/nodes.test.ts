import assert from 'node:assert/strict';
import type { KNode } from '../kube/index.ts';
import { pinNodes, probeableNodes, tolerationNote } from './nodes.ts';

const node = (name: string, over: Partial<KNode> = {}): KNode => ({ name, ready: true, unschedulable: false, os: 'linux', taints: [], ...over });
const controlPlane = { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' };

describe('probe nodes', () => {
  const cases: [string, KNode[], string[], RegExp[]][] = [
    ['every Linux node', [node('b'), node('a')], ['a', 'b'], []],
    ['a Windows node left out with a note', [node('a'), node('win-1', { os: 'windows' })], ['a'], [/^--probe-nodes all: left out 1 node\(s\) not running Linux: win-1$/]],
    ['cordoned and not Ready nodes left out with a note', [node('a'), node('c', { unschedulable: true }), node('d', { ready: false })], ['a'], [/left out 2 cordoned or not Ready node\(s\): c, d$/]],
    ['a tainted control plane kept, its taint tolerated and said', [node('a'), node('cp', { taints: [controlPlane] })], ['a', 'cp'],
      [/^probe pods tolerate the taints of the nodes they are pinned to: cp \(node-role\.kubernetes\.io\/control-plane:NoSchedule\)$/]],
    ['no os label: kept (older nodes)', [{ name: 'a', ready: true, unschedulable: false, taints: [] }], ['a'], []],
  ];
  for (const [name, nodes, chosen, notes] of cases) {
    it(`--probe-nodes all: ${name}`, () => {
      const got = probeableNodes(nodes);
      assert.deepEqual(got.nodes.map((n) => n.name), chosen);
      assert.equal(got.notes.length, notes.length, got.notes.join('\n'));
      notes.forEach((re, i) => assert.match(got.notes[i]!, re));
    });
  }

  it('pins named nodes with their own taints only; a PreferNoSchedule taint needs no toleration', () => {
    const pinned = pinNodes(['cp', 'gone'], [node('cp', { taints: [controlPlane] }), node('other', { taints: [{ key: 'x', effect: 'NoSchedule' }] })]);
    assert.deepEqual(pinned, [{ name: 'cp', taints: [controlPlane] }, { name: 'gone', taints: [] }]);
    assert.equal(tolerationNote([{ name: 'n', taints: [{ key: 'soft', effect: 'PreferNoSchedule' }] }]), undefined);
  });
});
