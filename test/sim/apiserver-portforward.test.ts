// pods/portforward over websockets: the legacy frames on the wire (raw `ws`), the real client-node
// PortForward, RBAC, faults, a refused port, and the product's tunnel (src/kube/portforward.ts) with
// the port-forward prober over a hung pod.
import { KubeConfig, PortForward } from '@kubernetes/client-node';
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import dnsPacket from 'dns-packet';
import { WebSocket } from 'ws';
import { connect, KubeError } from '../../src/kube/index.ts';
import { portForwardProber } from '../../src/modes/portforward.ts';
import type { CheckPlan } from '../../src/probe/contract.ts';
import type { DnsWorkload } from '../../src/discover/types.ts';
import { startSim } from './index.ts';
import type { Sim } from './types.ts';
import { processesMentioning, testSubnet } from './sim-fixtures.ts';

const NS = 'kube-system';
const NAME = 'kubernetes.default.svc.cluster.local';

/** A DNS query with DNS-over-TCP's 2-byte length prefix. */
function tcpQuery(id: number): Buffer {
  const q = dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'A', name: NAME }] });
  const framed = Buffer.alloc(q.length + 2);
  framed.writeUInt16BE(q.length, 0);
  q.copy(framed, 2);
  return framed;
}

/** The first complete DNS-over-TCP message in `buf`, decoded. */
function firstAnswer(buf: Buffer): dnsPacket.DecodedPacket | undefined {
  if (buf.length < 2 || buf.length < buf.readUInt16BE(0) + 2) return undefined;
  return dnsPacket.decode(buf.subarray(2, buf.readUInt16BE(0) + 2));
}

