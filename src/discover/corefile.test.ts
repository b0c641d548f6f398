import assert from 'node:assert/strict';
import { importsFiles, parseCorefile, portOf, withClusterDomain, zoneOf, type ConfigFile } from './corefile.ts';
import { KUBEADM, EKS, GKE_ISH, K3S, AKS, OPENSHIFT, L7MP, EXAMPLE_DB, RKE2, K3S_FILES, AKS_FILES } from './corefile-fixtures.ts';

/** One line per served zone, so a table row reads like the configuration. */
const summary = (text: string, files: ConfigFile[] = []) =>
  (parseCorefile(text, files).served ?? []).map((z) => {
    const extra = z.by === 'forward' ? ` → ${z.forwarders!.join(' ')}` : z.records ? ` (${z.records.map((r) => `${r.name} ${r.type} ${r.value}`).join('; ')})` : '';
    return `${z.by} ${z.zone}:${z.port}${extra} [${z.origin}]`;
  });

describe('parseCorefile: every server block, per zone and plugin', () => {
  const rows: { name: string; text: string; files?: ConfigFile[]; domain: string; stubs: string[]; served: string[] }[] = [
    {
      name: 'kubeadm',
      text: KUBEADM,
      domain: 'cluster.local',
      stubs: [],
      served: ['kubernetes cluster.local:53 [Corefile block .:53]', 'forward .:53 → /etc/resolv.conf [Corefile block .:53]'],
    },
    {
      name: 'EKS with a stub block',
      text: EKS,
      domain: 'eks.internal',
      stubs: ['consul.local'],
      served: [
        'kubernetes eks.internal:53 [Corefile block .:53]',
        'forward .:53 → /etc/resolv.conf [Corefile block .:53]',
        'forward consul.local:53 → 10.150.0.1 [Corefile block consul.local:53]',
      ],
    },
    {
      name: 'k3s with NodeHosts, a coredns-custom *.server and *.override',
      text: K3S,
      files: K3S_FILES,
      domain: 'cluster.local',
      stubs: ['consul.local'],
      served: [
        'kubernetes cluster.local:53 [Corefile block .:53]',
        'hosts .:53 (k3d-dev-server-0 A 172.18.0.2; k3d-dev-agent-0 A 172.18.0.3; k3d-dev-agent-0 AAAA fd00::3) [Corefile block .:53, hosts file coredns/NodeHosts]',
        'forward .:53 → /etc/resolv.conf [Corefile block .:53]',
        'hosts .:53 (nas.lab.example A 10.0.0.9) [Corefile block .:53]',
        'forward consul.local:53 → 10.150.0.1 [coredns-custom/consul.server block consul.local:53]',
      ],
    },
    {
      name: 'k3s without coredns-custom (the optional volume is empty)',
      text: K3S,
      files: K3S_FILES.slice(0, 2),
      domain: 'cluster.local',
      stubs: [],
      served: [
        'kubernetes cluster.local:53 [Corefile block .:53]',
        'hosts .:53 (k3d-dev-server-0 A 172.18.0.2; k3d-dev-agent-0 A 172.18.0.3; k3d-dev-agent-0 AAAA fd00::3) [Corefile block .:53, hosts file coredns/NodeHosts]',
        'forward .:53 → /etc/resolv.conf [Corefile block .:53]',
      ],
    },
    {
      name: 'AKS with coredns-custom (relative imports)',
      text: AKS,
      files: AKS_FILES,
      domain: 'cluster.local',
      stubs: ['corp.contoso.com', 'puglieseweb.com'],
      served: [
        'kubernetes cluster.local:53 [Corefile block .:53]',
        'forward .:53 → /etc/resolv.conf [Corefile block .:53]',
        'forward corp.contoso.com:53 → 10.0.0.5 10.0.0.6 [Corefile block .:53]',
        'forward puglieseweb.com:53 → 10.0.0.4 [coredns-custom/puglieseweb.server block puglieseweb.com:53]',
      ],
    },
    {
      name: 'OpenShift (port 5353, a stub, a chaos block)',
      text: OPENSHIFT,
      domain: 'cluster.local',
      stubs: ['foo.com', 'hostname.bind'],
      served: [
        'forward foo.com:5353 → 1.1.1.1 2.2.2.2:5353 [Corefile block foo.com:5353]',
        'kubernetes cluster.local:5353 [Corefile block .:5353]',
        'forward .:5353 → /etc/resolv.conf [Corefile block .:5353]',
      ],
    },
    {
      name: 'the l7mp seed: no kubernetes plugin, a file zone on port 100',
      text: L7MP,
      files: [{ configMap: 'dns-config', key: 'example.db', text: EXAMPLE_DB }],
      domain: 'cluster.local',
      stubs: ['example.com'],
      served: [
        'forward .:100 → 8.8.8.8 9.9.9.9 [Corefile block .:100]',
        'file example.com:100 (gateway.example.com A 192.168.1.1; dns.example.com A 192.168.1.2; host.example.com A 192.168.1.3; server.example.com CNAME host.example.com) [Corefile block example.com:100, zone file dns-config/example.db]',
      ],
    },
    {
      name: 'RKE2 (zone written twice)',
      text: RKE2,
      domain: 'cluster.local',
      stubs: [],
      served: ['kubernetes cluster.local:53 [Corefile block .:53]', 'forward .:53 → /etc/resolv.conf [Corefile block .:53]'],
    },
    {
      name: 'several blocks and ports, comma keys, schemes',
      text: GKE_ISH + 'a.test:1053, b.test:1053 {\n  hosts {\n    10.9.9.9 x.a.test\n  }\n}\n',
      domain: 'my.corp.local',
      stubs: ['a.test', 'acme.internal', 'b.test', 'corp.example'],
      served: [
        'kubernetes my.corp.local:53 [Corefile block dns://.:53]',
        'forward corp.example:53 → 10.0.0.10 10.0.0.11 [Corefile block dns://.:53]',
        'forward .:53 → 8.8.8.8 [Corefile block dns://.:53]',
        'forward acme.internal:53 → 10.1.1.1 [Corefile block dns://acme.internal.:53]',
        'hosts a.test:1053 (x.a.test A 10.9.9.9) [Corefile block a.test:1053 b.test:1053]',
        'hosts b.test:1053 () [Corefile block a.test:1053 b.test:1053]',
      ],
    },
  ];
  for (const row of rows)
    it(row.name, () => {
      const zones = parseCorefile(row.text, row.files);
      assert.equal(zones.clusterDomain, row.domain);
      assert.deepEqual(zones.stubDomains, row.stubs);
      assert.equal(zones.fromCorefile, true);
      assert.deepEqual(summary(row.text, row.files), row.served);
    });

  it('says which zone file it could not find, and keeps the zone', () => {
    const [file] = parseCorefile(L7MP).served!.filter((z) => z.by === 'file');
    assert.deepEqual(file!.records, []);
    assert.match(file!.note ?? '', /zone file \/root\/example\.db is not a key of a ConfigMap read/);
  });

  it('bounds import recursion (a file importing itself)', () => {
    const zones = parseCorefile('import loop.server\n', [{ configMap: 'c', key: 'loop.server', text: 'import loop.server\n' }]);
    assert.equal(zones.fromCorefile, false);
    assert.match(zones.note ?? '', /imports nest deeper/);
  });

  it('splices snippets into blocks', () => {
    assert.deepEqual(summary('(stub) {\n forward . 10.0.0.1\n}\nx.test {\n import stub\n}\n'), ['forward x.test:53 → 10.0.0.1 [Corefile block x.test]']);
  });
});

