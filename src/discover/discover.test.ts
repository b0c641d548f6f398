import assert from 'node:assert/strict';
import type { KPod, KService } from '../kube/index.ts';
import { deploymentOf, dnsPortOf, endpointsOf, toDnsPod, toDnsService } from './discover.ts';

const pod = (over: Partial<KPod> = {}): KPod => ({
  name: 'coredns-7db6d8ff4d-abcde',
  namespace: 'kube-system',
  uid: 'u1',
  resourceVersion: '1',
  labels: { 'k8s-app': 'kube-dns', 'pod-template-hash': '7db6d8ff4d' },
  ownerReferences: [{ kind: 'ReplicaSet', name: 'coredns-7db6d8ff4d' }],
  nodeName: 'node-1',
  phase: 'Running',
  podIPs: ['10.244.0.2', 'fd00::2'],
  conditions: [{ type: 'Ready', status: 'True' }],
  containerStatuses: [{ name: 'coredns', ready: true, restartCount: 2 }],
  ...over,
});

const service = (ports: KService['ports'], clusterIPs = ['10.96.0.10']): KService => ({ name: 'kube-dns', namespace: 'kube-system', clusterIPs, ports, selector: {} });

describe('discover', () => {
  it('derives the Deployment from the ReplicaSet owner minus the pod-template-hash', () => {
    assert.equal(deploymentOf(pod()), 'coredns');
    assert.equal(deploymentOf(pod({ ownerReferences: [{ kind: 'DaemonSet', name: 'coredns' }] })), undefined);
    assert.equal(deploymentOf(pod({ labels: {} })), undefined);
  });

  it('turns a pod into a DnsPod with IPs, readiness, restarts and waiting reason', () => {
    assert.deepEqual(toDnsPod(pod()), {
      name: 'coredns-7db6d8ff4d-abcde', namespace: 'kube-system', ip: '10.244.0.2', ips: ['10.244.0.2', 'fd00::2'], node: 'node-1',
      phase: 'Running', ready: true, restartCount: 2, terminating: false, deployment: 'coredns', uid: 'u1',
    });
    const crashing = toDnsPod(pod({ conditions: [], deletionTimestamp: '2025-01-01T00:00:00Z', containerStatuses: [{ name: 'c', ready: false, restartCount: 5, waitingReason: 'CrashLoopBackOff' }] }));
    assert.deepEqual([crashing.ready, crashing.waitingReason, crashing.terminating], [false, 'CrashLoopBackOff', true]);
  });

  it('finds the DNS port whatever its number, and orders dual-stack IPs IPv4 first', () => {
    assert.equal(dnsPortOf(service([{ name: 'metrics', port: 9153, protocol: 'TCP' }, { name: 'dns-tcp', port: 100, protocol: 'TCP' }, { name: 'dns', port: 100, protocol: 'UDP' }])), 100);
    assert.equal(dnsPortOf(service([{ port: 5353, protocol: 'UDP' }])), 5353);
    assert.equal(dnsPortOf(service([])), 53);
    assert.deepEqual(toDnsService(service([], ['fd00::a', '10.96.0.10'])).clusterIPs, ['10.96.0.10', 'fd00::a']);
  });

  it('lists what the Service routes to from EndpointSlices', () => {
    const slices = [{ name: 's', addressType: 'IPv4', ports: [], endpoints: [{ addresses: ['10.244.0.2'], ready: true, podName: 'a' }, { addresses: ['10.244.1.3'], ready: false }] }];
    assert.deepEqual(endpointsOf(slices), [{ address: '10.244.0.2', ready: true, pod: 'a' }, { address: '10.244.1.3', ready: false }]);
  });
});
