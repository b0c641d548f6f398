import assert from 'node:assert/strict';
import type { DnsWorkload } from '../discover/types.ts';
import { buildPlan, PLAN_DEFAULTS } from './plan.ts';

const workload = (nodeLocal?: DnsWorkload['nodeLocal'], clusterIPs = ['10.96.0.10']): DnsWorkload => ({
  namespace: 'kube-system',
  labelSelector: 'k8s-app=kube-dns',
  service: { name: 'kube-dns', namespace: 'kube-system', clusterIPs, port: 53 },
  pods: [{ name: 'coredns-a', namespace: 'kube-system', ip: '10.244.0.2', ips: ['10.244.0.2'], node: 'n1', phase: 'Running', ready: true, restartCount: 0, terminating: false, uid: 'u' }],
  zones: { clusterDomain: 'cluster.local', stubDomains: [], fromCorefile: true },
  kubernetesServiceIP: '10.96.0.1',
  ...(nodeLocal && { nodeLocal }),
});
const cache = (localIPs: string[], port?: number) => ({ namespace: 'kube-system', daemonSet: 'node-local-dns', localIPs, ...(port && { port }) });
const targets = (w: DnsWorkload, ipFamily: 'ipv4' | 'ipv6' | 'both' = 'both') => buildPlan(w, { ...PLAN_DEFAULTS, ipFamily }).targets.filter((t) => t.kind === 'node-local');

describe('plan: NodeLocal DNSCache targets', () => {
  it('its local address is a target on the DaemonSet\'s port; the Service IP it also binds stays the Service target', () => {
    assert.deepEqual(targets(workload(cache(['169.254.20.10', '10.96.0.10'], 5300))), [
      { id: 'node-local', address: '169.254.20.10', port: 5300, kind: 'node-local', label: 'node-local-dns 169.254.20.10' },
    ]);
  });
  it('port 53 when the DaemonSet names none; a second local address gets its own id; --ip-family filters them', () => {
    const w = workload(cache(['169.254.20.10', 'fd00::a']));
    assert.deepEqual(targets(w).map((t) => [t.id, t.port]), [['node-local', 53], ['node-local/fd00::a', 53]]);
    assert.deepEqual(targets(w, 'ipv6').map((t) => t.address), ['fd00::a']);
  });
  it('no cache, or one that binds only the Service IP: no node-local target', () => {
    assert.deepEqual(targets(workload()), []);
    assert.deepEqual(targets(workload(cache(['10.96.0.10']))), []);
  });
});
