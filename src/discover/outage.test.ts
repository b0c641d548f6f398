import assert from 'node:assert/strict';
import type { KEvent, KPod } from '../kube/index.ts';
import { detectOutage, isContainerCreating, needsEvents, podEvent, unschedulableMessage, type OutageInput } from './outage.ts';
import { pods as dnsPods, plan, report, workload } from '../../test/fixtures/reports.ts';
import { judge } from '../judge/judge.ts';

const READY = [{ type: 'PodScheduled', status: 'True' }, { type: 'Ready', status: 'True' }];
const kpod = (name: string, state: 'ready' | 'pending' | 'creating' | 'crash' | 'running' | 'terminating' | 'succeeded'): KPod => {
  const base: KPod = { name, namespace: 'kube-system', uid: name, resourceVersion: '1', labels: {}, ownerReferences: [], nodeName: 'n1', phase: 'Running', podIPs: ['10.0.0.1'], conditions: READY, containerStatuses: [{ name: 'coredns', ready: true, restartCount: 0 }] };
  switch (state) {
    case 'ready':
      return base;
    case 'pending':
      return { ...base, phase: 'Pending', nodeName: '', podIPs: [], containerStatuses: [], conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: `0/2 nodes are available: 2 node(s) had untolerated taint {x: y} (${name})` }] };
    case 'creating':
      return { ...base, phase: 'Pending', podIPs: [], containerStatuses: [{ name: 'coredns', ready: false, restartCount: 0, waitingReason: 'ContainerCreating' }], conditions: [{ type: 'PodScheduled', status: 'True' }] };
    case 'crash':
      return { ...base, conditions: [{ type: 'Ready', status: 'False' }], containerStatuses: [{ name: 'coredns', ready: false, restartCount: 4, waitingReason: 'CrashLoopBackOff' }] };
    case 'running':
      return { ...base, conditions: [{ type: 'Ready', status: 'False' }] };
    case 'terminating':
      return { ...base, deletionTimestamp: '2025-01-01T00:00:00Z' };
    case 'succeeded':
      return { ...base, phase: 'Succeeded', conditions: [] };
  }
};
const event = (pod: string, reason: string, type = 'Warning'): KEvent => ({ name: `${pod}.1`, namespace: 'kube-system', resourceVersion: '1', involvedKind: 'Pod', involvedName: pod, reason, message: `${reason} of ${pod}`, type, component: 'kubelet' });
const input = (over: Partial<OutageInput>): OutageInput => ({ namespace: 'kube-system', labelSelector: 'k8s-app=kube-dns', pods: [], ...over });
const deployment = (desired: number) => ({ kind: 'Deployment' as const, name: 'coredns', desired, ready: 0 });

