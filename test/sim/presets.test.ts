// Every preset plays its distribution's shape: the objects kubectl shows (names, labels, ports, the
// controller's status) and DNS answers from its pods on the port its Service routes to.
import { expect } from 'chai';
import { startSim } from './index.ts';
import { skipWithoutIpv6 } from './network6.ts';
import type { PresetName } from './presets.ts';
import type { Sim } from './types.ts';
import { dig, kubectl, processesMentioning, testSubnet, waitFor } from './sim-fixtures.ts';

const SCALE = 0.05;
const root = process.getuid?.() === 0;
const low = (p: number) => (root ? p : p + 1000);
const D = 'cluster.local';

type Obj = { metadata: { name: string; namespace: string; labels?: Record<string, string>; ownerReferences?: { kind: string; name: string }[] }; spec: Record<string, unknown>; status?: Record<string, unknown>; data?: Record<string, string> };
type ServicePort = { name?: string; port: number; protocol: string; targetPort: number | string };
type Slice = { ports: { name: string; port: number; protocol: string }[]; endpoints: { addresses: string[] }[] };

async function get<T = Obj>(sim: Sim, args: string[]): Promise<T> {
  return JSON.parse(await kubectl(sim.kubeconfigPath, ['get', ...args, '-o', 'json'])) as T;
}

const sliceOf = async (sim: Sim, ns: string, svc: string) => (await get<{ items: Slice[] }>(sim, ['endpointslices', '-n', ns, '-l', `kubernetes.io/service-name=${svc}`])).items[0]!;
const podsOf = async (sim: Sim, ns: string, selector: string) => (await get<{ items: (Obj & { status: { podIP: string } })[] }>(sim, ['pods', '-n', ns, '-l', selector])).items;

