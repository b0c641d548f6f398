import assert from 'node:assert/strict';
import { queriesOf, validatePlan, type CheckPlan } from '../probe/contract.ts';
import type { DnsPod, DnsWorkload } from '../discover/types.ts';
import { buildPlan, PLAN_DEFAULTS, planNotes, resolvePlanOptions, reverseName } from './plan.ts';
import { parsePlanConfig } from './config.ts';
import { parseCorefile, type ConfigFile } from '../discover/corefile.ts';
import { AKS, AKS_FILES, EKS, EXAMPLE_DB, GKE_ISH, K3S, K3S_FILES, KUBEADM, L7MP, OPENSHIFT, RKE2 } from '../discover/corefile-fixtures.ts';
import { parseCheckGroups } from './plan.ts';
import { sourceOf } from './derived.ts';

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

  it('probes each pod on its own DNS port (where the Service routes) and the Service IP on the Service port', () => {
    // OpenShift: Service port 53 → targetPort dns = containerPort 5353; a pod not yet resolved keeps the Service port.
    const plan = buildPlan(
      workload({
        service: { name: 'dns-default', namespace: 'openshift-dns', clusterIPs: ['172.30.0.10'], port: 53 },
        pods: [{ ...pod('a', ['10.128.0.5']), ports: { udp: 5353, tcp: 5353 } }, { ...pod('b', ['10.129.0.7']), ports: { udp: 1053, tcp: 1053 } }, pod('c', ['10.130.0.9'])],
      }),
      { ...PLAN_DEFAULTS, externalName: null },
    );
    assert.deepEqual(plan.targets.map((t) => `${t.id} ${t.address}:${t.port}`), ['service 172.30.0.10:53', 'pod/a 10.128.0.5:5353', 'pod/b 10.129.0.7:1053', 'pod/c 10.130.0.9:53']);
  });

  it('gives a target its TCP port when it differs from the UDP port (Service and pods)', () => {
    const plan = buildPlan(
      workload({
        service: { name: 'dns', namespace: 'dns', clusterIPs: ['10.0.0.10'], port: 53, tcpPort: 5454 },
        pods: [{ ...pod('a', ['10.1.0.5']), ports: { udp: 5353, tcp: 5354 } }, { ...pod('b', ['10.1.0.6']), ports: { udp: 5353, tcp: 5353 } }],
      }),
      { ...PLAN_DEFAULTS, externalName: null },
    );
    assert.deepEqual(plan.targets.map((t) => `${t.id} ${t.port}/${t.tcpPort ?? '-'}`), ['service 53/5454', 'pod/a 5353/5354', 'pod/b 5353/-']);
    assert.equal(validatePlan(plan), null);
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
      { id: 'custom-1', name: 'host.example.com', type: 'A', expect: { include: ['192.168.1.3'] }, external: true, source: 'config file' },
      { id: 'custom-2', name: 'web.shop.svc.cluster.local', type: 'A', expect: { nonEmpty: true }, external: false, source: 'config file' },
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

const L7MP_FILES: ConfigFile[] = [{ configMap: 'dns-config', key: 'example.db', text: EXAMPLE_DB }];
const withCorefile = (text: string, files: ConfigFile[] = [], over: Partial<DnsWorkload> = {}) => {
  const three = [pod('coredns-a', ['10.244.0.2']), pod('coredns-b', ['10.244.1.3']), pod('coredns-c', ['10.244.2.4'])];
  return workload({ zones: parseCorefile(text, files), pods: three, ...over });
};
/** The same three pods and the Service, dual-stack (IPv4 primary). */
const dualStack = (text: string, files: ConfigFile[] = []) =>
  workload({
    zones: parseCorefile(text, files),
    service: { name: 'kube-dns', namespace: 'kube-system', clusterIPs: ['10.96.0.10', 'fd00::a'], port: 53 },
    pods: [pod('coredns-a', ['10.244.0.2', 'fd01::2']), pod('coredns-b', ['10.244.1.3', 'fd01::3']), pod('coredns-c', ['10.244.2.4', 'fd01::4'])],
  });
/** What one transport costs: every target's queries × samples. */
const perTransport = (plan: CheckPlan) => plan.targets.reduce((n, t) => n + queriesOf(plan, t).length, 0) * plan.samples;

describe('buildPlan: a name that is no valid DNS name is dropped with a note, never an unrunnable plan', () => {
  const long = `${'a'.repeat(64)}.example`;
  const rows: { name: string; text: string; queries: string[]; note: RegExp }[] = [
    {
      name: 'a hosts entry with a label over 63 characters',
      text: `${KUBEADM.replace('kubernetes cluster.local', `hosts {\n 10.9.9.1 ${long}\n 10.9.9.2 ok.example\n fallthrough\n }\n kubernetes cluster.local`)}`,
      queries: ['hosts/ok.example/a'],
      note: /^hosts name "a{64}\.example" in \. \(.*\) is not checked: the name must be a DNS name \(labels of 1 to 63 letters, digits, "_", "\*" or "-"\), got "a{64}\.example"$/,
    },
    {
      name: 'a hosts entry with a control character',
      text: `${KUBEADM.replace('kubernetes cluster.local', 'hosts {\n 10.9.9.1 bad\u0001name.example\n fallthrough\n }\n kubernetes cluster.local')}`,
      queries: [],
      note: /^hosts name "bad\\u0001name\.example" .* is not checked: the name must be a DNS name/,
    },
    {
      name: 'a stub domain with a label over 63 characters',
      text: `${KUBEADM}${long}:53 {\n forward . 10.150.0.1\n}\n`,
      queries: [],
      note: /^stub domain "a{64}\.example" .* is not checked: the name must be a DNS name \(labels of 1 to 63 letters, digits, "_", "\*" or "-"\), got "a{64}\.example"$/,
    },
  ];
  for (const row of rows)
    it(row.name, () => {
      const w = withCorefile(row.text);
      const plan = buildPlan(w, PLAN_DEFAULTS);
      assert.equal(validatePlan(plan), null);
      assert.deepEqual(plan.queries.map((q) => q.id).filter((id) => /^(stub|zone|hosts)\//.test(id)), row.queries);
      const notes = planNotes(w, PLAN_DEFAULTS, plan);
      assert.equal(notes.length, 1, notes.join('\n'));
      assert.match(notes[0]!, row.note);
    });
});

describe('buildPlan: a zone file is checked whole when small, sampled when large, with exact answer sets', () => {
  const zone = (hosts: number, extra = '') =>
    `${EXAMPLE_DB.split('gateway')[0]}${Array.from({ length: hosts }, (_, i) => `h${i} IN A 192.168.2.${i + 1}`).join('\n')}\nmulti IN A 192.168.3.1\nmulti IN A 192.168.3.2\n${extra}`;
  const rows: { name: string; hosts: number; zoneChecks: number; note: RegExp | undefined }[] = [
    { name: '7 record sets: every one', hosts: 6, zoneChecks: 7, note: undefined },
    { name: '10 record sets: 3 sampled, said in a note', hosts: 9, zoneChecks: 3, note: /^zone example\.com \(.*\): 3 of its 10 record sets checked \(sources of up to 8 are checked whole, larger ones sampled\)$/ },
  ];
  for (const row of rows)
    it(row.name, () => {
      const w = withCorefile(L7MP, [{ configMap: 'dns-config', key: 'example.db', text: zone(row.hosts) }]);
      const plan = buildPlan(w, PLAN_DEFAULTS);
      const zoneQueries = plan.queries.filter((q) => q.id.startsWith('zone/'));
      assert.equal(zoneQueries.length, row.zoneChecks);
      const notes = planNotes(w, PLAN_DEFAULTS, plan);
      if (row.note) assert.match(notes.join('\n'), row.note);
      else assert.deepEqual(notes, []);
    });

  it('a name with two A records must answer exactly both: a wrong third one fails', () => {
    const w = withCorefile(L7MP, [{ configMap: 'dns-config', key: 'example.db', text: zone(1) }]);
    const multi = buildPlan(w, PLAN_DEFAULTS).queries.find((q) => q.name === 'multi.example.com')!;
    assert.deepEqual(multi.expect, { equal: ['192.168.3.1', '192.168.3.2'] });
  });
});

describe('buildPlan: checks derived from the Corefile', () => {
  const rows: { name: string; text: string; files?: ConfigFile[]; queries: string[] }[] = [
    { name: 'kubeadm', text: KUBEADM, queries: ['kubernetes-a', 'kubernetes-srv', 'kubernetes-ptr', 'nxdomain', 'external'] },
    { name: 'EKS: a stub block', text: EKS, queries: ['kubernetes-a', 'kubernetes-srv', 'kubernetes-ptr', 'nxdomain', 'external', 'stub/consul.local'] },
    {
      name: 'k3s: NodeHosts, a coredns-custom stub and override hosts',
      text: K3S,
      files: K3S_FILES,
      queries: ['kubernetes-a', 'kubernetes-srv', 'kubernetes-ptr', 'nxdomain', 'external', 'stub/consul.local', 'hosts/k3d-dev-server-0/a', 'hosts/nas.lab.example/a'],
    },
    { name: 'AKS: coredns-custom stubs', text: AKS, files: AKS_FILES, queries: ['kubernetes-a', 'kubernetes-srv', 'kubernetes-ptr', 'nxdomain', 'external', 'stub/corp.contoso.com', 'stub/puglieseweb.com'] },
    { name: 'OpenShift: the stub block on the same port', text: OPENSHIFT, queries: ['kubernetes-a', 'kubernetes-srv', 'kubernetes-ptr', 'nxdomain', 'external', 'stub/foo.com'] },
    {
      name: 'l7mp: no kubernetes plugin, the file zone checked whole (4 record sets)',
      text: L7MP,
      files: L7MP_FILES,
      queries: ['external', 'zone/gateway.example.com/a', 'zone/server.example.com/cname', 'zone/dns.example.com/a', 'zone/host.example.com/a'],
    },
    { name: 'RKE2', text: RKE2, queries: ['kubernetes-a', 'kubernetes-srv', 'kubernetes-ptr', 'nxdomain', 'external'] },
    { name: 'several blocks: the 1053 server is not on the probed port', text: `${GKE_ISH}a.test:1053 {\n hosts {\n 10.9.9.9 x.a.test\n }\n}\n`, queries: ['kubernetes-a', 'kubernetes-srv', 'kubernetes-ptr', 'nxdomain', 'external', 'stub/corp.example', 'stub/acme.internal'] },
  ];
  for (const row of rows)
    it(row.name, () => {
      const plan = buildPlan(withCorefile(row.text, row.files), PLAN_DEFAULTS);
      assert.equal(validatePlan(plan), null);
      assert.deepEqual(plan.queries.map((q) => q.id), row.queries);
      // Every derived check says where it came from; the default set stays cheap (3 pods + the Service).
      for (const q of plan.queries.filter((x) => /^(stub|zone|hosts)\//.test(x.id))) assert.match(q.source ?? '', /Corefile block|coredns-custom/);
      assert.ok(perTransport(plan) < 100, `${perTransport(plan)} queries per transport`);
      assert.ok(plan.targets.every((t) => t.queries === undefined), 'single-stack: every target asks every check');
    });
  for (const row of rows)
    it(`${row.name}, dual-stack: the IPv6 addresses ask one check, the plan stays under 100 queries per transport`, () => {
      const plan = buildPlan(dualStack(row.text, row.files), PLAN_DEFAULTS);
      assert.equal(validatePlan(plan), null);
      const ids = plan.queries.map((q) => q.id);
      // The default checks stay whole; derived ones take what the budget per pod leaves (a second family costs one).
      assert.deepEqual(ids, row.queries.slice(0, Math.min(row.queries.length, PLAN_DEFAULTS.maxChecks - 1)));
      const reach = ids.includes('kubernetes-a') ? 'kubernetes-a' : ids.find((id) => id.startsWith('zone/'));
      assert.deepEqual(
        plan.targets.map((t) => [t.address, t.queries]),
        ['10.96.0.10', 'fd00::a', '10.244.0.2', 'fd01::2', '10.244.1.3', 'fd01::3', '10.244.2.4', 'fd01::4'].map((a) => [a, a.includes(':') ? [reach] : undefined]),
      );
      assert.ok(perTransport(plan) < 100, `${perTransport(plan)} queries per transport`);
    });

  it('asks every check on the one family probed with --ip-family', () => {
    for (const ipFamily of ['ipv4', 'ipv6'] as const) {
      const plan = buildPlan(dualStack(K3S, K3S_FILES), resolvePlanOptions({ ipFamily }, undefined));
      assert.deepEqual([plan.targets.length, plan.targets.every((t) => t.queries === undefined), plan.queries.length], [4, true, 8]);
    }
  });

  it('asks a second-family address a check CoreDNS answers itself, never an external or stub name when there is another', () => {
    const config = parsePlanConfig('apiVersion: coredns-sentinel/config/v1\nchecks:\n  - host.example.com A 192.168.1.3\n', 'c.yaml');
    const only = (flags: Parameters<typeof resolvePlanOptions>[0], text = EKS, files: ConfigFile[] = []) =>
      buildPlan(dualStack(text, files), resolvePlanOptions(flags, flags.defaultChecks === false ? config : undefined)).targets.find((t) => t.address === 'fd01::2')!.queries;
    assert.deepEqual(only({ disable: ['cluster'] }), ['external']); // only external and stub names: the first one
    assert.deepEqual(only({}, L7MP, L7MP_FILES), ['zone/gateway.example.com/a']);
    assert.deepEqual(only({ defaultChecks: false }, L7MP, L7MP_FILES), ['custom-1']);
  });

  it('rejects a target asking a query the plan does not have', () => {
    const plan = buildPlan(dualStack(KUBEADM), PLAN_DEFAULTS);
    plan.targets[1] = { ...plan.targets[1]!, queries: ['nope'] };
    assert.equal(validatePlan(plan), 'targets[1].queries names a query the plan does not have: "nope"');
  });

  it('labels a stub check with the stub and its forwarder and accepts NOERROR or NXDOMAIN', () => {
    const stub = buildPlan(withCorefile(EKS), PLAN_DEFAULTS).queries.find((q) => q.id === 'stub/consul.local')!;
    assert.deepEqual(stub, {
      id: 'stub/consul.local',
      name: 'consul.local',
      type: 'A',
      expect: { rcodes: ['NOERROR', 'NXDOMAIN'] },
      external: true,
      source: 'stub consul.local → 10.150.0.1 (Corefile block consul.local:53)',
    });
  });

  it('takes the expected answers of a file zone from its zone file (the CNAME server)', () => {
    const q = buildPlan(withCorefile(L7MP, L7MP_FILES), PLAN_DEFAULTS).queries.find((x) => x.id === 'zone/server.example.com/cname')!;
    assert.deepEqual([q.name, q.type, q.expect, q.external, q.source], [
      'server.example.com',
      'CNAME',
      { equal: ['host.example.com'] },
      undefined,
      'zone example.com (Corefile block example.com:100, zone file dns-config/example.db)',
    ]);
  });

  it('keeps the default checks when the Corefile cannot be read', () => {
    const plan = buildPlan(withCorefile('garbage {'), PLAN_DEFAULTS);
    assert.deepEqual(plan.queries.map((q) => q.id), ['kubernetes-a', 'kubernetes-srv', 'kubernetes-ptr', 'nxdomain', 'external']);
  });

  it('turns groups off one by one, or all of them with --no-default-checks', () => {
    const w = withCorefile(K3S, K3S_FILES);
    const ids = (flags: Parameters<typeof resolvePlanOptions>[0]) => buildPlan(w, resolvePlanOptions(flags, undefined)).queries.map((q) => q.id);
    assert.deepEqual(ids({ disable: ['cluster', 'hosts'] }), ['external', 'stub/consul.local']);
    assert.deepEqual(ids({ disable: ['stub', 'external'] }), ['kubernetes-a', 'kubernetes-srv', 'kubernetes-ptr', 'nxdomain', 'hosts/k3d-dev-server-0/a', 'hosts/nas.lab.example/a', 'hosts/k3d-dev-agent-0/aaaa', 'hosts/k3d-dev-agent-0/a']);
    const config = parsePlanConfig('apiVersion: coredns-sentinel/config/v1\nchecks:\n  - nas.lab.example A\n', 'c.yaml');
    assert.deepEqual(buildPlan(w, resolvePlanOptions({ defaultChecks: false }, config)).queries.map((q) => q.id), ['custom-1']);
  });

  it('names an unknown check group', () => {
    assert.deepEqual(parseCheckGroups('stub, Zone,stub', '--disable'), ['stub', 'zone']);
    assert.throws(() => parseCheckGroups(['stubs'], 'disable'), /^Error: disable: unknown check group "stubs" \(known: cluster, external, stub, zone, hosts\)$/);
  });

  it('makes a user check internal when CoreDNS serves the name itself, external through a stub or the upstream', () => {
    const config = parsePlanConfig(
      'apiVersion: coredns-sentinel/config/v1\nchecks:\n  - nas.lab.example A\n  - k3d-dev-agent-0 A\n  - x.consul.local A\n  - example.org A\n  - {name: web.default.svc.cluster.local, type: A, external: true}\n',
      'c.yaml',
    );
    const custom = buildPlan(withCorefile(K3S, K3S_FILES), resolvePlanOptions({}, config)).queries.filter((q) => q.id.startsWith('custom-'));
    assert.deepEqual(custom.map((q) => [q.name, q.external]), [
      ['nas.lab.example', false],
      ['k3d-dev-agent-0', false],
      ['x.consul.local', true],
      ['example.org', true],
      ['web.default.svc.cluster.local', true],
    ]);
    const l7mp = parsePlanConfig('apiVersion: coredns-sentinel/config/v1\nchecks:\n  - host.example.com A 192.168.1.3\n', 'c.yaml');
    assert.equal(buildPlan(withCorefile(L7MP, L7MP_FILES), resolvePlanOptions({}, l7mp)).queries.at(-1)!.external, false);
  });

  it('attributes names to the part of the configuration that answers them', () => {
    const zones = parseCorefile(K3S, K3S_FILES);
    assert.deepEqual(sourceOf('a.b.svc.cluster.local.', zones), { kind: 'cluster', zone: 'cluster.local' });
    assert.deepEqual(sourceOf('x.consul.local', zones), {
      kind: 'stub',
      zone: 'consul.local',
      forwarders: ['10.150.0.1'],
      origin: 'coredns-custom/consul.server block consul.local:53',
    });
    assert.equal(sourceOf('k3d-dev-server-0', zones).kind, 'hosts');
    assert.deepEqual(sourceOf('kubernetes.io', zones), { kind: 'external' });
    assert.equal(sourceOf('www.example.com', parseCorefile(L7MP, L7MP_FILES)).kind, 'zone');
  });

  it('probes one family of dual-stack pods and Services with --ip-family', () => {
    const w = workload({ service: { name: 'kube-dns', namespace: 'kube-system', clusterIPs: ['10.96.0.10', 'fd00::a'], port: 53 }, pods: [pod('p', ['10.1.0.5', 'fd01::5'])] });
    const ids = (ipFamily: 'ipv4' | 'ipv6' | 'both') => buildPlan(w, resolvePlanOptions({ ipFamily }, undefined)).targets.map((t) => t.address);
    assert.deepEqual(ids('both'), ['10.96.0.10', 'fd00::a', '10.1.0.5', 'fd01::5']);
    assert.deepEqual(ids('ipv4'), ['10.96.0.10', '10.1.0.5']);
    assert.deepEqual(ids('ipv6'), ['fd00::a', 'fd01::5']);
  });
});