describe('parseCorefile', () => {
  it('uses the server block zone when the kubernetes plugin has no arguments', () => {
    assert.equal(parseCorefile('k8s.test:53 {\n kubernetes\n}\n').clusterDomain, 'k8s.test');
  });

  it('ignores snippets', () => {
    const { served: _, ...zones } = parseCorefile('(common) {\n errors\n}\n.:53 {\n import common\n kubernetes c.local\n}\n');
    assert.deepEqual(zones, { clusterDomain: 'c.local', stubDomains: [], fromCorefile: true });
  });

  for (const [what, text] of [
    ['missing', undefined],
    ['empty', '  \n'],
    ['an unclosed block', '.:53 {\n kubernetes cluster.local {\n'],
    ['a stray brace', '}\n'],
    ['garbage', 'this is not a Corefile\n at all'],
    ['binary noise', '\u0000\u0001{{}}}'],
  ] as const) {
    it(`falls back to cluster.local with a note when the Corefile is ${what}`, () => {
      const zones = parseCorefile(text);
      assert.equal(zones.clusterDomain, 'cluster.local');
      assert.equal(zones.fromCorefile, false);
      assert.match(zones.note ?? '', /cluster\.local/);
    });
  }

  it('notes a Corefile without a kubernetes plugin (read, so no fallback)', () => {
    const zones = parseCorefile('.:53 {\n forward . 1.1.1.1\n}\n');
    assert.equal(zones.fromCorefile, true);
    assert.match(zones.note ?? '', /no kubernetes plugin/);
  });

  it('tells a Corefile that imports files (k3s, AKS) from one that imports only snippets or nothing', () => {
    assert.equal(importsFiles(K3S), true);
    assert.equal(importsFiles(AKS), true);
    assert.equal(importsFiles(KUBEADM), false);
    assert.equal(importsFiles('(common) {\n errors\n}\n.:53 {\n import common\n}\n'), false);
  });

  it('lets --cluster-domain win over the Corefile, adding the zone where no kubernetes plugin serves one', () => {
    const kubeadm = withClusterDomain(parseCorefile(KUBEADM), 'Corp.Internal.');
    assert.equal(kubeadm.clusterDomain, 'corp.internal');
    assert.equal(kubeadm.served!.find((z) => z.by === 'kubernetes')!.zone, 'corp.internal');
    assert.match(kubeadm.note ?? '', /from --cluster-domain \(the Corefile says cluster\.local\)/);
    const l7mp = withClusterDomain(parseCorefile(L7MP), 'cluster.local');
    assert.deepEqual(l7mp.served![0], { zone: 'cluster.local', port: 100, by: 'kubernetes', origin: '--cluster-domain' });
    const fallback = withClusterDomain(parseCorefile(undefined), 'k.test');
    assert.deepEqual([fallback.clusterDomain, fallback.served], ['k.test', undefined]);
  });

  it('normalizes zone keys', () => {
    assert.equal(zoneOf('dns://Cluster.Local.:53'), 'cluster.local');
    assert.equal(zoneOf('.:53'), '.');
    assert.equal(zoneOf('.'), '.');
    assert.equal(portOf('dns://.:5353'), 5353);
    assert.equal(portOf('example.com'), 53);
  });
});