describe('sim: presets', function () {
  this.timeout(60_000);
  const subnet = testSubnet();
  let sim: Sim | undefined;

  const start = async (preset: PresetName) => {
    sim = await startSim({ preset, subnet, timing: { scale: SCALE } });
    await sim.waitReady(20_000);
    return sim;
  };

  afterEach(async () => {
    const dir = sim?.dir;
    await sim?.stop();
    sim = undefined;
    if (dir) expect(await processesMentioning(dir)).to.deep.equal([]);
  });

  /** Every pod answers the cluster and external names on `port`, UDP and TCP. */
  const answersAt = async (ips: string[], port: number, cluster = true) => {
    for (const ip of ips)
      for (const tcp of [false, true]) {
        if (cluster) expect((await dig(ip, `kubernetes.default.svc.${D}`, 'A', { port, tcp })).answers, `${ip}:${port}`).to.deep.equal([`${subnet}.1.1`]);
        expect((await dig(ip, 'kubernetes.io', 'A', { port, tcp })).answers, `${ip}:${port}`).to.deep.equal([`${subnet}.0.80`]);
      }
  };

  /** The existing DNS faults act on the preset's pods: hang, UDP drop, a wrong record and a crash, each on one pod only. */
  const faultsWork = async (s: Sim, port: number) => {
    const [a, b] = s.dnsPods();
    const at = (ip: string, tcp = false) => dig(ip, 'kubernetes.io', 'A', { port, tcp, timeoutS: 2 });
    s.faults.hangDns(a!.name);
    expect((await dig(a!.ip, 'kubernetes.io', 'A', { port })).status, 'hung').to.equal('timeout');
    if (b) expect((await at(b.ip)).answers, 'peer').to.deep.equal([`${subnet}.0.80`]);
    s.faults.clear();
    s.faults.dropUdp(a!.name);
    expect((await dig(a!.ip, 'kubernetes.io', 'A', { port })).status, 'UDP dropped').to.equal('timeout');
    expect((await at(a!.ip, true)).answers, 'TCP').to.deep.equal([`${subnet}.0.80`]);
    s.faults.clear();
    s.faults.wrongRecord(a!.name, 'kubernetes.io', '10.99.0.1');
    await waitFor('the wrong record', async () => (await at(a!.ip)).answers[0] === '10.99.0.1');
    s.faults.clear();
    const pid = a!.pid;
    s.faults.crash(a!.name);
    await waitFor('the restarted container', () => s.dnsPods().some((p) => p.name === a!.name && p.pid && p.pid !== pid));
    await waitFor('answers again', async () => (await at(a!.ip)).answers[0] === `${subnet}.0.80`);
  };

  it('kubeadm (default): Deployment coredns, Service kube-dns 53 → 53, kubeadm Corefile', async () => {
    const s = await start('kubeadm');
    const d = await get(s, ['deployment', '-n', 'kube-system', 'coredns']);
    expect(d.spec.replicas).to.equal(2);
    const svc = await get(s, ['service', '-n', 'kube-system', 'kube-dns']);
    expect((svc.spec.ports as ServicePort[]).map((p) => `${p.name}:${p.port}/${p.protocol}→${p.targetPort}`)).to.deep.equal([`dns:${low(53)}/UDP→${low(53)}`, `dns-tcp:${low(53)}/TCP→${low(53)}`, 'metrics:9153/TCP→9153']);
    await answersAt(s.dnsPods().map((p) => p.ip), low(53));
    await faultsWork(s, low(53));
  });

  it('eks: eks.amazonaws.com/component labels, PDB coredns maxUnavailable 1', async () => {
    const s = await start('eks');
    const pods = await podsOf(s, 'kube-system', 'k8s-app=kube-dns,eks.amazonaws.com/component=coredns');
    expect(pods).to.have.length(2);
    const pdb = await get(s, ['pdb', '-n', 'kube-system', 'coredns']);
    expect(pdb.spec.maxUnavailable).to.equal(1);
    expect((await get(s, ['service', '-n', 'kube-system', 'kube-dns'])).metadata.labels?.['eks.amazonaws.com/component']).to.equal('kube-dns');
    await answersAt(pods.map((p) => p.status.podIP), low(53));
    await faultsWork(s, low(53));
  });

  it('aks: coredns-custom imported — its *.server stub domain is forwarded to an upstream of its own, which stub-down stops alone', async () => {
    const s = await start('aks');
    const custom = await get(s, ['configmap', '-n', 'kube-system', 'coredns-custom']);
    expect(Object.keys(custom.data ?? {}).sort()).to.deep.equal(['log.override', 'puglife.server']);
    expect((await get(s, ['configmap', '-n', 'kube-system', 'coredns'])).data?.Corefile).to.include('import custom/*.server');
    const ip = s.dnsPods()[0]!.ip;
    expect((await dig(ip, 'puglife.local', 'A', { port: low(53) })).answers).to.have.length(1);
    expect((await dig(ip, 'web.puglife.local', 'A', { port: low(53) })).status).to.equal('NXDOMAIN');
    s.faults.stubDown('puglife.local');
    expect((await dig(ip, 'puglife.local', 'A', { port: low(53) })).status).to.not.be.oneOf(['NOERROR', 'NXDOMAIN']);
    expect((await dig(ip, 'kubernetes.io', 'A', { port: low(53) })).answers).to.deep.equal([`${subnet}.0.80`]);
    s.faults.clear();
    expect((await dig(ip, 'puglife.local', 'A', { port: low(53), timeoutS: 2 })).status).to.equal('NOERROR');
    await faultsWork(s, low(53));
  });

  it('gke: kube-dns Deployment with containers kubedns, dnsmasq, sidecar; ConfigMap kube-dns stubDomains served; logs need ?container=', async () => {
    const s = await start('gke');
    const pods = await podsOf(s, 'kube-system', 'k8s-app=kube-dns');
    expect(pods).to.have.length(2);
    expect((pods[0]!.spec.containers as { name: string }[]).map((c) => c.name)).to.deep.equal(['kubedns', 'dnsmasq', 'sidecar']);
    expect(pods[0]!.metadata.ownerReferences?.[0]?.kind).to.equal('ReplicaSet');
    const svc = await get(s, ['service', '-n', 'kube-system', 'kube-dns']);
    expect(svc.metadata.labels?.['kubernetes.io/name']).to.equal('KubeDNS');
    const name = pods[0]!.metadata.name;
    // kubectl logs picks the first container itself; the API without ?container= refuses, as the real one does.
    const err = await kubectl(s.kubeconfigPath, ['get', '--raw', `/api/v1/namespaces/kube-system/pods/${name}/log`]).then(() => '', (e: { stderr?: string }) => e.stderr ?? '');
    expect(err).to.include(`a container name must be specified for pod ${name}, choose one of: [kubedns dnsmasq sidecar]`);
    expect(await kubectl(s.kubeconfigPath, ['logs', '-n', 'kube-system', name, '-c', 'dnsmasq'])).to.include('started, version');
    await answersAt(pods.map((p) => p.status.podIP), low(53));
    expect((await dig(pods[0]!.status.podIP, 'acme.local', 'A', { port: low(53) })).status).to.equal('NOERROR');
    await faultsWork(s, low(53));
  });

  it('k3s: one replica, NodeHosts answered by the hosts plugin, coredns-custom *.server imported', async () => {
    const s = await start('k3s');
    expect((await get(s, ['deployment', '-n', 'kube-system', 'coredns'])).spec.replicas).to.equal(1);
    const cm = await get(s, ['configmap', '-n', 'kube-system', 'coredns']);
    expect(cm.data?.NodeHosts).to.include(`${subnet}.0.11 sim-node-2`);
    const [pod] = s.dnsPods();
    expect((await dig(pod!.ip, 'sim-node-2', 'A', { port: low(53) })).answers).to.deep.equal([`${subnet}.0.11`]);
    expect((await dig(pod!.ip, 'homelab.local', 'A', { port: low(53) })).status).to.equal('NOERROR');
    await answersAt([pod!.ip], low(53));
    await faultsWork(s, low(53));
  });

  it('rke2: the rke2-coredns chart names (rke2-coredns-rke2-coredns), Helm labels, ports udp-53/tcp-53', async () => {
    const s = await start('rke2');
    const name = 'rke2-coredns-rke2-coredns';
    const svc = await get(s, ['service', '-n', 'kube-system', name]);
    expect((svc.spec.ports as ServicePort[]).map((p) => p.name)).to.deep.equal([`udp-${low(53)}`, `tcp-${low(53)}`]);
    expect(svc.spec.selector).to.deep.equal({ 'app.kubernetes.io/instance': 'rke2-coredns', 'app.kubernetes.io/name': 'rke2-coredns', 'k8s-app': 'kube-dns' });
    expect((await get(s, ['configmap', '-n', 'kube-system', name])).data?.Corefile).to.include('prometheus 0.0.0.0:9153');
    const pods = await podsOf(s, 'kube-system', 'app.kubernetes.io/instance=rke2-coredns');
    expect(pods).to.have.length(2);
    await answersAt(pods.map((p) => p.status.podIP), low(53));
    await faultsWork(s, low(53));
  });

  it('openshift: DaemonSet dns-default, one pod per node with dns + kube-rbac-proxy, Service 53 → named targetPort dns = 5353 in the EndpointSlice', async () => {
    const s = await start('openshift');
    const ns = 'openshift-dns';
    const ds = await get(s, ['daemonset', '-n', ns, 'dns-default']);
    expect(ds.status).to.include({ desiredNumberScheduled: 3, numberReady: 3, currentNumberScheduled: 3 });
    const pods = await podsOf(s, ns, 'dns.operator.openshift.io/daemonset-dns=default');
    expect(pods.map((p) => p.spec.nodeName).sort()).to.deep.equal(['sim-node-1', 'sim-node-2', 'sim-node-3']);
    expect(pods.every((p) => p.metadata.ownerReferences?.[0]?.kind === 'DaemonSet' && p.metadata.ownerReferences[0].name === 'dns-default')).to.equal(true);
    expect((pods[0]!.spec.containers as { name: string }[]).map((c) => c.name)).to.deep.equal(['dns', 'kube-rbac-proxy']);
    const svc = await get(s, ['service', '-n', ns, 'dns-default']);
    expect((svc.spec.ports as ServicePort[]).slice(0, 2).map((p) => `${p.port}→${p.targetPort}`)).to.deep.equal([`${low(53)}→dns`, `${low(53)}→dns-tcp`]);
    const slice = await sliceOf(s, ns, 'dns-default');
    expect(slice.ports.filter((p) => p.name.startsWith('dns')).map((p) => `${p.name}:${p.port}/${p.protocol}`).sort()).to.deep.equal(['dns-tcp:5353/TCP', 'dns:5353/UDP']);
    const ips = pods.map((p) => p.status.podIP);
    await answersAt(ips, 5353);
    expect((await dig(ips[0]!, 'kubernetes.io', 'A', { port: 53 })).status).to.equal('timeout');
    await answersAt([s.dnsService().ip], low(53));
    await faultsWork(s, 5353);
  });

  it('nodelocal: DaemonSet node-local-dns (hostNetwork) beside CoreDNS, forwarding the cluster zone to kube-dns-upstream; nodelocal-down stops one node\'s cache', async () => {
    const s = await start('nodelocal');
    const ds = await get(s, ['daemonset', '-n', 'kube-system', 'node-local-dns']);
    expect(ds.status).to.include({ desiredNumberScheduled: 3, numberReady: 3 });
    const caches = (await podsOf(s, 'kube-system', 'k8s-app=node-local-dns')) as (Obj & { status: { podIP: string; hostIP: string } })[];
    expect(caches.every((p) => p.spec.hostNetwork === true && p.status.podIP === p.status.hostIP)).to.equal(true);
    expect(s.dnsPods().map((p) => p.name).every((n) => n.startsWith('coredns-'))).to.equal(true);
    const upstream = await get(s, ['service', '-n', 'kube-system', 'kube-dns-upstream']);
    expect(upstream.spec.selector).to.deep.equal({ 'k8s-app': 'kube-dns' });
    expect((await get(s, ['configmap', '-n', 'kube-system', 'node-local-dns'])).data?.Corefile).to.include(`bind ${subnet}.255.10 ${s.dnsService().ip}`);
    const ips = caches.map((p) => p.status.podIP);
    await answersAt(ips, low(53));
    const victim = caches[0]!;
    s.faults.nodeLocalDown(victim.spec.nodeName as string);
    expect((await dig(victim.status.podIP, 'kubernetes.io', 'A', { port: low(53) })).status).to.equal('timeout');
    await answersAt(ips.slice(1), low(53));
    s.faults.clear();
    await answersAt([victim.status.podIP], low(53));
  });

  it('dual-stack: pods and the kube-dns Service get IPv6 addresses that answer (A/AAAA, PTR, UDP and TCP); drop-family ipv6 leaves IPv4 working', async function () {
    skipWithoutIpv6(this);
    const s = await start('dual-stack');
    const svc = await get(s, ['service', '-n', 'kube-system', 'kube-dns']);
    expect(svc.spec.ipFamilies).to.deep.equal(['IPv4', 'IPv6']);
    const [, v6Service] = svc.spec.clusterIPs as string[];
    expect(v6Service).to.match(/^fd7f:/);
    const pods = (await podsOf(s, 'kube-system', 'k8s-app=kube-dns')) as unknown as (Obj & { status: { podIPs: { ip: string }[] } })[];
    const v6 = pods.map((p) => p.status.podIPs[1]?.ip ?? '');
    expect(v6.every((ip) => ip.startsWith('fd7f:'))).to.equal(true);
    const slices = await get<{ items: (Slice & { addressType: string })[] }>(s, ['endpointslices', '-n', 'kube-system', '-l', 'kubernetes.io/service-name=kube-dns']);
    expect(slices.items.map((x) => x.addressType).sort()).to.deep.equal(['IPv4', 'IPv6']);
    expect(slices.items.find((x) => x.addressType === 'IPv6')!.endpoints.flatMap((e) => e.addresses).sort()).to.deep.equal([...v6].sort());
    for (const ip of [...v6, v6Service!]) {
      for (const tcp of [false, true]) expect((await dig(ip, 'kubernetes.io', 'A', { port: low(53), tcp })).answers, ip).to.deep.equal([`${subnet}.0.80`]);
      expect((await dig(ip, `kube-dns.kube-system.svc.${D}`, 'AAAA', { port: low(53) })).answers).to.deep.equal([v6Service]);
    }
    const ptr = v6Service!.replace(/::a$/, '').split(':').map((g) => g.padStart(4, '0')).join('') + '0'.repeat(15) + 'a';
    expect((await dig(v6[0]!, `${[...ptr].reverse().join('.')}.ip6.arpa`, 'PTR', { port: low(53) })).answers).to.deep.equal([`kube-dns.kube-system.svc.${D}.`]);
    s.faults.dropFamily('ipv6');
    for (const ip of v6) {
      expect((await dig(ip, 'kubernetes.io', 'A', { port: low(53) })).status).to.equal('timeout');
      expect((await dig(ip, 'kubernetes.io', 'A', { port: low(53), tcp: true })).status).to.not.equal('NOERROR');
    }
    await answersAt(s.dnsPods().map((p) => p.ip), low(53));
    s.faults.clear();
    for (const ip of v6) expect((await dig(ip, 'kubernetes.io', 'A', { port: low(53) })).status).to.equal('NOERROR');
  });

  it('l7mp: StatefulSet dns (dns-0, dns-1), headless Service on UDP 100, ConfigMap dns-config: forward and the example.com file zone, no kubernetes zone', async () => {
    const s = await start('l7mp');
    const sts = await get(s, ['statefulset', '-n', 'default', 'dns']);
    expect(sts.status).to.include({ replicas: 2, readyReplicas: 2 });
    const pods = await podsOf(s, 'default', 'app=dns');
    expect(pods.map((p) => p.metadata.name)).to.deep.equal(['dns-0', 'dns-1']);
    const svc = await get(s, ['service', '-n', 'default', 'dns']);
    expect(svc.spec.clusterIP).to.equal('None');
    expect((svc.spec.ports as ServicePort[]).map((p) => `${p.port}/${p.protocol}`)).to.deep.equal([`${low(100)}/UDP`]);
    const slice = await sliceOf(s, 'default', 'dns');
    expect(slice.endpoints.flatMap((e) => e.addresses).sort()).to.deep.equal(pods.map((p) => p.status.podIP).sort());
    expect(Object.keys((await get(s, ['configmap', '-n', 'default', 'dns-config'])).data ?? {}).sort()).to.deep.equal(['Corefile', 'example.db']);
    for (const p of pods) {
      const ip = p.status.podIP;
      const port = low(100);
      expect((await dig(ip, 'host.example.com', 'A', { port })).answers).to.deep.equal(['192.168.1.3']);
      expect((await dig(ip, 'gateway.example.com', 'A', { port })).answers).to.deep.equal(['192.168.1.1']);
      expect((await dig(ip, 'server.example.com', 'A', { port })).answers).to.deep.equal(['host.example.com.', '192.168.1.3']);
      expect((await dig(ip, 'nope.example.com', 'A', { port })).status).to.equal('NXDOMAIN');
      expect((await dig(ip, `kubernetes.default.svc.${D}`, 'A', { port })).status).to.equal('NXDOMAIN');
      await answersAt([ip], port, false);
    }
    // The cluster's own DNS (kubeadm CoreDNS) runs beside it.
    expect((await get(s, ['deployment', '-n', 'kube-system', 'coredns'])).spec.replicas).to.equal(2);
    await faultsWork(s, low(100));
  });
});
