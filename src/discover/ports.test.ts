import assert from 'node:assert/strict';
import type { KContainer, KEndpointSlice, KServicePort } from '../kube/index.ts';
import { declaredDnsPort, dnsContainerOf, podDnsPorts, resolveTargetPort, serviceDnsPorts, serviceProbePorts } from './ports.ts';
import { bindAddresses, chooseService, lookedFor, mayHaveNodeLocal, nodeLocalOf } from './locate.ts';
import { kubeDnsDomain, kubeDnsZones } from './kubedns.ts';

const sp = (name: string | undefined, port: number, protocol: string, targetPort?: number | string): KServicePort => ({ ...(name && { name }), port, protocol, ...(targetPort !== undefined && { targetPort }) });
const container = (name: string, ports: [string | undefined, number, string][], args?: string[]): KContainer => ({
  name,
  ports: ports.map(([n, containerPort, protocol]) => ({ ...(n && { name: n }), containerPort, protocol })),
  ...(args && { args }),
});

describe('discover/ports', () => {
  it('picks the Service DNS ports per protocol', () => {
    const table: [string, KServicePort[], string][] = [
      ['kubeadm', [sp('dns', 53, 'UDP'), sp('dns-tcp', 53, 'TCP'), sp('metrics', 9153, 'TCP')], 'udp dns:53 tcp dns-tcp:53'],
      ['RKE2 names', [sp('udp-53', 53, 'UDP'), sp('tcp-53', 53, 'TCP')], 'udp udp-53:53 tcp tcp-53:53'],
      ['metrics first', [sp('metrics', 9153, 'TCP'), sp('dns', 100, 'UDP'), sp('dns-tcp', 100, 'TCP')], 'udp dns:100 tcp dns-tcp:100'],
      ['unnamed UDP only (l7mp)', [sp(undefined, 100, 'UDP')], 'udp -:100 tcp none'],
      ['TCP on another port', [sp('dns', 53, 'UDP'), sp('dns-tcp', 5353, 'TCP')], 'udp dns:53 tcp dns-tcp:5353'],
      ['TCP only', [sp('dns-tcp', 53, 'TCP')], 'udp none tcp dns-tcp:53'],
      ['TCP only, unnamed', [sp(undefined, 8053, 'TCP')], 'udp none tcp -:8053'],
      ['several UDP: named dns wins', [sp('other', 1053, 'UDP'), sp('dns', 53, 'UDP')], 'udp dns:53 tcp none'],
      ['several UDP: 53 wins over the first', [sp('x', 1053, 'UDP'), sp('y', 53, 'UDP')], 'udp y:53 tcp none'],
      ['no ports', [], 'udp none tcp none'],
    ];
    const show = (p?: KServicePort) => (p ? `${p.name ?? '-'}:${p.port}` : 'none');
    for (const [what, ports, want] of table) {
      const got = serviceDnsPorts(ports);
      assert.equal(`udp ${show(got.udp)} tcp ${show(got.tcp)}`, want, what);
    }
    assert.deepEqual(serviceProbePorts(serviceDnsPorts([sp(undefined, 100, 'UDP')])), { udp: 100, tcp: 100 });
    assert.deepEqual(serviceProbePorts(serviceDnsPorts([sp('dns-tcp', 5300, 'TCP')])), { udp: 5300, tcp: 5300 });
    assert.deepEqual(serviceProbePorts({}), { udp: 53, tcp: 53 });
  });

  it('resolves a targetPort: a number, a name through containerPorts (per protocol), unset = the Service port', () => {
    const cs = [container('dns', [['dns', 5353, 'UDP'], ['dns-tcp', 5353, 'TCP'], ['dns', 6000, 'TCP']])];
    const table: [KServicePort, 'UDP' | 'TCP', number | undefined][] = [
      [sp('dns', 53, 'UDP', 5353), 'UDP', 5353],
      [sp('dns', 53, 'UDP', 'dns'), 'UDP', 5353],
      [sp('dns', 53, 'TCP', 'dns'), 'TCP', 6000],
      [sp('dns-tcp', 53, 'TCP', 'dns-tcp'), 'TCP', 5353],
      [sp('dns', 53, 'UDP', 'missing'), 'UDP', undefined],
      [sp('dns', 53, 'UDP'), 'UDP', 53],
      [sp('dns', 53, 'UDP', 0), 'UDP', 53],
    ];
    for (const [port, proto, want] of table) assert.equal(resolveTargetPort(port, cs, proto), want, JSON.stringify(port));
  });

  it("declares the pod's own DNS port: dns / dns-tcp, else 53, else dns…, else the first", () => {
    const table: [KContainer[], number | undefined, number | undefined][] = [
      [[container('c', [['dns', 5353, 'UDP'], ['dns-tcp', 5354, 'TCP']])], 5353, 5354],
      [[container('c', [[undefined, 100, 'UDP']])], 100, undefined],
      [[container('kubedns', [['dns-local', 10053, 'UDP']]), container('dnsmasq', [['dns', 53, 'UDP'], ['dns-tcp', 53, 'TCP']])], 53, 53],
      [[container('c', [['metrics', 9153, 'TCP'], ['dns-alt', 1053, 'TCP']])], undefined, 1053],
      [[], undefined, undefined],
    ];
    for (const [cs, udp, tcp] of table) assert.deepEqual([declaredDnsPort(cs, 'UDP'), declaredDnsPort(cs, 'TCP')], [udp, tcp], JSON.stringify(cs));
  });

  it("the pod's ports: EndpointSlice first, then the targetPort, then its declared port; a missing protocol shares the other's", () => {
    const pod = { name: 'p', ips: ['10.0.0.5'], containers: [container('dns', [['dns', 5353, 'UDP'], ['dns-tcp', 5353, 'TCP']])] };
    const service = serviceDnsPorts([sp('dns', 53, 'UDP', 'dns'), sp('dns-tcp', 53, 'TCP', 'dns-tcp')]);
    const slice = (ports: KEndpointSlice['ports'], podName?: string, addresses = ['10.0.0.5']): KEndpointSlice[] => [
      { name: 's', addressType: 'IPv4', ports, endpoints: [{ addresses, ready: true, ...(podName && { podName }) }] },
    ];
    const table: [string, Parameters<typeof podDnsPorts>[1], KEndpointSlice[] | undefined, { udp: number; tcp: number }][] = [
      ['slice by pod name', service, slice([{ name: 'dns', port: 7000, protocol: 'UDP' }, { name: 'dns-tcp', port: 7001, protocol: 'TCP' }], 'p', []), { udp: 7000, tcp: 7001 }],
      ['slice by address', service, slice([{ name: 'dns', port: 7000, protocol: 'UDP' }, { name: 'dns-tcp', port: 7001, protocol: 'TCP' }]), { udp: 7000, tcp: 7001 }],
      ['slice of another pod: targetPort', service, slice([{ name: 'dns', port: 7000, protocol: 'UDP' }], 'q', ['10.0.0.9']), { udp: 5353, tcp: 5353 }],
      ['no slices: targetPort', service, undefined, { udp: 5353, tcp: 5353 }],
      ['slice without the TCP port: targetPort for TCP', service, slice([{ name: 'dns', port: 7000, protocol: 'UDP' }], 'p'), { udp: 7000, tcp: 5353 }],
      ['no Service: declared ports', undefined, undefined, { udp: 5353, tcp: 5353 }],
      ['UDP only Service, unnamed slice port', serviceDnsPorts([sp(undefined, 100, 'UDP', 100)]), slice([{ port: 100, protocol: 'UDP' }], 'p'), { udp: 100, tcp: 5353 }],
    ];
    for (const [what, svc, slices, want] of table) assert.deepEqual(podDnsPorts(pod, svc, slices), want, what);
    assert.deepEqual(podDnsPorts({ name: 'x', ips: [], containers: [container('c', [[undefined, 100, 'UDP']])] }, undefined, undefined), { udp: 100, tcp: 100 });
    assert.deepEqual(podDnsPorts({ name: 'x', ips: [], containers: [] }, undefined, undefined), { udp: 53, tcp: 53 });
  });

  it('names the DNS container: coredns, dns, kubedns, else the one with the UDP port, else the first', () => {
    const table: [string[], string | undefined][] = [
      [['coredns'], 'coredns'],
      [['kube-rbac-proxy', 'dns'], 'dns'],
      [['dnsmasq', 'kubedns', 'sidecar'], 'kubedns'],
      [['proxy', 'server'], 'server'],
      [['a', 'b'], 'a'],
      [[], undefined],
    ];
    for (const [names, want] of table)
      assert.equal(dnsContainerOf(names.map((n) => container(n, n === 'server' ? [['x', 53, 'UDP']] : [])), 53), want, names.join(','));
  });
});

