// The default simulated cluster: CoreDNS pods as real dnsmasq, the kube-dns Service through kube-proxy,
// the records like the kubernetes plugin's, and every DNS fault shown by its effect.
import { expect } from 'chai';
import http from 'node:http';
import { startSim } from './index.ts';
import type { Sim } from './types.ts';
import { dig, getPod, isReady, kubectl, processesMentioning, testSubnet, waitFor } from './sim-fixtures.ts';

const SCALE = 0.02; // liveness: 1.2 s initial delay, 0.2 s period; back-off 0.2 s, 0.4 s …

function healthStatus(ip: string): Promise<number> {
  return new Promise((resolve) => {
    http.get({ host: ip, port: 8080, path: '/health', timeout: 1000 }, (res) => (res.resume(), resolve(res.statusCode ?? 0))).on('error', () => resolve(0));
  });
}

describe('sim: default cluster', function () {
  this.timeout(30_000);
  const subnet = testSubnet();
  let sim: Sim;
  const D = 'cluster.local';

  before(async () => {
    sim = await startSim({ subnet, timing: { scale: SCALE } });
    await sim.waitReady(10_000);
  });

  after(async () => {
    await sim?.stop();
    expect(await processesMentioning(sim.dir)).to.deep.equal([]);
  });

  afterEach(async () => {
    sim.faults.clear();
    await sim.waitReady(15_000);
  });

  it('runs 2 CoreDNS pods Running and Ready with distinct IPs, on Ready nodes', async () => {
    const pods = sim.dnsPods();
    expect(pods).to.have.length(2);
    expect(new Set(pods.map((p) => p.ip)).size).to.equal(2);
    for (const p of pods) {
      expect(p.ip.startsWith(`${subnet}.2.`)).to.equal(true);
      expect(p.pid).to.be.a('number');
      const pod = await getPod(sim.kubeconfigPath, 'kube-system', p.name);
      expect(pod?.status.phase).to.equal('Running');
      expect(isReady(pod)).to.equal(true);
    }
    const nodes = JSON.parse(await kubectl(sim.kubeconfigPath, ['get', 'nodes', '-o', 'json'])) as { items: { metadata: { name: string } }[] };
    expect(nodes.items.map((n) => n.metadata.name)).to.deep.equal(['sim-node-1', 'sim-node-2', 'sim-node-3']);
  });

  it('answers through the kube-dns ClusterIP over UDP and TCP', async () => {
    const svc = sim.dnsService();
    expect(svc).to.deep.equal({ ip: `${subnet}.1.10`, port: 53 });
    for (const tcp of [false, true]) {
      const r = await dig(svc.ip, `kubernetes.default.svc.${D}`, 'A', { tcp });
      expect(r).to.deep.equal({ status: 'NOERROR', answers: [`${subnet}.1.1`] });
    }
  });

  it('answers A, SRV, PTR, NXDOMAIN and external names at every pod IP like the kubernetes plugin', async () => {
    for (const p of sim.dnsPods()) {
      expect((await dig(p.ip, `kube-dns.kube-system.svc.${D}`)).answers).to.deep.equal([`${subnet}.1.10`]);
      expect((await dig(p.ip, `_dns._udp.kube-dns.kube-system.svc.${D}`, 'SRV', { tcp: true })).answers).to.deep.equal([`0 100 53 kube-dns.kube-system.svc.${D}.`]);
      expect((await dig(p.ip, `10.1.${subnet.split('.')[1]}.127.in-addr.arpa`, 'PTR')).answers).to.deep.equal([`kube-dns.kube-system.svc.${D}.`]);
      expect((await dig(p.ip, `nope.default.svc.${D}`)).status).to.equal('NXDOMAIN');
      expect((await dig(p.ip, 'kubernetes.io')).answers).to.deep.equal([`${subnet}.0.80`]);
      expect((await dig(p.ip, 'no-such-name.example.org')).status).to.equal('NXDOMAIN');
    }
  });

  it('serves Service changes live: a new Service resolves at every pod', async () => {
    await kubectl(sim.kubeconfigPath, ['create', 'service', 'clusterip', 'web', '--tcp=80:8080', '-n', 'default']);
    const ip = (await kubectl(sim.kubeconfigPath, ['get', 'svc', 'web', '-n', 'default', '-o', 'jsonpath={.spec.clusterIP}'])).trim();
    expect(ip.startsWith(`${subnet}.1.`)).to.equal(true);
    for (const p of sim.dnsPods()) await waitFor('the new record', async () => (await dig(p.ip, `web.default.svc.${D}`)).answers[0] === ip);
  });

  it('hangDns: queries to that pod time out on UDP and TCP, /health stays 200, the pod stays Ready and is never restarted', async () => {
    const [bad, good] = sim.dnsPods();
    sim.faults.hangDns(bad!.name);
    expect((await dig(bad!.ip, `kubernetes.default.svc.${D}`)).status).to.equal('timeout');
    expect((await dig(bad!.ip, `kubernetes.default.svc.${D}`, 'A', { tcp: true })).status).to.equal('timeout');
    expect((await dig(good!.ip, `kubernetes.default.svc.${D}`)).status).to.equal('NOERROR');
    expect(await healthStatus(bad!.ip)).to.equal(200);
    // Past the liveness initial delay (1.2 s) and more than failureThreshold (5) periods of 0.2 s.
    await new Promise((r) => setTimeout(r, 2800));
    const pod = await getPod(sim.kubeconfigPath, 'kube-system', bad!.name);
    expect(isReady(pod)).to.equal(true);
    expect(pod?.status.containerStatuses?.[0]?.restartCount).to.equal(0);
  });

  it('dropUdp: UDP times out while TCP answers', async () => {
    const [bad] = sim.dnsPods();
    sim.faults.dropUdp(bad!.name);
    expect((await dig(bad!.ip, `kubernetes.default.svc.${D}`)).status).to.equal('timeout');
    expect((await dig(bad!.ip, `kubernetes.default.svc.${D}`, 'A', { tcp: true })).answers).to.deep.equal([`${subnet}.1.1`]);
  });

  it('slow: answers come later than a 1 s client timeout but within 3 s', async () => {
    const [bad] = sim.dnsPods();
    sim.faults.slow(bad!.name, 1500);
    expect((await dig(bad!.ip, `kubernetes.default.svc.${D}`, 'A', { timeoutS: 1 })).status).to.equal('timeout');
    expect((await dig(bad!.ip, `kubernetes.default.svc.${D}`, 'A', { timeoutS: 3 })).status).to.equal('NOERROR');
  });

  it('wrongRecord: only that pod answers the wrong address', async () => {
    const [bad, good] = sim.dnsPods();
    sim.faults.wrongRecord(bad!.name, `kubernetes.default.svc.${D}`, `${subnet}.9.9`);
    await waitFor('the wrong record', async () => (await dig(bad!.ip, `kubernetes.default.svc.${D}`)).answers[0] === `${subnet}.9.9`);
    expect((await dig(good!.ip, `kubernetes.default.svc.${D}`)).answers).to.deep.equal([`${subnet}.1.1`]);
    sim.faults.clear();
    await waitFor('the truth again', async () => (await dig(bad!.ip, `kubernetes.default.svc.${D}`)).answers[0] === `${subnet}.1.1`);
  });

  it('upstreamDown: external names time out, cluster names answer, CoreDNS logs the i/o timeout', async () => {
    const [p] = sim.dnsPods();
    sim.faults.upstreamDown();
    expect((await dig(p!.ip, 'kubernetes.io')).status).to.equal('timeout');
    expect((await dig(p!.ip, `kubernetes.default.svc.${D}`)).status).to.equal('NOERROR');
    const line = await waitFor('the errors plugin line', async () =>
      (await kubectl(sim.kubeconfigPath, ['logs', '-n', 'kube-system', p!.name])).split('\n').find((l) => l.includes('[ERROR] plugin/errors: 2 kubernetes.io. A: read udp')),
    );
    expect(line).to.match(new RegExp(`read udp ${p!.ip.replace(/\./g, '\\.')}:\\d+->${sim.upstream.ip.replace(/\./g, '\\.')}:53: i/o timeout$`));
    sim.faults.clear();
    expect((await dig(p!.ip, 'kubernetes.io')).answers).to.deep.equal([`${subnet}.0.80`]);
  });

  it('crash: the kubelet restarts the container once (restartCount 1) and it answers again', async () => {
    const [p] = sim.dnsPods();
    sim.faults.crash(p!.name);
    const pod = await waitFor('the restart', async () => {
      const cur = await getPod(sim.kubeconfigPath, 'kube-system', p!.name);
      return cur?.status.containerStatuses?.[0]?.restartCount === 1 && isReady(cur) ? cur : undefined;
    });
    expect(pod.status.containerStatuses?.[0]?.lastState).to.have.property('terminated');
    await waitFor('answers after the restart', async () => (await dig(p!.ip, `kubernetes.default.svc.${D}`)).status === 'NOERROR');
    expect(await kubectl(sim.kubeconfigPath, ['logs', '-n', 'kube-system', p!.name, '--previous'])).to.include('CoreDNS-1.11.3');
  });

  it('crashLoop: CrashLoopBackOff with the loop plugin FATAL in the logs; recovers after clear', async () => {
    const [p] = sim.dnsPods();
    sim.faults.crashLoop(p!.name);
    const waiting = await waitFor('CrashLoopBackOff', async () => {
      const s = (await getPod(sim.kubeconfigPath, 'kube-system', p!.name))?.status.containerStatuses?.[0];
      return s?.state.waiting?.reason === 'CrashLoopBackOff' ? s : undefined;
    });
    expect(waiting.state.waiting?.message).to.match(/^back-off \d+s restarting failed container=coredns pod=/);
    // The fault first kills the running container, whose log has no FATAL; every later start writes it.
    const fatal = '[FATAL] plugin/loop: Loop (127.0.0.1:59925 -> :53) detected for zone "."';
    await waitFor('the loop FATAL in the container log', async () => (await kubectl(sim.kubeconfigPath, ['logs', '-n', 'kube-system', p!.name])).includes(fatal));
    expect(sim.dnsPods().find((x) => x.name === p!.name)?.pid).to.equal(undefined);
    sim.faults.clear();
    await sim.waitReady(15_000);
    expect(sim.dnsPods().find((x) => x.name === p!.name)?.pid).to.be.a('number');
  });

  it('nodeNoNetwork: a command exec\'d in a pod on that node gets ENETUNREACH; other nodes keep their network', async () => {
    const connect = `require("net").connect(443, "${subnet}.1.1").on("connect", () => { console.log("connected"); process.exit(0) }).on("error", (e) => { console.log(e.code); process.exit(0) })`;
    for (const node of ['sim-node-1', 'sim-node-3']) {
      const pod = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `probe-${node}`, namespace: 'default' },
        spec: { nodeSelector: { 'kubernetes.io/hostname': node }, restartPolicy: 'Never', containers: [{ name: 'probe', image: 'node:22-alpine', command: ['node', '-e', 'setTimeout(() => {}, 60000)'], securityContext: { runAsUser: 65534 } }] },
      };
      await kubectl(sim.kubeconfigPath, ['create', '--validate=false', '-f', '-'], JSON.stringify(pod));
    }
    sim.faults.nodeNoNetwork('sim-node-3');
    for (const node of ['sim-node-1', 'sim-node-3']) await waitFor('the probe pod', async () => (await getPod(sim.kubeconfigPath, 'default', `probe-${node}`))?.status.phase === 'Running');
    expect((await kubectl(sim.kubeconfigPath, ['exec', '-n', 'default', 'probe-sim-node-3', '--', 'node', '-e', connect])).trim()).to.equal('ENETUNREACH');
    expect((await kubectl(sim.kubeconfigPath, ['exec', '-n', 'default', 'probe-sim-node-1', '--', 'node', '-e', connect])).trim()).to.equal('connected');
    expect((await kubectl(sim.kubeconfigPath, ['exec', '-n', 'default', 'probe-sim-node-1', '--', 'node', '-e', 'console.log(process.getuid())'])).trim()).to.equal('65534');
    await kubectl(sim.kubeconfigPath, ['delete', 'pod', '-n', 'default', 'probe-sim-node-1', 'probe-sim-node-3', '--grace-period=0']);
  });

  it('downwardAPI volumes: an annotation as a file the container reads where it is mounted; annotations over 256 KiB and unknown fieldPaths refused (422)', async () => {
    const big = 'x'.repeat(200 * 1024);
    const pod = (name: string, annotation: string, fieldPath = "metadata.annotations['example.com/data']") => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'default', annotations: { 'example.com/data': annotation } },
      spec: {
        restartPolicy: 'Never',
        containers: [{ name: 'c', image: 'node:22-alpine', command: ['node', '-e', 'setTimeout(() => {}, 60000)'], securityContext: { runAsUser: 65534 }, volumeMounts: [{ name: 'info', mountPath: '/etc/info', readOnly: true }] }],
        volumes: [{ name: 'info', downwardAPI: { items: [{ path: 'data', fieldRef: { fieldPath } }, { path: 'sub/name', fieldRef: { fieldPath: 'metadata.name' } }, { path: 'absent', fieldRef: { fieldPath: "metadata.labels['nope']" } }] } }],
      },
    });
    await kubectl(sim.kubeconfigPath, ['create', '--validate=false', '-f', '-'], JSON.stringify(pod('volume', big)));
    await waitFor('the pod', async () => (await getPod(sim.kubeconfigPath, 'default', 'volume'))?.status.phase === 'Running');
    const read = `const fs = require("fs"); console.log(["data", "sub/name", "absent"].map((f) => fs.readFileSync(process.argv[1] + "/" + f, "utf8").length).join(" "), process.getuid())`;
    // The exec's argv names the mount (where the sim finds the volume); the process runs as the pod's user.
    const out = await kubectl(sim.kubeconfigPath, ['exec', '-n', 'default', 'volume', '--', 'node', '-e', read, '/etc/info']);
    expect(out.trim()).to.equal(`${big.length} 6 0 65534`);
    await kubectl(sim.kubeconfigPath, ['delete', 'pod', '-n', 'default', 'volume', '--grace-period=0']);
    const tooLarge = await kubectl(sim.kubeconfigPath, ['create', '--validate=false', '-f', '-'], JSON.stringify(pod('too-large', 'x'.repeat(256 * 1024)))).catch((e: Error) => e.message);
    expect(tooLarge).to.match(/metadata\.annotations: Too long: must have at most 262144 bytes/);
    const unknown = await kubectl(sim.kubeconfigPath, ['create', '--validate=false', '-f', '-'], JSON.stringify(pod('bad-field', 'x', 'spec.nodeName'))).catch((e: Error) => e.message);
    expect(unknown).to.match(/spec\.volumes\[0\]\.downwardAPI\.items\[0\]\.fieldRef\.fieldPath: Unsupported value: "spec\.nodeName"/);
  });

  it('unpullableImage and unknown images: the pod stays Pending with ErrImagePull then ImagePullBackOff', async () => {
    sim.faults.unpullableImage('ghcr.io/coredns-sentinel/probe');
    for (const [name, image] of [
      ['pull-a', 'ghcr.io/coredns-sentinel/probe:v1'],
      ['pull-b', 'busybox:1.36'],
    ] as const) {
      const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image }] } };
      await kubectl(sim.kubeconfigPath, ['create', '--validate=false', '-f', '-'], JSON.stringify(pod));
      const s = await waitFor('ImagePullBackOff', async () => {
        const cur = await getPod(sim.kubeconfigPath, 'default', name);
        return cur?.status.containerStatuses?.[0]?.state.waiting?.reason === 'ImagePullBackOff' ? cur : undefined;
      });
      expect(s.status.phase).to.equal('Pending');
      expect(s.status.containerStatuses?.[0]?.state.waiting?.message).to.equal(`Back-off pulling image "${image}"`);
    }
    await kubectl(sim.kubeconfigPath, ['delete', 'pod', '-n', 'default', 'pull-a', 'pull-b', '--grace-period=0']);
  });
});