describe('discover/outage', () => {
  const table: [string, Partial<OutageInput>, string | undefined][] = [
    ['healthy', { pods: [kpod('a', 'ready'), kpod('b', 'ready')], controller: deployment(2) }, undefined],
    ['one of two Ready', { pods: [kpod('a', 'ready'), kpod('b', 'crash')] }, undefined],
    ['scaled to 0', { controller: deployment(0) }, 'scaled-to-zero'],
    ['scaled to 0 with a pod still terminating', { pods: [kpod('a', 'terminating')], controller: deployment(0) }, 'scaled-to-zero'],
    ['DaemonSet that wants 0', { controller: { kind: 'DaemonSet', name: 'dns-default', desired: 0, ready: 0 } }, 'scaled-to-zero'],
    ['wants 2, none exists', { controller: deployment(2) }, 'no-pods'],
    ["the Service's selector matches no pod while the Deployment's 2 run", { controller: { ...deployment(2), ready: 2 }, selectorOf: { service: 'kube-dns' } }, 'selector-drift'],
    ['the default selector matches no pod while the Deployment runs (not the Service\'s words)', { controller: { ...deployment(2), ready: 2 } }, 'no-pods'],
    ['no controller, no pods', {}, 'no-pods'],
    ['only finished and terminating pods', { pods: [kpod('a', 'succeeded'), kpod('b', 'terminating')] }, 'no-pods'],
    ['every pod Pending', { pods: [kpod('a', 'pending'), kpod('b', 'pending')] }, 'unschedulable'],
    ['every pod ContainerCreating', { pods: [kpod('a', 'creating'), kpod('b', 'creating')], events: [event('a', 'FailedCreatePodSandBox')] }, 'container-creating'],
    ['Pending and crash-looping', { pods: [kpod('a', 'pending'), kpod('b', 'crash')] }, 'none-ready'],
    ['every pod Running, not Ready', { pods: [kpod('a', 'running'), kpod('b', 'crash')] }, 'none-ready'],
    ['Ready pods, Service with no endpoints', { pods: [kpod('a', 'ready')], service: { name: 'kube-dns', endpoints: [] } }, 'no-endpoints'],
    ['Ready pods, Service endpoints not ready', { pods: [kpod('a', 'ready')], service: { name: 'kube-dns', endpoints: [{ address: '10.0.0.1', ready: false }] } }, 'no-endpoints'],
    ['Ready pods, endpoints unknown (unreadable slices)', { pods: [kpod('a', 'ready')], service: { name: 'kube-dns' } }, undefined],
    ['Ready pods, a ready endpoint', { pods: [kpod('a', 'ready')], service: { name: 'kube-dns', endpoints: [{ address: '10.0.0.1', ready: true }] } }, undefined],
  ];
  for (const [what, over, want] of table) it(`${what} → ${want ?? 'no outage'}`, () => assert.equal(detectOutage(input(over))?.kind, want));

  it('quotes the scheduler, the kubelet Events (Warning first) and each pod state; at most three pods', () => {
    assert.equal(
      detectOutage(input({ pods: [kpod('a', 'pending')] }))?.reason,
      'every DNS pod is Pending, none can be scheduled — a: 0/2 nodes are available: 2 node(s) had untolerated taint {x: y} (a)',
    );
    const creating = detectOutage(input({ pods: [kpod('a', 'creating'), kpod('b', 'creating')], events: [event('a', 'FailedCreatePodSandBox'), event('a', 'Scheduled', 'Normal')] }));
    assert.equal(creating?.reason, 'every DNS pod is stuck in ContainerCreating — a: FailedCreatePodSandBox: FailedCreatePodSandBox of a; b: no Event yet');
    const many = detectOutage(input({ pods: ['a', 'b', 'c', 'd', 'e'].map((n) => kpod(n, 'crash')) }));
    assert.equal(many?.reason, 'no DNS pod is Ready — a: Running, CrashLoopBackOff; b: Running, CrashLoopBackOff; c: Running, CrashLoopBackOff; and 2 more');
    assert.match(detectOutage(input({ controller: deployment(3) }))!.reason, /^Deployment coredns wants 3 pod\(s\) but no DNS pod exists in namespace kube-system/);
    const drift = detectOutage(input({ labelSelector: 'k8s-app=kube-dns-v2', controller: { ...deployment(2), ready: 2 }, selectorOf: { service: 'kube-dns' } }));
    assert.match(drift!.reason, /^selector drift: Service kube-system\/kube-dns selects k8s-app=kube-dns-v2, which no pod matches, while Deployment coredns runs 2 Ready pod\(s\): the Service routes nowhere/);
    assert.doesNotMatch(drift!.reason, /outage/);
  });

  it('reads Events only when no pod is Ready and one waits in ContainerCreating', () => {
    assert.deepEqual(
      [[kpod('a', 'creating')], [kpod('a', 'creating'), kpod('b', 'ready')], [kpod('a', 'crash')], []].map(needsEvents),
      [true, false, false, false],
    );
    assert.deepEqual([isContainerCreating(kpod('a', 'pending')), isContainerCreating(kpod('a', 'creating')), unschedulableMessage(kpod('a', 'ready'))], [false, true, undefined]);
    assert.equal(podEvent('a', [event('b', 'X'), event('a', 'Pulled', 'Normal')])?.reason, 'Pulled');
  });
});

describe('judge: an outage discovery named', () => {
  it('is the verdict: unhealthy, classification outage with its reason, no repair candidate — even when a pod answers', () => {
    const ps = dnsPods(2);
    const p = plan(ps);
    const w = { ...workload(ps), outage: { kind: 'none-ready' as const, reason: 'no DNS pod is Ready — coredns-a: Running, not Ready' } };
    const j = judge({ plan: p, workload: w, primary: { node: 'node-0', report: report(p, [{ target: 'coredns-b', outcome: 'timeout' }]) }, corroborating: [] });
    assert.deepEqual([j.verdict, j.classification, j.reason, j.candidates], ['unhealthy', 'outage', 'no DNS pod is Ready — coredns-a: Running, not Ready', []]);
    const healthy = judge({ plan: p, workload: workload(ps), primary: { node: 'node-0', report: report(p) }, corroborating: [] });
    assert.equal(healthy.classification, 'healthy');
  });
});
