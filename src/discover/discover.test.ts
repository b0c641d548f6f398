import assert from 'node:assert/strict';
import { KubeError, type KPod, type KService } from '../kube/index.ts';
import { commonController, configMapFor, controllerOf, deploymentOf, discoverWorkload, DiscoverError, dnsPortOf, endpointsOf, PODS_ONLY, toDnsPod, toDnsService } from './discover.ts';
import { settledChoice } from './locate.ts';
import { unprobeableOutage } from './outage.ts';
import { AKS, CLUSTER_WIDE, controllerOf as controllerObject, DISTRIBUTIONS, fakeClient, GKE, K3S, KUBEADM, L7MP, NODELOCAL, OPENSHIFT, OPENSHIFT_LABELS, podsOf, RKE2, type Distribution } from './discover-fixtures.ts';

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

describe('discover: pieces', () => {
  it('derives the Deployment from the ReplicaSet owner minus the pod-template-hash', () => {
    assert.equal(deploymentOf(pod()), 'coredns');
    assert.equal(deploymentOf(pod({ ownerReferences: [{ kind: 'DaemonSet', name: 'coredns' }] })), undefined);
    assert.equal(deploymentOf(pod({ labels: {} })), undefined);
  });

  it('reads the controller from ownerReferences: Deployment through its ReplicaSet, DaemonSet, StatefulSet, none', () => {
    const table: [Partial<KPod>, ReturnType<typeof controllerOf>][] = [
      [{}, { kind: 'Deployment', name: 'coredns' }],
      [{ ownerReferences: [{ kind: 'DaemonSet', name: 'dns-default' }], labels: {} }, { kind: 'DaemonSet', name: 'dns-default' }],
      [{ ownerReferences: [{ kind: 'StatefulSet', name: 'dns' }], labels: {} }, { kind: 'StatefulSet', name: 'dns' }],
      [{ ownerReferences: [{ kind: 'ReplicaSet', name: 'standalone' }], labels: {} }, undefined],
      [{ ownerReferences: [] }, undefined],
    ];
    for (const [over, want] of table) assert.deepEqual(controllerOf(pod(over)), want, JSON.stringify(over));
    // During a rollout most pods decide.
    const old = pod({ labels: { 'pod-template-hash': 'aaa' }, ownerReferences: [{ kind: 'ReplicaSet', name: 'coredns-aaa' }] });
    assert.deepEqual(commonController([old, pod(), pod({ ownerReferences: [{ kind: 'DaemonSet', name: 'x' }] }), pod()]), { kind: 'Deployment', name: 'coredns' });
  });

  it('turns a pod into a DnsPod with IPs, readiness, restarts, controller and ports', () => {
    assert.deepEqual(toDnsPod(pod()), {
      name: 'coredns-7db6d8ff4d-abcde', namespace: 'kube-system', ip: '10.244.0.2', ips: ['10.244.0.2', 'fd00::2'], node: 'node-1',
      phase: 'Running', ready: true, restartCount: 2, terminating: false, deployment: 'coredns', controller: { kind: 'Deployment', name: 'coredns' }, ports: { udp: 53, tcp: 53 }, uid: 'u1',
    });
    const crashing = toDnsPod(pod({ conditions: [], deletionTimestamp: '2025-01-01T00:00:00Z', containerStatuses: [{ name: 'c', ready: false, restartCount: 5, waitingReason: 'CrashLoopBackOff' }] }));
    assert.deepEqual([crashing.ready, crashing.waitingReason, crashing.terminating], [false, 'CrashLoopBackOff', true]);
  });

  it('names the container that crashed in a pod of several (GKE: dnsmasq beside kubedns), whose log tells why', () => {
    const status = (name: string, restartCount: number, waitingReason?: string) => ({ name, ready: !waitingReason, restartCount, ...(waitingReason && { waitingReason }) });
    const table: [KPod['containerStatuses'], string | undefined][] = [
      [[status('kubedns', 0), status('dnsmasq', 4, 'CrashLoopBackOff'), status('sidecar', 0)], 'dnsmasq'],
      [[status('kubedns', 1), status('dnsmasq', 3)], 'dnsmasq'],
      [[status('kubedns', 0), status('dnsmasq', 0)], undefined],
      [[status('coredns', 5, 'CrashLoopBackOff')], undefined],
    ];
    for (const [containerStatuses, want] of table) assert.equal(toDnsPod(pod({ containerStatuses })).crashedContainer, want, JSON.stringify(containerStatuses));
  });

  it('finds the Service DNS port whatever its number, the TCP port when it differs, and orders dual-stack IPs IPv4 first', () => {
    assert.equal(dnsPortOf(service([{ name: 'metrics', port: 9153, protocol: 'TCP' }, { name: 'dns-tcp', port: 100, protocol: 'TCP' }, { name: 'dns', port: 100, protocol: 'UDP' }])), 100);
    assert.equal(dnsPortOf(service([{ port: 5353, protocol: 'UDP' }])), 5353);
    assert.equal(dnsPortOf(service([])), 53);
    assert.deepEqual(toDnsService(service([], ['fd00::a', '10.96.0.10'])).clusterIPs, ['10.96.0.10', 'fd00::a']);
    assert.deepEqual(toDnsService(service([{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 5353, protocol: 'TCP' }])), { name: 'kube-dns', namespace: 'kube-system', clusterIPs: ['10.96.0.10'], port: 53, tcpPort: 5353 });
  });

  it('lists what the Service routes to from EndpointSlices', () => {
    const slices = [{ name: 's', addressType: 'IPv4', ports: [], endpoints: [{ addresses: ['10.244.0.2'], ready: true, podName: 'a' }, { addresses: ['10.244.1.3'], ready: false }] }];
    assert.deepEqual(endpointsOf(slices), [{ address: '10.244.0.2', ready: true, pod: 'a' }, { address: '10.244.1.3', ready: false }]);
  });

  it('picks the ConfigMap: --configmap, else the mounted one (a known name first, never coredns-custom), else the known name', () => {
    const mounting = (names: string[]) => [pod({ configMapVolumes: names })];
    const table: [Parameters<typeof configMapFor>, string][] = [
      [[{ configMapName: 'mine' }, mounting(['coredns']), 'kube-system', 'kube-dns'], 'mine'],
      [[{}, mounting(['coredns-custom', 'coredns']), 'kube-system', 'kube-dns'], 'coredns'],
      [[{}, mounting(['other', 'coredns']), 'kube-system', 'kube-dns'], 'coredns'],
      [[{}, mounting(['kube-dns']), 'kube-system', 'kube-dns'], 'kube-dns'],
      [[{}, mounting(['dns-config']), 'default', 'dns'], 'dns-config'],
      [[{}, [], 'openshift-dns', 'dns-default'], 'dns-default'],
      [[{}, [], 'kube-system', undefined], 'coredns'],
    ];
    for (const [args, want] of table) assert.equal(configMapFor(...args), want, JSON.stringify(args.slice(0, 1)));
  });
});

