import assert from 'node:assert/strict';
import { validatePlan } from '../probe/contract.ts';
import type { DnsPod, DnsWorkload } from '../discover/types.ts';
import { buildPlan, PLAN_DEFAULTS, resolvePlanOptions, reverseName } from './plan.ts';
import { parsePlanConfig } from './config.ts';

const pod = (name: string, ips: string[]): DnsPod => ({
  name,
  namespace: 'kube-system',
  ip: ips[0] ?? '',
  ips,
  node: 'node-1',
  phase: ips.length ? 'Running' : 'Pending',
  ready: ips.length > 0,
  restartCount: 0,
  terminating: false,
  uid: name,
});

const workload = (over: Partial<DnsWorkload> = {}): DnsWorkload => ({
  namespace: 'kube-system',
  labelSelector: 'k8s-app=kube-dns',
  service: { name: 'kube-dns', namespace: 'kube-system', clusterIPs: ['10.96.0.10'], port: 53 },
  pods: [pod('coredns-a', ['10.244.0.2']), pod('coredns-b', ['10.244.1.3']), pod('coredns-c', [])],
  zones: { clusterDomain: 'cluster.local', stubDomains: [], fromCorefile: true },
  kubernetesServiceIP: '10.96.0.1',
  ...over,
});

describe('buildPlan', () => {
  it('probes the Service IP and every pod with an IP, with the default checks', () => {
    const plan = buildPlan(workload(), PLAN_DEFAULTS);
    assert.equal(validatePlan(plan), null);
    assert.deepEqual(
      plan.targets.map((t) => [t.id, t.address, t.port, t.kind, t.label]),
      [
        ['service', '10.96.0.10', 53, 'service', 'service kube-dns'],
        ['pod/coredns-a', '10.244.0.2', 53, 'pod', 'coredns-a'],
        ['pod/coredns-b', '10.244.1.3', 53, 'pod', 'coredns-b'],
      ],
    );
    assert.deepEqual(plan.queries, [
      { id: 'kubernetes-a', name: 'kubernetes.default.svc.cluster.local', type: 'A', expect: { equal: ['10.96.0.1'] } },
      { id: 'kubernetes-srv', name: '_https._tcp.kubernetes.default.svc.cluster.local', type: 'SRV', expect: { include: ['443 kubernetes.default.svc.cluster.local'] } },
      { id: 'kubernetes-ptr', name: '1.0.96.10.in-addr.arpa', type: 'PTR', expect: { include: ['kubernetes.default.svc.cluster.local'] } },
      { id: 'nxdomain', name: 'coredns-sentinel-absent.default.svc.cluster.local', type: 'A', expect: { rcodes: ['NXDOMAIN'] } },
      { id: 'external', name: 'kubernetes.io', type: 'A', expect: { nonEmpty: true }, external: true },
    ]);
    assert.deepEqual([plan.samples, plan.timeoutMs, plan.transports], [3, 2000, ['udp', 'tcp']]);
  });

  it('uses the cluster domain, the DNS port and both families of a dual-stack Service', () => {
    const plan = buildPlan(
      workload({
        service: { name: 'dns', namespace: 'dns', clusterIPs: ['10.0.0.10', 'fd00::a'], port: 100 },
        pods: [pod('p', ['10.1.0.5', 'fd01::5'])],
        zones: { clusterDomain: 'corp.internal', stubDomains: [], fromCorefile: true },
      }),
      { ...PLAN_DEFAULTS, externalName: null },
    );
    assert.deepEqual(plan.targets.map((t) => `${t.id} ${t.address}:${t.port}`), ['service 10.0.0.10:100', 'service-ipv6 fd00::a:100', 'pod/p 10.1.0.5:100', 'pod/p/ipv6 fd01::5:100']);
    assert.ok(plan.queries.every((q) => q.id !== 'external'));
    assert.ok(plan.queries.find((q) => q.id === 'nxdomain')?.name.endsWith('.svc.corp.internal'));
  });

  it('checks only that the kubernetes name resolves when its Service IP is unknown', () => {
    const plan = buildPlan(workload({ kubernetesServiceIP: '' }), PLAN_DEFAULTS);
    assert.deepEqual(plan.queries.find((q) => q.id === 'kubernetes-a')?.expect, { nonEmpty: true });
    assert.equal(plan.queries.find((q) => q.id === 'kubernetes-ptr'), undefined);
  });

  it('adds config checks, external unless inside the cluster domain', () => {
    const config = parsePlanConfig('apiVersion: coredns-sentinel/config/v1\nchecks:\n  - host.example.com A 192.168.1.3\n  - {name: web.shop.svc.cluster.local, type: A}\n', 'c.yaml');
    const plan = buildPlan(workload(), resolvePlanOptions({}, config));
    assert.deepEqual(plan.queries.slice(-2), [
      { id: 'custom-1', name: 'host.example.com', type: 'A', expect: { include: ['192.168.1.3'] }, external: true },
      { id: 'custom-2', name: 'web.shop.svc.cluster.local', type: 'A', expect: { nonEmpty: true }, external: false },
    ]);
    assert.equal(validatePlan(plan), null);
  });
});

describe('reverseName', () => {
  it('reverses IPv4 and IPv6 addresses', () => {
    assert.equal(reverseName('10.96.0.1'), '1.0.96.10.in-addr.arpa');
    assert.equal(reverseName('fd00::1'), `1.${'0.'.repeat(29)}d.f.ip6.arpa`);
  });
});

describe('resolvePlanOptions', () => {
  it('lets flags win over the config file and the config file over the defaults', () => {
    const config = parsePlanConfig('apiVersion: coredns-sentinel/config/v1\nsamples: 5\ntimeout: 500ms\ntransports: [tcp]\nexternalName: example.org\n', 'c.yaml');
    assert.deepEqual(resolvePlanOptions({}, config), { ...PLAN_DEFAULTS, samples: 5, timeoutMs: 500, transports: ['tcp'], externalName: 'example.org' });
    assert.equal(resolvePlanOptions({ samples: 1 }, config).samples, 1);
    assert.equal(resolvePlanOptions({ external: false }, config).externalName, null);
    assert.equal(resolvePlanOptions({ externalName: 'a.example' }, undefined).externalName, 'a.example');
    assert.equal(resolvePlanOptions({}, parsePlanConfig('apiVersion: coredns-sentinel/config/v1\nexternal: false\n', 'c.yaml')).externalName, null);
  });
});
