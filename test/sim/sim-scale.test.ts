// Sim shapes other than the default: 100 CoreDNS replicas, one replica on port 100 in another
// namespace with another cluster domain, and the `make sim` process (start time, fault CLI, SIGTERM).
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { execFile } from 'node:child_process';
import { startSim } from './index.ts';
import type { Sim } from './types.ts';
import { dig, kubectl, processesMentioning, testSubnet, waitFor } from './sim-fixtures.ts';

describe('sim: 100 CoreDNS replicas', function () {
  this.timeout(60_000);
  let sim: Sim | undefined;

  after(async () => {
    await sim?.stop();
    if (sim) expect(await processesMentioning(sim.dir)).to.deep.equal([]);
  });

  it('starts all of them with distinct IPs, each answering, in a few seconds', async () => {
    const t0 = performance.now();
    sim = await startSim({ subnet: testSubnet(), dns: { replicas: 100 } });
    await sim.waitReady(30_000);
    console.log(`      100 CoreDNS pods ready in ${Math.round(performance.now() - t0)} ms`);
    const pods = sim.dnsPods();
    expect(pods).to.have.length(100);
    expect(new Set(pods.map((p) => p.ip)).size).to.equal(100);
    expect(new Set(pods.map((p) => p.node))).to.deep.equal(new Set(['sim-node-1', 'sim-node-2', 'sim-node-3']));
    for (const p of [pods[0]!, pods[99]!]) expect((await dig(p.ip, 'kubernetes.default.svc.cluster.local')).status).to.equal('NOERROR');
  });
});

describe('sim: one replica on port 100 in another namespace and domain', function () {
  this.timeout(30_000);
  let sim: Sim;

  before(async () => {
    sim = await startSim({ subnet: testSubnet(), dns: { replicas: 1, port: 100, namespace: 'dns-system', clusterDomain: 'corp.internal' } });
    await sim.waitReady(10_000);
  });

  after(async () => {
    await sim?.stop();
    expect(await processesMentioning(sim.dir)).to.deep.equal([]);
  });

  it('serves the Service, the Corefile and the pod on port 100', async () => {
    const [pod] = sim.dnsPods();
    expect(sim.dnsPods()).to.have.length(1);
    expect(pod?.namespace).to.equal('dns-system');
    const svc = sim.dnsService();
    expect(svc.port).to.equal(100);
    for (const tcp of [false, true]) {
      expect((await dig(svc.ip, 'kube-dns.dns-system.svc.corp.internal', 'A', { port: 100, tcp })).answers).to.deep.equal([svc.ip]);
      expect((await dig(pod!.ip, 'kubernetes.default.svc.corp.internal', 'A', { port: 100, tcp })).status).to.equal('NOERROR');
    }
    expect((await dig(pod!.ip, 'nope.default.svc.corp.internal', 'A', { port: 100 })).status).to.equal('NXDOMAIN');
    const corefile = await kubectl(sim.kubeconfigPath, ['get', 'configmap', 'coredns', '-n', 'dns-system', '-o', 'jsonpath={.data.Corefile}']);
    expect(corefile.split('\n')[0]).to.equal('.:100 {');
    expect(corefile).to.include('kubernetes corp.internal in-addr.arpa ip6.arpa');
  });
});

describe('sim: `make sim` process', function () {
  this.timeout(30_000);
  const dir = mkdtempSync(join(tmpdir(), 'sim-main-'));
  const run = promisify(execFile);
  const fault = (...args: string[]) => run(process.execPath, ['--import', 'tsx', 'test/sim/fault.ts', '--dir', dir, ...args]).then((r) => r.stdout.trim());
  let child: ReturnType<typeof spawn> | undefined;

  after(async () => {
    if (child?.exitCode === null) child.kill('SIGKILL');
    expect(await processesMentioning(dir)).to.deep.equal([]);
  });

  it('starts in ≤ 2 s, takes faults over its control socket, and SIGTERM stops it with exit 0 and no process left', async () => {
    const subnet = testSubnet();
    child = spawn(process.execPath, ['--import', 'tsx', 'test/sim/main.ts', '--dir', dir, '--subnet', subnet], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    const line = await waitFor('the ready line', () => /sim ready in (\d+) ms/.exec(out) ?? undefined, 15_000);
    console.log(`      make sim: ${line[0]}`);
    expect(Number(line[1])).to.be.at.most(2000);
    expect(out).to.include(`kubectl --kubeconfig ${join(dir, 'admin.kubeconfig')} get pods -n kube-system`);
    const pods = (await fault('pods')).split('\n');
    expect(pods).to.have.length(2);
    const [name, ip] = pods[0]!.split('\t');
    expect(await fault('drop-udp', name!)).to.include('UDP');
    expect((await dig(ip!, 'kubernetes.default.svc.cluster.local')).status).to.equal('timeout');
    const bad = await fault('hang-dns', 'no-such-pod').then(
      () => 'ok',
      (e: { stderr: string }) => e.stderr.trim(),
    );
    expect(bad).to.match(/^fault: no DNS pod "no-such-pod" in namespace kube-system/);
    expect(await fault('clear')).to.equal('all faults cleared');
    expect((await dig(ip!, 'kubernetes.default.svc.cluster.local')).status).to.equal('NOERROR');
    // An API fault on one pod from the command line: that pod's requests fail, its peer's do not.
    const kubeconfig = join(dir, 'admin.kubeconfig');
    const [other] = pods[1]!.split('\t');
    expect(await fault('api', 'get', 'pods', '503', '--name', name!, '--message', 'error dialing backend')).to.match(new RegExp(`^API fault \\d+: get pods ${name} → answered HTTP 503 "error dialing backend", until cleared`));
    const refused = await kubectl(kubeconfig, ['get', 'pod', '-n', 'kube-system', name!, '-o', 'name']).then(() => 'ok', (e: { stderr: string }) => e.stderr);
    expect(refused).to.include('error dialing backend');
    expect(await kubectl(kubeconfig, ['get', 'pod', '-n', 'kube-system', other!, '-o', 'name'])).to.include(other!);
    expect(await fault('api-clear')).to.equal('API faults cleared');
    expect(await kubectl(kubeconfig, ['get', 'pod', '-n', 'kube-system', name!, '-o', 'name'])).to.include(name!);
    const exited = new Promise<number | null>((resolve) => child!.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).to.equal(0);
    expect(await processesMentioning(dir)).to.deep.equal([]);
  });

  it('leaves no dnsmasq or container process behind even when SIGKILLed', async () => {
    child = spawn(process.execPath, ['--import', 'tsx', 'test/sim/main.ts', '--dir', dir, '--subnet', testSubnet()], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor('the ready line', () => out.includes('sim ready in'), 15_000);
    expect(await processesMentioning(join(dir, 'coredns'))).to.have.length(2);
    child.kill('SIGKILL');
    await waitFor('every child to die with it', async () => (await processesMentioning(dir)).length === 0, 5000);
  });
});