/** What the report shows of a discovered workload, in one comparable line per distribution. */
async function summary(d: Distribution, opts: Parameters<typeof discoverWorkload>[1] = { nameserver: d.nameserver }) {
  const client = fakeClient(d.cluster);
  const w = await discoverWorkload(client, opts);
  return {
    at: `${w.namespace}/${w.service.name} ${w.labelSelector}`,
    service: `${w.service.clusterIPs.join(',') || 'none'}:${w.service.port}${w.service.tcpPort ? `/tcp ${w.service.tcpPort}` : ''}`,
    controller: w.controller && `${w.controller.kind} ${w.controller.name} ${w.controller.ready}/${w.controller.desired}`,
    pods: [...new Set(w.pods.map((p) => `udp ${p.ports?.udp} tcp ${p.ports?.tcp}${p.dnsContainer ? ` container ${p.dnsContainer}` : ''}`))],
    server: w.server ?? 'coredns',
    domain: w.zones.clusterDomain,
    stubs: w.zones.stubDomains,
    outage: w.outage?.kind,
    requests: client.requests.length,
    workload: w,
  };
}

describe('discover: every distribution with no flags (the pods\' nameserver as the anchor)', () => {
  const want: Record<string, Omit<Awaited<ReturnType<typeof summary>>, 'workload' | 'outage'>> = {
    kubeadm: { at: 'kube-system/kube-dns k8s-app=kube-dns', service: '10.96.0.10:53', controller: 'Deployment coredns 2/2', pods: ['udp 53 tcp 53'], server: 'coredns', domain: 'cluster.local', stubs: [], requests: 6 },
    EKS: { at: 'kube-system/kube-dns k8s-app=kube-dns,eks.amazonaws.com/component=coredns', service: '172.20.0.10:53', controller: 'Deployment coredns 2/2', pods: ['udp 53 tcp 53'], server: 'coredns', domain: 'cluster.local', stubs: [], requests: 6 },
    AKS: { at: 'kube-system/kube-dns k8s-app=kube-dns', service: '10.0.0.10:53', controller: 'Deployment coredns 2/2', pods: ['udp 53 tcp 53'], server: 'coredns', domain: 'cluster.local', stubs: ['corp.example'], requests: 7 },
    k3s: { at: 'kube-system/kube-dns k8s-app=kube-dns', service: '10.43.0.10:53', controller: 'Deployment coredns 1/1', pods: ['udp 53 tcp 53'], server: 'coredns', domain: 'cluster.local', stubs: [], requests: 7 },
    RKE2: { at: 'kube-system/rke2-coredns-rke2-coredns app.kubernetes.io/instance=rke2-coredns,app.kubernetes.io/name=rke2-coredns,k8s-app=kube-dns', service: '10.43.0.10:53', controller: 'Deployment rke2-coredns-rke2-coredns 2/2', pods: ['udp 53 tcp 53'], server: 'coredns', domain: 'cluster.local', stubs: [], requests: 6 },
    'GKE (kube-dns)': { at: 'kube-system/kube-dns k8s-app=kube-dns', service: '10.0.0.10:53', controller: 'Deployment kube-dns 2/2', pods: ['udp 53 tcp 53 container kubedns'], server: 'kube-dns', domain: 'cluster.local', stubs: ['acme.local'], requests: 6 },
    OpenShift: { at: 'openshift-dns/dns-default dns.operator.openshift.io/daemonset-dns=default', service: '172.30.0.10:53', controller: 'DaemonSet dns-default 3/3', pods: ['udp 5353 tcp 5353 container dns'], server: 'coredns', domain: 'cluster.local', stubs: [], requests: 7 },
  };
  for (const make of DISTRIBUTIONS) {
    const d = make();
    it(`${d.name}: ${want[d.name]!.at}, pods on ${want[d.name]!.pods.join(' ')}`, async () => {
      const { workload, outage, ...got } = await summary(d);
      assert.deepEqual(got, want[d.name]);
      assert.equal(outage, undefined);
      assert.equal(workload.pods.length, d.shape.replicas);
    });
  }

  it('falls back to the known names when no nameserver is given (and they are tried in order)', async () => {
    for (const make of DISTRIBUTIONS) {
      const d = make();
      const { at } = await summary(d, {});
      assert.equal(at, (await summary(d)).at, d.name);
    }
  });

  it('the nameserver wins over a known name: a second DNS Service in kube-system', async () => {
    const d = RKE2();
    d.cluster.services.push({ ...d.cluster.services[0]!, name: 'kube-dns', clusterIPs: ['10.43.0.99'] });
    assert.match((await summary(d)).at, /^kube-system\/rke2-coredns-rke2-coredns /);
    assert.match((await summary(d, {})).at, /^kube-system\/kube-dns /);
  });

  it('a DNS Service outside the known namespaces is found by its ClusterIP through a cluster-wide list', async () => {
    const d = KUBEADM();
    for (const s of d.cluster.services) if (s.name === 'kube-dns') Object.assign(s, { namespace: 'dns-system' });
    for (const p of d.cluster.pods) p.namespace = 'dns-system';
    for (const c of d.cluster.controllers) Object.assign(c, { namespace: 'dns-system' });
    for (const c of d.cluster.configMaps) Object.assign(c, { namespace: 'dns-system' });
    const client = fakeClient(d.cluster);
    const w = await discoverWorkload(client, { nameserver: '10.96.0.10' });
    assert.equal(`${w.namespace}/${w.service.name} ${w.pods.length}`, 'dns-system/kube-dns 2');
    assert.ok(client.requests.includes('list services'));
    // Not allowed to list across namespaces: the missing rule is named, never "managed DNS".
    const err = await discoverWorkload(fakeClient({ ...d.cluster, forbidden: [CLUSTER_WIDE] }), { nameserver: '10.96.0.10' }).catch((e: unknown) => e);
    assert.ok(err instanceof DiscoverError, String(err));
    assert.equal(
      err.line,
      "no DNS Service found in kube-system, openshift-dns, and the Service holding the pods' nameserver 10.96.0.10 cannot be looked for: list services at cluster scope is forbidden (grant list on services cluster-wide (the ClusterRole of manifests/rbac-sample.yaml), or pass -n NAMESPACE and --service NAME of the DNS Service)",
    );
  });

  it('explicit flags win: -n, -l, --service and --configmap are used as given', async () => {
    const d = OPENSHIFT();
    const client = fakeClient(d.cluster);
    const w = await discoverWorkload(client, { namespace: 'openshift-dns', serviceName: 'dns-default', labelSelector: 'dns.operator.openshift.io/daemonset-dns=default', configMapName: 'dns-default', nameserver: '10.96.0.10' });
    assert.equal(w.pods.length, 3);
    // Only the given namespace is read, and the given ConfigMap.
    assert.deepEqual(client.requests.filter((r) => /services|configmaps/.test(r)), ['get services default/kubernetes', 'list services openshift-dns', 'get configmaps openshift-dns/dns-default']);
    // Where list is not granted (an older rbac-check.yaml), the Service is read by name.
    const limited = fakeClient({ ...d.cluster, forbidden: ['openshift-dns'] });
    const w2 = await discoverWorkload(limited, { namespace: 'openshift-dns', serviceName: 'dns-default', labelSelector: 'dns.operator.openshift.io/daemonset-dns=default' });
    assert.deepEqual([w2.service.name, w2.pods.length, limited.requests.filter((r) => r.includes('services openshift-dns'))], ['dns-default', 3, ['list services openshift-dns', 'get services openshift-dns/dns-default']]);
    await assert.rejects(discoverWorkload(fakeClient(d.cluster), { serviceName: 'kube-dns' }), (e: DiscoverError) => e.line === 'Service kube-dns not found in namespace kube-system (pass --service NAME and -n NAMESPACE of the DNS Service, or --service "" to probe the pods only)');
  });

  it('nothing found: the message says what was looked for and which flag sets it', async () => {
    const d = KUBEADM();
    d.cluster.services = d.cluster.services.filter((s) => s.name !== 'kube-dns');
    d.cluster.pods = [];
    const err = await discoverWorkload(fakeClient({ ...d.cluster, forbidden: ['openshift-dns'] }), {}).catch((e: unknown) => e);
    assert.ok(err instanceof DiscoverError);
    assert.equal(
      err.line,
      'no cluster DNS found: looked for the known names kube-system/kube-dns, kube-system/rke2-coredns-rke2-coredns, kube-system/rke2-coredns, openshift-dns/dns-default (list services in openshift-dns: forbidden), and for pods k8s-app=kube-dns in kube-system (pass --service NAME and -n NAMESPACE of the DNS Service, or -l SELECTOR (with --service "") for the DNS pods)',
    );
  });

  it('a controller the user may not read costs a note naming the rule, not the run', async () => {
    const d = KUBEADM();
    const client = fakeClient(d.cluster);
    client.getController = async (kind, namespace, name) => {
      throw new KubeError('forbidden', 403, `get ${kind.toLowerCase()}s ${name}: forbidden`, 'missing RBAC: grant get on deployments in namespace kube-system', { request: { verb: 'get', resource: 'deployments', namespace, name } });
    };
    const w = await discoverWorkload(client, { nameserver: d.nameserver });
    assert.deepEqual([w.controller, w.pods.length, w.notes?.filter((n) => n.startsWith('Deployment coredns'))], [undefined, 2, ['Deployment coredns: not readable — missing RBAC: grant get on deployments in namespace kube-system']]);
  });

  it('API requests do not grow with the replica count', async () => {
    const counts = [];
    for (const replicas of [1, 3, 50, 250]) {
      const d = OPENSHIFT();
      const pods = podsOf({ ...d.shape, replicas });
      d.cluster.pods = pods;
      counts.push((await summary(d)).requests);
    }
    assert.deepEqual(counts, [7, 7, 7, 7]);
  });
});