describe('discover/locate and kube-dns', () => {
  const svc = (namespace: string, name: string, ip: string) => ({ name, namespace, clusterIPs: [ip], ports: [], selector: {} });
  it('chooses the Service holding the nameserver, else the known names in order, never kube-dns-upstream', () => {
    const services = [svc('kube-system', 'kube-dns-upstream', '10.96.0.11'), svc('kube-system', 'rke2-coredns-rke2-coredns', '10.43.0.10'), svc('kube-system', 'kube-dns', '10.43.0.20'), svc('openshift-dns', 'dns-default', '172.30.0.10')];
    const table: [string | undefined, string | undefined][] = [
      ['10.43.0.10', 'kube-system/rke2-coredns-rke2-coredns'],
      ['172.30.0.10', 'openshift-dns/dns-default'],
      ['10.96.0.11', 'kube-system/kube-dns'],
      [undefined, 'kube-system/kube-dns'],
      ['10.1.1.1', 'kube-system/kube-dns'],
    ];
    for (const [ns, want] of table) {
      const got = chooseService(services, ns);
      assert.equal(got && `${got.service.namespace}/${got.service.name}`, want, String(ns));
    }
    assert.equal(chooseService([svc('default', 'other', '10.0.0.1')], '10.0.0.9'), undefined);
    assert.equal(lookedFor(['kube-system'], '10.0.0.9'), 'a Service with ClusterIP 10.0.0.9 (the pods\' nameserver) in kube-system, then the known names kube-system/kube-dns, kube-system/rke2-coredns-rke2-coredns, kube-system/rke2-coredns');
    assert.equal(lookedFor(['dns'], undefined), 'a known DNS Service in dns');
  });

  it('NodeLocal DNSCache: suspected from kube-dns-upstream or a link-local nameserver (not the metadata server); its local IPs from args or bind lines', () => {
    assert.equal(mayHaveNodeLocal([svc('kube-system', 'kube-dns-upstream', '10.96.0.11')]), true);
    assert.equal(mayHaveNodeLocal([svc('kube-system', 'kube-dns', '10.96.0.10')], '10.96.0.10'), false);
    assert.equal(mayHaveNodeLocal([], '169.254.20.10'), true);
    assert.equal(mayHaveNodeLocal([], '169.254.169.254'), false);
    const ds = (args: string[], volumes: string[] = ['node-local-dns']) => ({ kind: 'DaemonSet' as const, name: 'node-local-dns', namespace: 'kube-system', desired: 3, ready: 3, containers: [{ name: 'node-cache', ports: [], args }], configMapVolumes: volumes });
    assert.deepEqual(nodeLocalOf(ds(['-localip', '169.254.20.10,10.96.0.10', '-conf', '/etc/Corefile'])).localIPs, ['169.254.20.10', '10.96.0.10']);
    assert.deepEqual(nodeLocalOf(ds(['-localip=169.254.20.10'])).localIPs, ['169.254.20.10']);
    assert.deepEqual(nodeLocalOf(ds([], [])), { namespace: 'kube-system', daemonSet: 'node-local-dns', localIPs: [] });
    // Its Corefile's ConfigMap, though nodelocaldns.yaml mounts the optional kube-dns one first.
    assert.equal(nodeLocalOf(ds([], ['kube-dns', 'node-local-dns'])).configMap, 'node-local-dns');
    assert.equal(nodeLocalOf(ds([], ['kube-dns', 'my-cache-config'])).configMap, 'my-cache-config');
    // Its DNS port: the UDP containerPort named dns (hostNetwork), else the first UDP one.
    const withPorts = (ports: { name?: string; containerPort: number; protocol: string }[]) => nodeLocalOf({ ...ds([]), containers: [{ name: 'node-cache', ports, args: [] }] }).port;
    assert.equal(withPorts([{ name: 'metrics', containerPort: 9253, protocol: 'TCP' }, { name: 'dns-tcp', containerPort: 5300, protocol: 'TCP' }, { name: 'dns', containerPort: 5300, protocol: 'UDP' }]), 5300);
    assert.equal(withPorts([{ containerPort: 1053, protocol: 'UDP' }]), 1053);
    assert.equal(withPorts([{ name: 'metrics', containerPort: 9253, protocol: 'TCP' }]), undefined);
    assert.deepEqual(bindAddresses('cluster.local:53 {\n    bind 169.254.20.10 10.96.0.10\n}\n.:53 {\n    bind 169.254.20.10 10.96.0.10\n}\n'), ['169.254.20.10', '10.96.0.10']);
  });

  it('kube-dns: domain from --domain, stub domains and upstreams from the ConfigMap (bad JSON is a note)', () => {
    const cs = [container('kubedns', [], ['--domain=corp.local.', '--dns-port=10053'])];
    assert.equal(kubeDnsDomain(cs), 'corp.local');
    assert.equal(kubeDnsDomain([container('kubedns', [])]), undefined);
    const z = kubeDnsZones({ name: 'kube-dns', namespace: 'kube-system', data: { stubDomains: '{"acme.local.": ["1.2.3.4", "1.2.3.5"], "b.test": ["9.9.9.9"]}', upstreamNameservers: '["8.8.8.8"]' } }, cs, 53);
    assert.deepEqual([z.clusterDomain, z.stubDomains, z.served?.map((s) => `${s.zone}:${s.port} ${s.by} ${(s.forwarders ?? []).join(' ')}`.trim())], ['corp.local', ['acme.local', 'b.test'], ['corp.local:53 kubernetes', 'acme.local:53 forward 1.2.3.4 1.2.3.5', 'b.test:53 forward 9.9.9.9', '.:53 forward 8.8.8.8']]);
    const bad = kubeDnsZones({ name: 'kube-dns', namespace: 'kube-system', data: { stubDomains: '{nope' } }, cs, 53);
    assert.deepEqual([bad.stubDomains, bad.note, bad.served?.at(-1)?.forwarders], [[], 'ConfigMap kube-dns key stubDomains is not JSON: ignored', ['/etc/resolv.conf']]);
    const none = kubeDnsZones(undefined, [], 53);
    assert.deepEqual([none.clusterDomain, none.fromCorefile, none.note], ['cluster.local', false, "kube-dns: no ConfigMap kube-dns, so no stub domains; upstream is the node's resolv.conf"]);
  });
});
