// DaemonSets and StatefulSets with their controllers, scale and rollout restart through the real
// kubectl, CNI sandbox failures, hostNetwork pods and the resolv.conf every pod is given.
import { expect } from 'chai';
import { dnsAnswers, startSim } from './index.ts';
import type { Sim } from './types.ts';
import { getPod, kubectl, processesMentioning, testSubnet, waitFor } from './sim-fixtures.ts';

const SCALE = 0.02;
const sleeper = (name: string) => ({ name, image: 'docker.io/library/node:22-alpine', command: ['node', '-e', 'setTimeout(() => {}, 600000)'] });
type Pod = { metadata: { name: string; uid: string; ownerReferences?: { kind: string; name: string }[]; deletionTimestamp?: string }; spec: { nodeName?: string }; status: { phase?: string; podIP?: string; hostIP?: string } };

describe('sim: DaemonSets, StatefulSets and pod sandboxes', function () {
  this.timeout(60_000);
  let sim: Sim;
  const k = (...args: string[]) => kubectl(sim.kubeconfigPath, args);
  const pods = async (selector: string) => (JSON.parse(await k('get', 'pods', '-n', 'default', '-l', selector, '-o', 'json')) as { items: Pod[] }).items.filter((p) => !p.metadata.deletionTimestamp);
  const apply = (o: object) => kubectl(sim.kubeconfigPath, ['apply', '--validate=false', '-f', '-'], JSON.stringify(o));

  before(async () => {
    sim = await startSim({ subnet: testSubnet(), timing: { scale: SCALE }, podStartMs: 50 });
    await sim.waitReady(10_000);
  });

  after(async () => {
    await sim?.stop();
    expect(await processesMentioning(sim.dir)).to.deep.equal([]);
  });

  afterEach(() => sim.faults.clear());

  it('StatefulSet: stable names in ordinal order, kubectl scale down from the highest ordinal, rollout restart keeps the names', async () => {
    await apply({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'web', namespace: 'default' },
      spec: { replicas: 3, serviceName: 'web', selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { terminationGracePeriodSeconds: 1, containers: [sleeper('app')] } } },
    });
    await k('rollout', 'status', 'statefulset/web', '--timeout=20s');
    const first = await pods('app=web');
    expect(first.map((p) => p.metadata.name)).to.deep.equal(['web-0', 'web-1', 'web-2']);
    expect(first.every((p) => p.metadata.ownerReferences?.[0]?.kind === 'StatefulSet')).to.equal(true);
    const sts = JSON.parse(await k('get', 'sts', 'web', '-o', 'json')) as { status: Record<string, unknown> };
    expect(sts.status).to.include({ replicas: 3, readyReplicas: 3 });
    await k('scale', 'statefulset', 'web', '--replicas=1');
    await waitFor('web-2 and web-1 to go', async () => (await pods('app=web')).map((p) => p.metadata.name).join() === 'web-0');
    const before = (await pods('app=web'))[0]!.metadata.uid;
    await k('rollout', 'restart', 'statefulset/web');
    await waitFor('web-0 replaced', async () => (await pods('app=web')).some((p) => p.metadata.name === 'web-0' && p.metadata.uid !== before && p.status.phase === 'Running'), 20_000);
    await k('rollout', 'status', 'statefulset/web', '--timeout=20s');
    await k('delete', 'statefulset', 'web');
  });

  it('DaemonSet: one pod per node pinned by node affinity, status counts, rollout restart replaces every pod', async () => {
    await apply({
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'agent', namespace: 'default' },
      spec: { selector: { matchLabels: { app: 'agent' } }, template: { metadata: { labels: { app: 'agent' } }, spec: { terminationGracePeriodSeconds: 1, containers: [sleeper('agent')] } } },
    });
    await k('rollout', 'status', 'daemonset/agent', '--timeout=20s');
    const first = await pods('app=agent');
    expect(first.map((p) => p.spec.nodeName).sort()).to.deep.equal(['sim-node-1', 'sim-node-2', 'sim-node-3']);
    const ds = JSON.parse(await k('get', 'ds', 'agent', '-o', 'json')) as { status: Record<string, unknown> };
    expect(ds.status).to.include({ desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 3, updatedNumberScheduled: 3 });
    await k('rollout', 'restart', 'daemonset/agent');
    const old = new Set(first.map((p) => p.metadata.uid));
    await waitFor('every agent replaced', async () => {
      const now = await pods('app=agent');
      return now.length === 3 && now.every((p) => !old.has(p.metadata.uid) && p.status.phase === 'Running');
    }, 20_000);
    await k('rollout', 'status', 'daemonset/agent', '--timeout=20s');
    await k('delete', 'daemonset', 'agent');
  });

  it('kubectl scale deployment coredns works through the scale subresource', async () => {
    await k('scale', '-n', 'kube-system', 'deployment', 'coredns', '--replicas=3');
    await waitFor('3 CoreDNS pods', () => sim.dnsPods().filter((p) => p.pid).length === 3);
    sim.faults.scale(2);
    await sim.waitReady(15_000);
    await waitFor('the third pod to terminate', () => sim.dnsPods().length === 2, 15_000);
  });

  it('a CoreDNS pod relabelled out of the selector: its ReplicaSet releases it and starts a replacement; the endpoints and kube-proxy drop it', async () => {
    await sim.waitReady(15_000);
    const [old] = sim.dnsPods();
    const before = sim.dnsPods().length;
    // Hung first (the fault needs a DNS pod): once relabelled, kube-proxy must not send it a lookup.
    sim.faults.hangDns(old!.name);
    await k('label', 'pod', '-n', 'kube-system', old!.name, 'k8s-app-', 'coredns-sentinel/quarantined=true');
    const released = await waitFor('the pod released', async () => {
      const p = await getPod(sim.kubeconfigPath, 'kube-system', old!.name);
      return p && !(p.metadata.ownerReferences ?? []).length && p;
    });
    expect(released.metadata.deletionTimestamp, 'an orphan is kept, not deleted').to.equal(undefined);
    await waitFor('a Ready replacement', () => sim.dnsPods().filter((p) => p.pid && p.name !== old!.name).length === before, 15_000);
    const slices = JSON.parse(await k('get', 'endpointslices', '-n', 'kube-system', '-l', 'kubernetes.io/service-name=kube-dns', '-o', 'json')) as { items: { endpoints?: { addresses: string[] }[] }[] };
    expect(slices.items.flatMap((s) => (s.endpoints ?? []).flatMap((e) => e.addresses))).to.not.include(old!.ip);
    // kube-proxy follows: every lookup through the Service IP is answered.
    const { ip, port } = sim.dnsService();
    const answered = await Promise.all(Array.from({ length: 12 }, () => dnsAnswers(ip, port, 'kubernetes.default.svc.cluster.local', 1000)));
    expect(answered.filter(Boolean).length).to.equal(12);
    sim.faults.clear();
    await k('delete', 'pod', '-n', 'kube-system', old!.name, '--wait=false');
  });

  it('cni-fail on a pod: its sandbox is lost, it waits in ContainerCreating with the kubelet\'s FailedCreatePodSandBox Event, and recovers after clear', async () => {
    const victim = sim.dnsPods()[0]!;
    sim.faults.cniFail(victim.name);
    const stuck = await waitFor('ContainerCreating', async () => {
      const p = await getPod(sim.kubeconfigPath, 'kube-system', victim.name);
      return p?.status.phase === 'Pending' && p.status.containerStatuses?.[0]?.state.waiting?.reason === 'ContainerCreating' ? p : undefined;
    });
    expect(stuck.status.podIP).to.equal(undefined);
    const events = JSON.parse(await k('get', 'events', '-n', 'kube-system', '--field-selector', `involvedObject.name=${victim.name}`, '-o', 'json')) as { items: { reason: string; type: string; message: string }[] };
    const ev = events.items.find((e) => e.reason === 'FailedCreatePodSandBox');
    expect(ev?.type).to.equal('Warning');
    expect(ev?.message).to.match(/^Failed to create pod sandbox: .*networkPlugin cni failed to set up pod/);
    sim.faults.clear();
    await sim.waitReady(15_000);
    const back = await getPod(sim.kubeconfigPath, 'kube-system', victim.name);
    expect(back?.status.containerStatuses?.[0]?.restartCount).to.equal(1);
  });

  it('cni-fail on a node: new pods there never get a sandbox', async () => {
    sim.faults.cniFail('sim-node-2');
    await k('run', 'pinned', '--image=docker.io/library/node:22-alpine', '--restart=Never', '--overrides', JSON.stringify({ spec: { nodeSelector: { 'kubernetes.io/hostname': 'sim-node-2' } } }), '--command', '--', 'node', '-e', 'setTimeout(() => {}, 60000)');
    await waitFor('the sandbox Event', async () => (await k('get', 'events', '--field-selector', 'involvedObject.name=pinned,reason=FailedCreatePodSandBox', '-o', 'name')).trim() !== '');
    expect((await getPod(sim.kubeconfigPath, 'default', 'pinned'))?.status.phase).to.equal('Pending');
    await k('delete', 'pod', 'pinned', '--grace-period=0', '--force');
  });

  it('hostNetwork pods share their node\'s address; ClusterFirst pods see the cluster DNS Service in /etc/resolv.conf', async function () {
    await apply({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'hostnet', namespace: 'default' }, spec: { hostNetwork: true, terminationGracePeriodSeconds: 1, containers: [sleeper('c')] } });
    await apply({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'client', namespace: 'default' }, spec: { terminationGracePeriodSeconds: 1, containers: [sleeper('c')] } });
    const host = await waitFor('hostnet running', async () => {
      const p = await getPod(sim.kubeconfigPath, 'default', 'hostnet');
      return p?.status.phase === 'Running' ? (p as unknown as Pod) : undefined;
    });
    expect(host.status.podIP).to.equal(host.status.hostIP);
    await waitFor('client running', async () => (await getPod(sim.kubeconfigPath, 'default', 'client'))?.status.phase === 'Running');
    if (process.getuid?.() !== 0) this.skip(); // the per-pod resolv.conf is a bind mount: root only
    const resolv = await k('exec', 'client', '--', 'node', '-e', 'process.stdout.write(require("fs").readFileSync("/etc/resolv.conf", "utf8"))');
    expect(resolv).to.equal(`search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver ${sim.dnsService().ip}\noptions ndots:5\n`);
    await k('delete', 'pod', 'hostnet', 'client', '--grace-period=0', '--force');
  });
});