describe('discover: ports', () => {
  it('OpenShift: pods on the named targetPort dns = containerPort 5353, the Service IP on 53', async () => {
    const { workload: w } = await summary(OPENSHIFT());
    assert.deepEqual([w.service.port, w.service.tcpPort, w.pods.map((p) => p.ports)], [53, undefined, [{ udp: 5353, tcp: 5353 }, { udp: 5353, tcp: 5353 }, { udp: 5353, tcp: 5353 }]]);
  });

  it('without EndpointSlices (unreadable) the targetPort is resolved against the pod\'s named containerPorts', async () => {
    const d = OPENSHIFT();
    d.cluster.slices = [];
    const { workload: w } = await summary(d);
    assert.deepEqual(w.pods.map((p) => p.ports), [{ udp: 5353, tcp: 5353 }, { udp: 5353, tcp: 5353 }, { udp: 5353, tcp: 5353 }]);
  });

  it('UDP and TCP may differ, on the Service and on the pods', async () => {
    const d = OPENSHIFT();
    const s = d.cluster.services[0]!;
    s.ports = [{ name: 'dns', port: 53, protocol: 'UDP', targetPort: 'dns' }, { name: 'dns-tcp', port: 5454, protocol: 'TCP', targetPort: 'dns-tcp' }];
    for (const p of d.cluster.pods) p.containers = [{ name: 'dns', ports: [{ name: 'dns', containerPort: 5353, protocol: 'UDP' }, { name: 'dns-tcp', containerPort: 5354, protocol: 'TCP' }] }];
    d.cluster.slices = [];
    const { workload: w } = await summary(d);
    assert.deepEqual([w.service.port, w.service.tcpPort, w.pods[0]!.ports], [53, 5454, { udp: 5353, tcp: 5354 }]);
  });
});