describe('sim API server: pods/portforward over websocket', function () {
  this.timeout(30_000);
  let sim: Sim;
  let pod: { name: string; ip: string };

  const url = (name: string, port: number | string) => `${sim.server.replace('https', 'wss')}/api/v1/namespaces/${NS}/pods/${name}/portforward?ports=${port}`;
  const ca = () => readFileSync(sim.caPath);

  before(async () => {
    sim = await startSim({ subnet: testSubnet() });
    await sim.waitReady(20_000);
    pod = sim.dnsPods()[0]!;
  });

  after(async () => {
    await sim?.stop();
    expect(await processesMentioning(sim.dir)).to.deep.equal([]);
  });

  afterEach(() => sim.faults.clear());

  it('speaks v4.channel.k8s.io: the port as little-endian uint16 first on the data and the error channel, then DNS over TCP on channel 0', async () => {
    const frames: Buffer[] = [];
    const ws = new WebSocket(url(pod.name, 53), ['v4.channel.k8s.io'], { ca: ca(), headers: { Authorization: `Bearer ${sim.admin.token}` } });
    const answer = await new Promise<dnsPacket.DecodedPacket>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no answer through the tunnel')), 5000);
      ws.on('message', (d: Buffer) => {
        frames.push(d);
        if (frames.length === 2) ws.send(Buffer.concat([Buffer.from([0]), tcpQuery(7)]));
        const data = Buffer.concat(frames.filter((f) => f[0] === 0).slice(1).map((f) => f.subarray(1)));
        const a = firstAnswer(data);
        if (a) {
          clearTimeout(timer);
          resolve(a);
        }
      });
      ws.on('error', reject);
    });
    ws.close();
    expect(ws.protocol).to.equal('v4.channel.k8s.io');
    expect(frames[0]).to.deep.equal(Buffer.from([0, 53, 0]));
    expect(frames[1]).to.deep.equal(Buffer.from([1, 53, 0]));
    expect(answer.id).to.equal(7);
    expect((answer.answers?.[0] as { data?: unknown } | undefined)?.data).to.be.a('string');
  });

  it('works with the real client-node PortForward', async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(sim.kubeconfigPath);
    const output = new PassThrough();
    const input = new PassThrough();
    const ws = (await new PortForward(kc).portForward(NS, pod.name, [53], output, null, input)) as WebSocket;
    let got = Buffer.alloc(0);
    const answer = await new Promise<dnsPacket.DecodedPacket>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no answer through client-node')), 5000);
      output.on('data', (d: Buffer) => {
        got = Buffer.concat([got, d]);
        const a = firstAnswer(got);
        if (a) {
          clearTimeout(timer);
          resolve(a);
        }
      });
      input.write(tcpQuery(9));
    });
    ws.close();
    expect(answer.id).to.equal(9);
    expect((answer as { rcode?: string }).rcode).to.equal('NOERROR');
  });

  /** The HTTP answer to a refused upgrade. */
  const refused = (u: string, token: string) =>
    new Promise<{ code: number; message: string }>((resolve, reject) => {
      const ws = new WebSocket(u, ['v4.channel.k8s.io'], { ca: ca(), headers: { Authorization: `Bearer ${token}` } });
      ws.on('open', () => (ws.terminate(), reject(new Error('the upgrade should have been refused'))));
      ws.on('error', () => undefined);
      ws.on('unexpected-response', (_req, res: IncomingMessage) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => (text += d)).on('end', () => resolve({ code: res.statusCode ?? 0, message: (JSON.parse(text) as { message: string }).message }));
      });
    });

  it('needs create as well as get on pods/portforward (KEP-4006), and refuses a bad port and an unknown pod', async () => {
    const getOnly = sim.addUser('pf-get-only', [{ apiGroups: [''], resources: ['pods/portforward'], verbs: ['get'] }]);
    const r = await refused(url(pod.name, 53), getOnly.token);
    expect(r.code).to.equal(403);
    expect(r.message).to.contain('cannot create resource "pods/portforward" in API group "" in the namespace "kube-system"');
    expect((await refused(url(pod.name, 'x'), sim.admin.token)).code).to.equal(400);
    expect((await refused(url('no-such-pod', 53), sim.admin.token)).code).to.equal(404);
  });

  it('refuses the real kubectl port-forward (SPDY-over-websocket, then SPDY) with a 400 naming the protocols it serves', async () => {
    const { execFile } = await import('node:child_process');
    const out = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = execFile('kubectl', ['--kubeconfig', sim.kubeconfigPath, '-n', NS, 'port-forward', `pod/${pod.name}`, '0:53', '--address', '127.0.0.1'], { timeout: 15_000 }, (err, _o, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr }));
      child.stdin?.end();
    });
    expect(out.code).to.not.equal(0);
    expect(out.stderr).to.match(/upgrad|protocol/i);
    const refusedUpgrades = sim.requests.filter((r) => r.resource === 'pods/portforward' && r.code === 400);
    expect(refusedUpgrades.length).to.be.at.least(1);
  });

  it('reports a refused pod port on the error channel and closes; the product stream fails with ECONNREFUSED', async () => {
    const { client } = connect({ kubeconfig: sim.kubeconfigPath });
    const stream = await client.portForward({ namespace: NS, pod: pod.name, port: 54 });
    const err = await new Promise<NodeJS.ErrnoException>((resolve) => stream.on('error', resolve));
    expect(err.code).to.equal('ECONNREFUSED');
    expect(err.message).to.match(/^port-forward: error forwarding port 54 to pod/);
  });

  it('retries a 500 on the upgrade, and a 403 names the request', async () => {
    sim.faults.api({ resource: 'pods/portforward', status: 500, count: 1 });
    const { client } = connect({ kubeconfig: sim.kubeconfigPath });
    const stream = await client.portForward({ namespace: NS, pod: pod.name, port: 53 });
    stream.destroy();
    expect(client.requestCount).to.equal(2);
    const none = sim.addUser('pf-none', []);
    const denied = await connect({ kubeconfig: none.kubeconfigPath }).client.portForward({ namespace: NS, pod: pod.name, port: 53 }).catch((e: unknown) => e);
    expect(denied).to.be.instanceOf(KubeError);
    expect((denied as KubeError).line).to.match(/^create pods\/portforward coredns-\S+ in namespace kube-system: .*forbidden/);
  });

  it('the port-forward prober: every pod over TCP through its tunnel, a hung pod times out, UDP and the Service said to be unchecked', async () => {
    const pods = sim.dnsPods();
    const { client } = connect({ kubeconfig: sim.kubeconfigPath });
    const prober = portForwardProber(client);
    const workload = { namespace: NS, pods: pods.map((p) => ({ name: p.name, ips: [p.ip] })) } as unknown as DnsWorkload;
    const plan: CheckPlan = {
      schema: 'coredns-sentinel/plan/v1',
      targets: [
        { id: 'service', address: sim.dnsService().ip, port: 53, kind: 'service', label: 'service kube-dns' },
        ...pods.map((p) => ({ id: `pod/${p.name}`, address: p.ip, port: 53, kind: 'pod' as const, label: p.name })),
      ],
      queries: [{ id: 'kubernetes-a', name: NAME, type: 'A', expect: { nonEmpty: true } }],
      transports: ['udp', 'tcp'],
      samples: 2,
      timeoutMs: 800,
      concurrency: 8,
    };
    sim.faults.hangDns(pods[0]!.name);
    const scoped = await prober.prepare!(plan, workload);
    expect(scoped.plan.transports).to.deep.equal(['tcp']);
    expect(scoped.plan.targets.map((t) => t.kind)).to.deep.equal(['pod', 'pod']);
    expect(scoped.notes.join('\n')).to.contain('UDP not checked').and.contain(`the Service IP ${sim.dnsService().ip} cannot be checked`);
    const [run] = await prober.run(scoped.plan, []);
    const verdicts = Object.fromEntries(run!.report.results.map((r) => [r.targetId, `${r.transport} ${r.verdict} ${r.samples[0]!.outcome}`]));
    expect(verdicts).to.deep.equal({ [`pod/${pods[0]!.name}`]: 'tcp fail timeout', [`pod/${pods[1]!.name}`]: 'tcp pass ok' });
    const upgrades = sim.requests.filter((r) => r.resource === 'pods/portforward' && r.code === 101);
    expect(upgrades.length).to.be.at.least(2);
  });
});
