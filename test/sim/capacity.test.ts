// The sim's cluster autoscaler, nodes at capacity, quota usage and image pulls, on a bare store with
// the scheduler (no kubelet, no network): the Events and messages as the real components write them.
import assert from 'node:assert/strict';
import { Store, type KObject } from './store.ts';
import { Scheduler } from './scheduler.ts';
import { ClusterAutoscaler, fillNodes, FILLER_NAMESPACE } from './autoscaler.ts';
import { exceededQuota, formatQuantity, QuotaController } from './quota.ts';
import { goDuration, ImagePuller, pullPolicy } from './pulls.ts';
import { emptyFaultState } from './faults.ts';
import { windowsNodePool } from './presets.ts';

const node = (name: string, cpu = '2'): KObject => ({
  apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/os': 'linux' } }, spec: {},
  status: { conditions: [{ type: 'Ready', status: 'True' }], allocatable: { cpu, memory: '8Gi', pods: '110' } },
});
const pod = (name: string, cpu: string, spec: Record<string, unknown> = {}, namespace = 'default'): KObject => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace },
  spec: { containers: [{ name: 'c', image: 'node:22-alpine', resources: { requests: { cpu }, limits: { cpu } } }], ...spec },
});
const eventsOf = (store: Store, name: string) => store.list('events', undefined, (e) => (e.involvedObject as { name: string }).name === name).map((e) => `${e.reason as string}: ${e.message as string}`);
const nodeOf = (store: Store, name: string) => (store.get('pods', 'default', name)?.spec as { nodeName?: string }).nodeName;
const until = async (what: string, ok: () => boolean, ms = 3000) => {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('sim: cluster autoscaler, nodes at capacity, quota usage, image pulls', () => {
  let store: Store;
  let running: { stop(): void }[] = [];
  beforeEach(() => {
    store = new Store();
    for (const ns of ['default', 'kube-system']) store.create('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  });
  afterEach(() => running.forEach((r) => r.stop()));

  /** The scheduler, the quota controller and an autoscaler whose group has the store's nodes. */
  const start = (max: number, delayMs = 100) => {
    const reconcilers = [new Scheduler(store), new ClusterAutoscaler(store, { group: 'sim-node-group', max, delayMs, newNode: (i) => node(`new-${i + 1}`) }, store.list('nodes').length), new QuotaController(store)];
    reconcilers.forEach((r) => r.start());
    running = reconcilers;
  };

  it('nodes at capacity: the fillers leave less than a probe pod asks; the autoscaler posts TriggeredScaleUp and a node joins, the pod lands there', async () => {
    store.create('nodes', node('n-1'));
    store.create('nodes', node('n-2'));
    store.create('pods', pod('dns', '100m', { nodeName: 'n-1' }, 'kube-system'));
    const fillers = fillNodes(store);
    assert.equal(fillers.length, 2);
    const requests = store.list('pods', FILLER_NAMESPACE).map((p) => ((p.spec as { nodeName: string }).nodeName + '=' + (p.spec as { containers: { resources: { requests: { cpu: string } } }[] }).containers[0]!.resources.requests.cpu)).sort();
    assert.deepEqual(requests, ['n-1=1850m', 'n-2=1950m']);
    start(3);
    store.create('pods', pod('probe', '100m'));
    await until('the pod waits for room', () => eventsOf(store, 'probe').length > 0);
    assert.match(JSON.stringify(store.get('pods', 'default', 'probe')?.status), /0\/2 nodes are available: 2 Insufficient cpu\./);
    assert.deepEqual(eventsOf(store, 'probe'), ['TriggeredScaleUp: pod triggered scale-up: [{sim-node-group 2->3 (max: 3)}]']);
    await until('the pod is scheduled on the new node', () => nodeOf(store, 'probe') === 'new-3');
  });

  it('NotTriggerScaleUp: at the group\'s max, and for a pod pinned to a full node (a new node would not match)', async () => {
    store.create('nodes', node('n-1', '1'));
    store.create('pods', pod('hog', '1', { nodeName: 'n-1' }));
    start(1);
    store.create('pods', pod('wants-room', '100m'));
    store.create('pods', pod('pinned', '100m', { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n-1'] }] }] } } } }));
    await until('both told', () => eventsOf(store, 'wants-room').length > 0 && eventsOf(store, 'pinned').length > 0);
    assert.deepEqual(eventsOf(store, 'wants-room'), ["NotTriggerScaleUp: pod didn't trigger scale-up: 1 max node group size reached"]);
    assert.deepEqual(eventsOf(store, 'pinned'), ["NotTriggerScaleUp: pod didn't trigger scale-up: 1 node(s) didn't match Pod's node affinity/selector"]);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(store.list('nodes').length, 1);
  });

  it('quota usage: status.used follows the pods; a pod over the hard limit is refused with the plugin\'s words', async () => {
    store.create('resourcequotas', { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'compute', namespace: 'default' }, spec: { hard: { 'requests.cpu': '1', 'requests.memory': '1Gi', pods: '10' } } });
    start(2);
    store.create('pods', pod('a', '900m', { nodeName: 'x' }));
    await until('status.used', () => (store.get('resourcequotas', 'default', 'compute')?.status as { used?: Record<string, string> } | undefined)?.used?.['requests.cpu'] === '900m');
    assert.deepEqual((store.get('resourcequotas', 'default', 'compute')?.status as { used: object }).used, { 'requests.cpu': '900m', 'requests.memory': '0', pods: '1' });
    assert.equal(exceededQuota(store, pod('b', '100m')), undefined);
    assert.equal(exceededQuota(store, pod('c', '200m')), 'exceeded quota: compute, requested: requests.cpu=200m, used: requests.cpu=900m, limited: requests.cpu=1');
    assert.deepEqual([formatQuantity('requests.memory', 2 ** 30 * 16), formatQuantity('limits.memory', 64 * 2 ** 20), formatQuantity('cpu', 8), formatQuantity('cpu', 0.05)], ['16Gi', '64Mi', '8', '50m']);
  });

  it('image pulls: Pulling/Pulled with the kubelet\'s duration, the node\'s copy used after (IfNotPresent), a rate limit after N pulls', async () => {
    const faults = emptyFaultState();
    const puller = new ImagePuller(store, faults, { ms: 20, perHost: { 'ghcr.io': 40 } });
    const at = (name: string, node: string) => ({ namespace: 'default', name, uid: `uid-${name}`, node });
    store.create('pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec: {} });
    // Listed by name, which is the time they were recorded (client-go's "<object>.<UnixNano in hex>").
    const messages = () => store.list('events').map((e) => `${e.reason as string}: ${e.message as string}`);
    assert.equal(await puller.pull(at('p', 'n-1'), 'node:22-alpine', 'node', true, undefined, () => true), undefined);
    assert.equal(await puller.pull(at('p', 'n-1'), 'node:22-alpine', 'node', true, undefined, () => true), undefined);
    assert.deepEqual(messages().map((m) => m.replace(/in \d+ms \(\d+ms/, 'in Nms (Nms')), [
      'Pulling: Pulling image "node:22-alpine"',
      'Pulled: Successfully pulled image "node:22-alpine" in Nms (Nms including waiting). Image size: 56437288 bytes.',
      'Pulled: Container image "node:22-alpine" already present on machine',
    ]);
    faults.registries.set('docker.io', 'rate-limited');
    faults.registryAllowance.set('docker.io', 1);
    assert.equal(await puller.pull(at('q', 'n-2'), 'node:22-alpine', 'node', true, undefined, () => true), undefined);
    assert.match(String(await puller.pull(at('r', 'n-3'), 'node:22-alpine', 'node', true, undefined, () => true)), /429 Too Many Requests - Server message: toomanyrequests: You have reached your unauthenticated pull rate limit/);
    assert.equal(await puller.pull(at('r', 'n-3'), 'ghcr.io/coredns-sentinel/probe:0.1.0', 'probe', true, undefined, () => true), undefined);
    assert.deepEqual([pullPolicy('node:latest', undefined), pullPolicy('node', undefined), pullPolicy('node:22', undefined), pullPolicy('node:22', 'Always')], ['Always', 'Always', 'IfNotPresent', 'Always']);
    assert.deepEqual([goDuration(717.9), goDuration(1200), goDuration(60_809), goDuration(3000)], ['717ms', '1.2s', '1m0.809s', '3s']);
  });

  it('Windows node pools as the distributions name and taint them (gke, aks; off unless asked)', () => {
    const pool = (preset: 'gke' | 'aks' | 'enterprise') => windowsNodePool(preset, 2).map(([, n]) => `${n.metadata.name} ${n.metadata.labels?.['kubernetes.io/os']} ${JSON.stringify((n.spec as { taints?: unknown }).taints ?? [])}`);
    assert.deepEqual(pool('aks'), ['akswin000000 windows []', 'akswin000001 windows []']);
    assert.deepEqual(pool('gke'), ['gke-sim-win-pool-0001 windows [{"key":"node.kubernetes.io/os","value":"windows","effect":"NoSchedule"}]', 'gke-sim-win-pool-0002 windows [{"key":"node.kubernetes.io/os","value":"windows","effect":"NoSchedule"}]']);
    assert.deepEqual(pool('enterprise'), ['win-node-1 windows []', 'win-node-2 windows []']);
    assert.deepEqual(windowsNodePool('gke', 0), []);
  });
});