describe('discover: headless Service and pods only', () => {
  it('l7mp: a headless Service with only the workload flags → pods only on UDP 100, one note, the StatefulSet as controller', async () => {
    const { workload: w, ...s } = await summary(L7MP(), { namespace: 'default', labelSelector: 'app=dns', serviceName: 'dns', configMapName: 'dns-config' });
    assert.deepEqual([s.at, s.service, s.controller, s.pods, w.pods.map((p) => p.name)], ['default/dns app=dns', 'none:100', 'StatefulSet dns 2/2', ['udp 100 tcp 100'], ['dns-0', 'dns-1']]);
    assert.deepEqual(w.notes?.filter((n) => /headless/.test(n)), ['Service default/dns is headless (clusterIP None): the pods are probed, no Service IP']);
    assert.equal(w.outage, undefined);
  });

  it('l7mp with -n and -l only: the Service is found in that namespace by its selector… or pods only', async () => {
    const { workload: w } = await summary(L7MP(), { namespace: 'default', labelSelector: 'app=dns', serviceName: PODS_ONLY });
    assert.deepEqual([w.service.clusterIPs, w.service.port, w.pods.length], [[], 100, 2]);
    assert.deepEqual(w.notes?.filter((n) => /pods only/.test(n)), ['pods only (--service ""): no Service IP is probed']);
  });

  it('a wrong -l matches no pod: not found (exit 3), naming what runs there — never an outage', async () => {
    const err = await discoverWorkload(fakeClient(KUBEADM().cluster), { labelSelector: 'app=my-dns' }).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof DiscoverError, String(err));
    assert.match(err.line, /^no pod matches -l app=my-dns in namespace kube-system, while Deployment coredns there runs 2 Ready pod\(s\) \(check the selector, and pass -n NAMESPACE where the DNS pods run\)$/);
  });

  it("the Service's selector drifted from the pods' labels: an outage named as selector drift", async () => {
    const d = KUBEADM();
    d.cluster.services = d.cluster.services.map((s) => (s.name === 'kube-dns' ? { ...s, selector: { 'k8s-app': 'kube-dns-v2' } } : s));
    const { workload: w } = await summary(d, {});
    assert.equal(w.outage?.kind, 'selector-drift', w.outage?.reason);
  });

  it('no DNS Service but -l given: pods only, said in one note', async () => {
    const d = KUBEADM();
    d.cluster.services = d.cluster.services.filter((s) => s.name !== 'kube-dns');
    const { workload: w } = await summary(d, { labelSelector: 'k8s-app=kube-dns' });
    assert.equal(w.pods.length, 2);
    assert.equal(w.notes?.filter((n) => /no Service IP/.test(n)).length, 1);
  });
});

describe('discover: kube-dns, multi-container pods, managed DNS, NodeLocal DNSCache', () => {
  it('GKE kube-dns: recognized and said; stub domains and upstreams from ConfigMap kube-dns; logs from container kubedns', async () => {
    const { workload: w } = await summary(GKE());
    assert.equal(w.server, 'kube-dns');
    assert.ok(w.notes?.some((n) => /^kube-dns \(GKE\), not CoreDNS/.test(n)));
    assert.deepEqual(
      w.zones.served?.map((z) => `${z.zone} ${z.by}${z.forwarders ? ` → ${z.forwarders.join(' ')}` : ''}`),
      ['cluster.local kubernetes', 'acme.local forward → 1.2.3.4', '. forward → 8.8.8.8 8.8.4.4'],
    );
    assert.deepEqual([...new Set(w.pods.map((p) => p.dnsContainer))], ['kubedns']);
  });

  it('GKE with the default --configmap coredns (absent): the mounted kube-dns is read instead, and said', async () => {
    const d = GKE();
    const { workload: w, requests } = await summary(d, { namespace: 'kube-system', serviceName: 'kube-dns', labelSelector: 'k8s-app=kube-dns', configMapName: 'coredns' });
    assert.deepEqual([w.zones.stubDomains, w.notes?.filter((n) => /ConfigMap (coredns|kube-dns)/.test(n))], [
      ['acme.local'],
      ['ConfigMap coredns: not found', 'read ConfigMap kube-dns instead, which the DNS pods mount', 'kube-dns (GKE), not CoreDNS: stub domains and upstreams from ConfigMap kube-dns; logs are read from container kubedns'],
    ]);
    assert.equal(requests, 7);
    // An explicit ConfigMap that exists is read as given.
    const other = await summary(KUBEADM(), { configMapName: 'coredns' });
    assert.ok(!other.workload.notes?.some((n) => /instead/.test(n)));
  });

  it('OpenShift dns + kube-rbac-proxy: the DNS container is dns; a single-container pod names none', async () => {
    assert.deepEqual([...new Set((await summary(OPENSHIFT())).workload.pods.map((p) => p.dnsContainer))], ['dns']);
    assert.deepEqual([...new Set((await summary(KUBEADM())).workload.pods.map((p) => p.dnsContainer))], [undefined]);
  });

  it('GKE Cloud DNS (no DNS Service, no DNS pods, nameserver 169.254.169.254): report-only, one line', async () => {
    const d = GKE();
    d.cluster.services = d.cluster.services.filter((s) => s.name !== 'kube-dns');
    d.cluster.pods = [];
    d.cluster.controllers = [];
    const w = await discoverWorkload(fakeClient(d.cluster), { nameserver: '169.254.169.254' });
    assert.deepEqual([w.server, w.service.clusterIPs, w.pods, w.outage], ['managed', ['169.254.169.254'], [], undefined]);
    assert.deepEqual(w.notes, ["no DNS pods in the cluster: the pods' nameserver 169.254.169.254 is managed DNS (GKE Cloud DNS) — report-only, nothing to repair"]);
  });

  it('NodeLocal DNSCache: detected from its DaemonSet (local IPs, ConfigMap), never taken for CoreDNS, and the note on the Service IP', async () => {
    const { workload: w, requests } = await summary(NODELOCAL());
    assert.deepEqual(w.nodeLocal, { namespace: 'kube-system', daemonSet: 'node-local-dns', configMap: 'node-local-dns', localIPs: ['169.254.20.10', '10.96.0.10'], port: 53 });
    assert.deepEqual([w.service.name, w.pods.every((p) => p.name.startsWith('coredns-')), w.pods.length, requests], ['kube-dns', true, 2, 7]);
    assert.ok(w.notes?.includes('NodeLocal DNSCache (DaemonSet kube-system/node-local-dns, ConfigMap node-local-dns) listens on 169.254.20.10, 10.96.0.10 on every node: the Service IP 10.96.0.10, seen from a node with the cache, is answered by the cache, not by CoreDNS — the pod IPs test CoreDNS itself'));
  });

  it('NodeLocal DNSCache with the workload flags given (the Service listed in its namespace shows kube-dns-upstream)', async () => {
    const { workload: w } = await summary(NODELOCAL(), { namespace: 'kube-system', serviceName: 'kube-dns', labelSelector: 'k8s-app=kube-dns', configMapName: 'coredns' });
    assert.deepEqual([w.nodeLocal?.daemonSet, w.pods.length], ['node-local-dns', 2]);
  });

  it('NodeLocal DNSCache without -localip in its args: the local IPs from its Corefile bind line', async () => {
    const d = NODELOCAL();
    const ds = d.cluster.controllers.find((c) => c.name === 'node-local-dns')!;
    ds.containers = [{ ...ds.containers[0]!, args: ['-conf', '/etc/Corefile'] }];
    const { workload: w } = await summary(d);
    assert.deepEqual(w.nodeLocal?.localIPs, ['169.254.20.10', '10.96.0.10']);
  });

  it('pods given the cache\'s link-local nameserver: the DNS Service by its known name, and the cache detected', async () => {
    const d = NODELOCAL();
    d.cluster.services = d.cluster.services.filter((s) => s.name !== 'kube-dns-upstream');
    const { workload: w } = await summary(d, { nameserver: '169.254.20.10' });
    assert.deepEqual([w.service.name, w.nodeLocal?.daemonSet], ['kube-dns', 'node-local-dns']);
  });
});

describe('discover: outages are outages, never a DiscoverError', () => {
  const scaled = (make: () => Distribution) => {
    const d = make();
    d.cluster.pods = d.cluster.pods.filter((p) => p.namespace !== d.shape.namespace || !p.name.startsWith(d.shape.controller));
    d.cluster.slices = [];
    d.cluster.controllers = d.cluster.controllers.map((c) => (c.name === d.shape.controller ? controllerObject(d.shape, 0, 0) : c));
    return d;
  };
  for (const make of [KUBEADM, K3S, RKE2, GKE, AKS]) {
    const d = scaled(make);
    it(`${d.name} scaled to 0 → outage scaled-to-zero naming the Deployment`, async () => {
      const w = await discoverWorkload(fakeClient(d.cluster), { nameserver: d.nameserver });
      assert.equal(w.outage?.kind, 'scaled-to-zero');
      assert.match(w.outage!.reason, new RegExp(`^Deployment ${d.shape.controller} in namespace kube-system is scaled to 0 replicas: no DNS server runs — scale it up \\(kubectl -n kube-system scale deployment ${d.shape.controller} --replicas=2\\)$`));
      assert.deepEqual([w.controller?.desired, w.pods.length], [0, 0]);
    });
  }

  it('with the default flags the engine passes today (all four given) scaled to 0 is still an outage', async () => {
    const d = scaled(KUBEADM);
    const w = await discoverWorkload(fakeClient(d.cluster), { namespace: 'kube-system', labelSelector: 'k8s-app=kube-dns', serviceName: 'kube-dns', configMapName: 'coredns' });
    assert.equal(w.outage?.kind, 'scaled-to-zero');
  });

  it('l7mp StatefulSet scaled to 0 behind its headless Service → outage naming it, and nothing left to probe', async () => {
    const d = L7MP();
    d.cluster.pods = d.cluster.pods.filter((p) => p.namespace !== 'default');
    d.cluster.controllers = d.cluster.controllers.map((c) => (c.name === 'dns' ? { ...c, desired: 0, ready: 0 } : c));
    const w = await discoverWorkload(fakeClient(d.cluster), { namespace: 'default', labelSelector: 'app=dns', serviceName: 'dns', configMapName: 'dns-config' });
    assert.match(w.outage?.reason ?? '', /^StatefulSet dns in namespace default is scaled to 0 replicas/);
    assert.equal(unprobeableOutage(w)?.line, `DNS unhealthy — outage: ${w.outage!.reason}`);
    // With a Service IP or a pod IP there is something to probe: the judge names the outage instead.
    assert.equal(unprobeableOutage({ ...w, service: { ...w.service, clusterIPs: ['10.96.0.10'] } }), undefined);
  });

  it('OpenShift DaemonSet that wants 0 pods → outage naming the DaemonSet', async () => {
    const d = scaled(OPENSHIFT);
    const w = await discoverWorkload(fakeClient(d.cluster), { nameserver: d.nameserver });
    assert.match(w.outage?.reason ?? '', /^DaemonSet openshift-dns\/dns-default wants 0 pods/);
  });

  it('every pod Pending → the scheduler\'s message', async () => {
    const d = KUBEADM();
    for (const p of d.cluster.pods) Object.assign(p, { phase: 'Pending', podIPs: [], nodeName: '', containerStatuses: [], conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available: 3 Insufficient cpu.' }] });
    const w = await discoverWorkload(fakeClient(d.cluster), { nameserver: d.nameserver });
    assert.equal(w.outage?.kind, 'unschedulable');
    assert.match(w.outage!.reason, /^every DNS pod is Pending, none can be scheduled — coredns-[a-z0-9-]+: 0\/3 nodes are available: 3 Insufficient cpu\.; coredns-/);
  });

  it('pods stuck in ContainerCreating → their Events quoted (one list of Events, only then)', async () => {
    const d = OPENSHIFT();
    const message = 'Failed to create pod sandbox: rpc error: code = Unknown desc = failed to set up sandbox container network: networkPlugin cni failed to set up pod network';
    for (const p of d.cluster.pods) Object.assign(p, { phase: 'Pending', podIPs: [], containerStatuses: [{ name: 'dns', ready: false, restartCount: 0, waitingReason: 'ContainerCreating' }], conditions: [{ type: 'PodScheduled', status: 'True' }, { type: 'Ready', status: 'False' }] });
    d.cluster.events = d.cluster.pods.map((p, i) => ({ name: `e${i}`, namespace: 'openshift-dns', resourceVersion: '1', involvedKind: 'Pod', involvedName: p.name, reason: 'FailedCreatePodSandBox', message, type: 'Warning', component: 'kubelet' }));
    const client = fakeClient(d.cluster);
    const w = await discoverWorkload(client, { nameserver: d.nameserver });
    assert.equal(w.outage?.kind, 'container-creating');
    assert.equal(w.outage?.reason, `every DNS pod is stuck in ContainerCreating — ${d.cluster.pods.map((p) => `${p.name}: FailedCreatePodSandBox: ${message}`).join('; ')}`);
    assert.equal(client.requests.filter((r) => r.startsWith('list events')).length, 1);
  });

  it('every pod not Ready → none-ready with each pod\'s state; a Ready pod and a Service with no endpoints → no-endpoints', async () => {
    const d = K3S();
    for (const p of d.cluster.pods) Object.assign(p, { conditions: [{ type: 'Ready', status: 'False' }], containerStatuses: [{ name: 'coredns', ready: false, restartCount: 7, waitingReason: 'CrashLoopBackOff' }] });
    const w = await discoverWorkload(fakeClient(d.cluster), { nameserver: d.nameserver });
    assert.deepEqual([w.outage?.kind, w.outage?.reason.replace(/coredns-\S+/, 'POD')], ['none-ready', 'no DNS pod is Ready — POD Running, CrashLoopBackOff']);

    const e = KUBEADM();
    e.cluster.slices = e.cluster.slices.map((s) => ({ ...s, endpoints: [] }));
    const w2 = await discoverWorkload(fakeClient(e.cluster), { nameserver: e.nameserver });
    assert.equal(w2.outage?.kind, 'no-endpoints');
    assert.match(w2.outage!.reason, /^Service kube-system\/kube-dns has no ready endpoints although 2 DNS pod\(s\) are Ready/);
  });

  it('no pod and no controller, the Service left: no-pods naming the selector', async () => {
    const d = KUBEADM();
    d.cluster.pods = [];
    d.cluster.controllers = [];
    const w = await discoverWorkload(fakeClient(d.cluster), { nameserver: d.nameserver });
    assert.deepEqual([w.outage?.kind, w.outage?.reason], ['no-pods', 'no DNS pod matches k8s-app=kube-dns in namespace kube-system, and no controller of them was found — the DNS workload is gone, or pass -l SELECTOR']);
  });

  it('a DaemonSet with fewer pods than nodes wants: the controller says so (repair counts the missing ones)', async () => {
    const d = OPENSHIFT();
    d.cluster.controllers = [{ ...d.cluster.controllers[0]!, desired: 4, ready: 3 }];
    const { workload: w } = await summary(d);
    assert.deepEqual([w.controller, w.outage], [{ kind: 'DaemonSet', name: 'dns-default', desired: 4, ready: 3 }, undefined]);
    assert.equal(w.labelSelector, Object.entries(OPENSHIFT_LABELS).map(([k, v]) => `${k}=${v}`).join(','));
  });
});

describe('discover: the known namespaces are searched one at a time, until the choice is settled', () => {
  const svc = (namespace: string, name: string, ip: string): KService => ({ name, namespace, clusterIPs: [ip], ports: [], selector: {} });
  const at = (s: KService) => ({ service: s, by: 'test' });

  it('settledChoice: the nameserver\'s Service is final; a known name only when every name tried before it was searched', () => {
    assert.equal(settledChoice(at(svc('kube-system', 'kube-dns', '10.96.0.10')), ['kube-system'], '10.96.0.10'), true);
    // A nameserver given: a known name may still lose to the Service holding that IP elsewhere.
    assert.equal(settledChoice(at(svc('kube-system', 'kube-dns', '10.96.0.10')), ['kube-system'], '172.30.0.10'), false);
    assert.equal(settledChoice(at(svc('kube-system', 'kube-dns', '10.96.0.10')), ['kube-system']), true);
    assert.equal(settledChoice(at(svc('kube-system', 'rke2-coredns', '10.43.0.10')), ['kube-system']), true);
    assert.equal(settledChoice(at(svc('openshift-dns', 'dns-default', '172.30.0.10')), ['openshift-dns']), false, 'kube-system names come first');
    assert.equal(settledChoice(at(svc('openshift-dns', 'dns-default', '172.30.0.10')), ['kube-system', 'openshift-dns']), true);
    assert.equal(settledChoice(at(svc('dns-system', 'my-dns', '10.0.0.10')), ['dns-system']), false, 'not a known name');
  });

  it('kube-dns found in kube-system without a nameserver: openshift-dns is not listed; OpenShift: both are', async () => {
    const kubeadm = fakeClient(KUBEADM().cluster);
    assert.equal((await discoverWorkload(kubeadm, {})).service.name, 'kube-dns');
    assert.deepEqual(kubeadm.requests.filter((r) => r.startsWith('list services')), ['list services kube-system']);
    const openshift = fakeClient(OPENSHIFT().cluster);
    assert.equal((await discoverWorkload(openshift, {})).service.name, 'dns-default');
    assert.deepEqual(openshift.requests.filter((r) => r.startsWith('list services')), ['list services kube-system', 'list services openshift-dns']);
  });
});

describe('discover: an API server that answers nothing', () => {
  it('every read failing at once: one KubeError, and no rejection left unhandled (Node would end the process on it)', async () => {
    const unreachable = (resource: string) => new KubeError('unreachable', 0, `the API server did not answer ${resource} within 2 s`, 'raise --request-timeout');
    // Each read fails after its own delay: the kubernetes Service first, while the DNS Service is still being located.
    const failAfter = (ms: number, resource: string) => () => new Promise<never>((_, reject) => setTimeout(() => reject(unreachable(resource)), ms));
    const base = fakeClient(KUBEADM().cluster);
    const silent = { ...base, getService: failAfter(5, 'get services'), listServices: failAfter(30, 'list services'), listAllServices: failAfter(30, 'list services'), listPods: failAfter(30, 'list pods') };
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      await assert.rejects(discoverWorkload(silent, {}), (err: unknown) => err instanceof KubeError && err.kind === 'unreachable');
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    assert.deepEqual(unhandled, []);
  });
});
