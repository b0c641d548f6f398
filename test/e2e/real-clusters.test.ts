// End to end: the probe pod on clusters shaped like real ones (docs/real-clusters.md), each reality
// switched on in the sim the way a user would make it with kubectl — a node taint, namespace labels
// and annotations, a Windows node — and the real CLI run against it. One sim for every case.
import assert from 'node:assert/strict';
import { startSim, type Sim } from '../sim/index.ts';
import { kubectl, waitFor } from '../sim/sim-fixtures.ts';
import { simOnly } from './cluster.ts';
import { buildCli, cli, probePodsLeft } from './cli.ts';
import { PROBE_VERSION } from '../../src/probe/version.ts';

describe('real clusters: the probe pod admitted, scheduled and pinned as they require', function () {
  this.timeout(120_000);
  let sim: Sim;
  const k = (...args: string[]) => kubectl(sim.kubeconfigPath, args);
  const check = (...more: string[]) => cli(['check', '--kubeconfig', sim.kubeconfigPath, '--mode', 'probe-pod', '--no-freshness', '--timeout', '500ms', '--samples', '1', '-o', 'json', ...more]);

  before(async function () {
    simOnly(this);
    this.timeout(60_000);
    buildCli();
    sim = await startSim({ nodes: 3, dns: { replicas: 2 } });
    await sim.waitReady(30_000);
  });
  after(async () => sim?.stop());

  it('kubeadm: a DNS pod on a control-plane node tainted NoSchedule → --probe-nodes 2 tolerates exactly that taint, exit 0', async () => {
    const cpNode = sim.dnsPods()[0]!.node;
    await k('taint', 'node', cpNode, 'node-role.kubernetes.io/control-plane:NoSchedule');
    try {
      const run = await check('--probe-nodes', '2');
      assert.equal(run.code, 0, run.stderr);
      assert.ok(run.json?.probes?.some((p) => p.node === cpNode), JSON.stringify(run.json?.probes));
      assert.ok(run.json?.notes.includes(`probe pods tolerate the taints of the nodes they are pinned to: ${cpNode} (node-role.kubernetes.io/control-plane:NoSchedule)`), JSON.stringify(run.json?.notes));
      assert.deepEqual(await probePodsLeft(sim.kubeconfigPath), []);
    } finally {
      await k('taint', 'node', cpNode, 'node-role.kubernetes.io/control-plane:NoSchedule-');
    }
  });

  it('OpenShift: a namespace with an SCC UID range refuses UID 65534 → the tool lets the SCC assign one, exit 0', async () => {
    await k('create', 'namespace', 'probes-ocp');
    await k('annotate', 'namespace', 'probes-ocp', 'openshift.io/sa.scc.uid-range=1000680000/10000');
    // The sim refuses what restricted-v2 refuses.
    const refused = await kubectl(sim.kubeconfigPath, ['run', 'fixed-uid', '-n', 'probes-ocp', '--image=node:22-alpine', '--restart=Never', '--overrides', JSON.stringify({ spec: { securityContext: { runAsUser: 65534 } } }), '--', 'sleep', '1']).then(() => '', (err: Error) => err.message);
    assert.match(refused, /unable to validate against any security context constraint: .*runAsUser: Invalid value: 65534: must be in the ranges: \[1000680000, 1000689999\]/);
    const run = await check('--probe-namespace', 'probes-ocp');
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(await probePodsLeft(sim.kubeconfigPath, 'probes-ocp'), []);
  });

  it('Pod Security restricted enforced on the probe namespace → admitted, exit 0; a baseline-only pod is refused with the real 403', async () => {
    await k('create', 'namespace', 'probes-psa');
    await k('label', 'namespace', 'probes-psa', 'pod-security.kubernetes.io/enforce=restricted');
    const refused = await kubectl(sim.kubeconfigPath, ['run', 'loose', '-n', 'probes-psa', '--image=node:22-alpine', '--restart=Never', '--', 'sleep', '1']).then(() => '', (err: Error) => err.message);
    assert.match(refused, /violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false/);
    const run = await check('--probe-namespace', 'probes-psa');
    assert.equal(run.code, 0, run.stderr);
  });

  it('Istio injection on the probe namespace → the probe pod opts out (a plain pod there gets istio-init), exit 0', async () => {
    await k('create', 'namespace', 'probes-mesh');
    await k('label', 'namespace', 'probes-mesh', 'istio-injection=enabled');
    await k('run', 'plain', '-n', 'probes-mesh', '--image=node:22-alpine', '--restart=Never', '--', 'sleep', '1');
    assert.equal(await k('get', 'pod', 'plain', '-n', 'probes-mesh', '-o', 'jsonpath={.spec.initContainers[*].name} {.spec.containers[*].name}'), 'istio-init plain istio-proxy');
    const run = await check('--probe-namespace', 'probes-mesh');
    assert.equal(run.code, 0, run.stderr);
    assert.ok(!run.json?.notes.some((n) => /injected/.test(n)), JSON.stringify(run.json?.notes));
  });

  it('a strict LimitRange (ratio 2) and a quota that requires ephemeral-storage and limits → admitted, exit 0; a pod without them refused with the real 403s', async () => {
    await k('create', 'namespace', 'probes-quota');
    await kubectl(sim.kubeconfigPath, ['create', '--validate=false', '-n', 'probes-quota', '-f', '-'], JSON.stringify({
      apiVersion: 'v1', kind: 'List', items: [
        { apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'strict' }, spec: { limits: [{ type: 'Container', maxLimitRequestRatio: { cpu: '2', memory: '2' } }] } },
        { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'compute' }, spec: { hard: { 'requests.cpu': '4', 'limits.cpu': '8', 'requests.ephemeral-storage': '10Gi' } } },
      ],
    }));
    const refuse = (overrides: object) => kubectl(sim.kubeconfigPath, ['run', 'x', '-n', 'probes-quota', '--image=node:22-alpine', '--restart=Never', '--overrides', JSON.stringify(overrides), '--', 'sleep', '1']).then(() => '', (err: Error) => err.message);
    assert.match(await refuse({ spec: { containers: [{ name: 'x', image: 'node:22-alpine', resources: { requests: { cpu: '50m' }, limits: { cpu: '500m' } } }] } }), /cpu max limit to request ratio per Container is 2, but provided ratio is 10\.000000/);
    assert.match(await refuse({}), /failed quota: compute: must specify limits\.cpu for: x; requests\.cpu for: x; requests\.ephemeral-storage for: x/);
    const run = await check('--probe-namespace', 'probes-quota');
    assert.equal(run.code, 0, run.stderr);
  });

  it('a quota used up by the namespace\'s pods → exit 4, the quota\'s 403 and its name in the line, no pod left; status.used counts the pods', async () => {
    // What the namespace's workloads take: 3950m of the 4 cpu requests.cpu allows (within the LimitRange's ratio 2).
    const resources = { requests: { cpu: '3950m', 'ephemeral-storage': '1Gi' }, limits: { cpu: '4', 'ephemeral-storage': '1Gi' } };
    await kubectl(sim.kubeconfigPath, ['run', 'busy', '-n', 'probes-quota', '--image=node:22-alpine', '--restart=Never', '--overrides', JSON.stringify({ spec: { containers: [{ name: 'busy', image: 'node:22-alpine', command: ['sleep', '300'], resources }] } })]);
    try {
      assert.equal(await waitFor('the quota controller', async () => (await k('get', 'quota', 'compute', '-n', 'probes-quota', '-o', 'jsonpath={.status.used.requests\\.cpu}')) || undefined), '3950m');
      const run = await check('--probe-namespace', 'probes-quota');
      assert.equal(run.code, 4, run.stderr);
      assert.match(run.stderr.trim(), /^error: probe pod rejected in namespace probes-quota: pods "coredns-sentinel-probe-\w+" is forbidden: exceeded quota: compute, requested: requests\.cpu=100m, used: requests\.cpu=3950m, limited: requests\.cpu=4 \(the namespace's ResourceQuota compute has no room left for the probe pod: free it, raise it \(kubectl describe quota compute\), or use another --probe-namespace\)$/);
      assert.deepEqual(await probePodsLeft(sim.kubeconfigPath, 'probes-quota'), []);
    } finally {
      await k('delete', 'pod', 'busy', '-n', 'probes-quota', '--grace-period=0', '--force');
    }
  });

  const pulls: [string, 'rate-limited' | 'unauthorized' | 'unreachable', RegExp][] = [
    ['Docker Hub rate-limits anonymous pulls', 'rate-limited', /the registry rate-limits pulls .*toomanyrequests.* \(copy the image to a mirror and pass --probe-image <mirror>\/<image>, or authenticate the pulls with --image-pull-secret\)$/],
    ['the registry wants credentials', 'unauthorized', /the registry refused the pull .*authorization failed.* \(pass --image-pull-secret /],
    ['the registry is unreachable (air-gapped)', 'unreachable', /the registry is unreachable from the node .*no such host.* \(mirror the image /],
  ];
  // A tag no node holds yet: nodes keep what they pulled and a tagged image is IfNotPresent, so an
  // image already pulled there (node:22-alpine, by the cases above) would start without the registry.
  const image = 'node:22.12-alpine';
  for (const [name, outcome, line] of pulls) {
    it(`image pull: ${name} → a given --probe-image: exit 4 within seconds, one line naming the image, the cause and the fix, no pod left`, async () => {
      sim.faults.registry('docker.io', outcome);
      try {
        const started = Date.now();
        const run = await check('--probe-image', image);
        assert.equal(run.code, 4, run.stderr);
        assert.ok(Date.now() - started < 10_000, `${Date.now() - started} ms`);
        const lines = run.stderr.split('\n').filter(Boolean);
        assert.equal(lines.length, 1, run.stderr);
        assert.match(lines[0]!, new RegExp(`^error: probe pod \\S+ cannot pull image ${image.replaceAll('.', '\\.')}: `));
        assert.match(lines[0]!, line);
        assert.deepEqual(await probePodsLeft(sim.kubeconfigPath), []);
        // The fix works: the same image from a mirror.
        const mirrored = await check('--probe-image', `mirror.example.com/library/${image}`);
        assert.equal(mirrored.code, 0, mirrored.stderr);
      } finally {
        sim.faults.clear();
      }
    });
  }

  it('a client-certificate kubeconfig (kubeadm admin.conf: CN kubernetes-admin, O system:masters) → exit 0, exec and all', async () => {
    const admin = await sim.addCertUser('kubernetes-admin', ['system:masters']);
    const run = await cli(['check', '--kubeconfig', admin.kubeconfigPath, '--timeout', '500ms', '--samples', '1', '-o', 'json']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(String(run.json?.mode), /probe-pod/);
    // A certificate for a user without rights is authenticated, then refused by RBAC (403, not 401).
    const nobody = await sim.addCertUser('nobody', ['developers']);
    const refused = await cli(['check', '--kubeconfig', nobody.kubeconfigPath, '--mode', 'probe-pod']);
    assert.equal(refused.code, 3, refused.stderr);
    assert.match(refused.stderr, /User "nobody" cannot/);
  });

  describe('nodes at capacity', () => {
    // Pods that take every node's cpu, as a full cluster has; bound to their nodes, so counted at once.
    const hogs = () => Promise.all([1, 2, 3].map((i) => kubectl(sim.kubeconfigPath, ['create', '--validate=false', '-f', '-'], JSON.stringify({
      apiVersion: 'v1', kind: 'Pod', metadata: { name: `hog-${i}`, namespace: 'default' },
      spec: { nodeName: `sim-node-${i}`, containers: [{ name: 'hog', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: '16' } } }] },
    }))));
    const freeThem = () => k('delete', 'pod', 'hog-1', 'hog-2', 'hog-3', '--wait=false');

    it('no room within --pod-timeout → exit 4, the scheduler\'s reason and the fix, no pod left', async () => {
      await hogs();
      try {
        const run = await check('--pod-timeout', '3s');
        assert.equal(run.code, 4, run.stderr);
        assert.match(run.stderr.trim(), /^error: probe pod \S+ found no room within 3000 ms: 0\/3 nodes are available: 3 Insufficient cpu\. \(free capacity, or raise --pod-timeout where a cluster autoscaler adds nodes\)$/);
        assert.deepEqual(await probePodsLeft(sim.kubeconfigPath), []);
      } finally {
        await freeThem();
      }
    });

    it('room made while it waits (as by an autoscaler\'s new node) → the probe pod is scheduled, exit 0', async () => {
      await hogs();
      const freed = new Promise((r) => setTimeout(r, 2000)).then(freeThem);
      const run = await check('--pod-timeout', '30s');
      await freed;
      assert.equal(run.code, 0, run.stderr);
    });
  });

  it('a Windows node and a cordoned node → --probe-nodes all leaves both out with notes, exit 0', async () => {
    const cordoned = sim.dnsPods()[1]!.node;
    await kubectl(sim.kubeconfigPath, ['create', '--validate=false', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'win-1', labels: { 'kubernetes.io/os': 'windows', 'kubernetes.io/hostname': 'win-1' } } }));
    await k('cordon', cordoned);
    try {
      const run = await check('--probe-nodes', 'all');
      assert.equal(run.code, 0, run.stderr);
      assert.ok(run.json?.notes.includes('--probe-nodes all: left out 1 node(s) not running Linux: win-1'), JSON.stringify(run.json?.notes));
      assert.ok(run.json?.notes.includes(`--probe-nodes all: left out 1 cordoned or not Ready node(s): ${cordoned}`), JSON.stringify(run.json?.notes));
      assert.equal(run.json?.probes?.length, 2);
    } finally {
      await k('uncordon', cordoned);
      await k('delete', 'node', 'win-1');
    }
  });
});

describe('real clusters: the enterprise preset (every hostile part at once)', function () {
  this.timeout(120_000);
  let sim: Sim;
  const k = (...args: string[]) => kubectl(sim.kubeconfigPath, args);
  type Event = { reason: string; message: string; involvedObject: { name: string } };
  const events = async (namespace = 'default') => (JSON.parse(await k('get', 'events', '-n', namespace, '-o', 'json')) as { items: Event[] }).items;
  const linuxNodes = async () => (await k('get', 'nodes', '-l', 'kubernetes.io/os=linux', '-o', 'jsonpath={.items[*].metadata.name}')).split(' ').filter(Boolean);
  const fallback = `ghcr.io/coredns-sentinel/probe:${PROBE_VERSION}`;

  before(async function () {
    simOnly(this);
    this.timeout(60_000);
    buildCli();
    // The autoscaler's delay well above the 1 s --pod-timeout below, well below the default 60 s; room
    // for the three nodes the cases below make it add.
    sim = await startSim({ preset: 'enterprise', autoscaler: { delayMs: 2500, max: 6 } });
    await sim.waitReady(30_000);
  });
  after(async () => sim?.stop());

  it('check with only the kubeconfig → exit 0: nodes full (a node added for the probe pod), Docker Hub rate-limited (the dedicated image instead), where an ordinary pod is refused', async () => {
    // Pod Security restricted, Istio injection, a LimitRange and a quota in the probe namespace.
    const refused = await kubectl(sim.kubeconfigPath, ['run', 'plain', '--image=node:22-alpine', '--restart=Never', '--', 'sleep', '1']).then(() => '', (err: Error) => err.message);
    assert.match(refused, /is forbidden: /);
    assert.deepEqual(await linuxNodes(), ['sim-node-1', 'sim-node-2', 'sim-node-3']);
    const run = await cli(['check', '--kubeconfig', sim.kubeconfigPath, '-o', 'json']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.json?.classification, 'healthy');
    assert.ok(run.json?.notes.some((n) => n.startsWith(`the default probe image node:22-alpine could not be pulled (the registry rate-limits pulls`) && n.includes(`probed with ${fallback} instead`)), JSON.stringify(run.json?.notes));
    assert.deepEqual(await probePodsLeft(sim.kubeconfigPath), []);
    // What the cluster did meanwhile, as its Events tell: the autoscaler's node, the kubelet's pulls.
    assert.deepEqual(await linuxNodes(), ['sim-node-1', 'sim-node-2', 'sim-node-3', 'sim-node-4']);
    const told = (await events()).map((e) => `${e.reason}: ${e.message}`);
    assert.ok(told.includes('TriggeredScaleUp: pod triggered scale-up: [{sim-node-group 3->4 (max: 6)}]'), told.join('\n'));
    assert.ok(told.some((m) => m.startsWith('Failed: Failed to pull image "node:22-alpine": ') && m.includes('toomanyrequests')), told.join('\n'));
    assert.ok(told.some((m) => new RegExp(`^Pulled: Successfully pulled image "${fallback.replaceAll('.', '\\.')}" in \\d+ms \\(\\d+ms including waiting\\)\\. Image size: \\d+ bytes\\.$`).test(m)), told.join('\n'));
  });

  it('the fallback\'s registry unreachable too → exit 4, one line naming both images and causes, no pod left', async () => {
    // Full nodes again, so the probe pod gets a new node, which holds neither image.
    sim.faults.nodesAtCapacity();
    sim.faults.registry('ghcr.io', 'unreachable');
    try {
      const run = await cli(['check', '--kubeconfig', sim.kubeconfigPath]);
      assert.equal(run.code, 4, run.stderr);
      const lines = run.stderr.split('\n').filter(Boolean);
      assert.equal(lines.length, 1, run.stderr);
      assert.match(lines[0]!, new RegExp(`^error: probe pod \\S+ cannot pull image node:22-alpine: the registry rate-limits pulls .*toomanyrequests.*; the fallback failed too: probe pod \\S+ cannot pull image ${fallback.replaceAll('.', '\\.')}: the registry is unreachable from the node .*no such host.*\\(mirror the image to a registry the nodes reach and pass --probe-image <mirror>/<image>\\)$`));
      assert.deepEqual(await probePodsLeft(sim.kubeconfigPath), []);
    } finally {
      sim.faults.clear();
      sim.faults.registry('docker.io', 'rate-limited');
    }
  });

  it('doctor with only the kubeconfig → its probe image fact names the image that ran (the fallback) and why', async () => {
    const r = await cli(['doctor', '--kubeconfig', sim.kubeconfigPath, '-o', 'json']);
    const facts = (JSON.parse(r.stdout) as { facts: { probeImage: { ok: boolean; line: string } } }).facts;
    assert.equal(facts.probeImage.ok, true, r.stdout);
    assert.match(facts.probeImage.line, new RegExp(`^${fallback.replaceAll('.', '\\.')}: a probe pod ran in namespace default \\([\\d.]+ s\\); the default probe image node:22-alpine could not be pulled \\(the registry rate-limits pulls`));
  });

  it('no room within --pod-timeout while a node is being added → exit 4 quoting the autoscaler\'s TriggeredScaleUp; at the group\'s max, its NotTriggerScaleUp', async () => {
    sim.faults.nodesAtCapacity();
    const early = await cli(['check', '--kubeconfig', sim.kubeconfigPath, '--pod-timeout', '1s']);
    assert.equal(early.code, 4, early.stderr);
    assert.match(early.stderr.trim(), /^error: probe pod \S+ found no room within 1000 ms: 0\/6 nodes are available: .*Insufficient cpu.*[^.]; cluster autoscaler: TriggeredScaleUp: pod triggered scale-up: \[\{sim-node-group 5->6 \(max: 6\)\}\] \(a node is being added: raise --pod-timeout\)$/);
    await waitFor('the node the autoscaler added', async () => (await linuxNodes()).length === 6);
    sim.faults.nodesAtCapacity();
    const full = await cli(['check', '--kubeconfig', sim.kubeconfigPath, '--pod-timeout', '2s']);
    assert.equal(full.code, 4, full.stderr);
    assert.match(full.stderr.trim(), /; cluster autoscaler: NotTriggerScaleUp: pod didn't trigger scale-up: 1 max node group size reached \(free capacity, or raise --pod-timeout where a cluster autoscaler adds nodes\)$/);
    assert.deepEqual(await probePodsLeft(sim.kubeconfigPath), []);
  });

  it('--probe-nodes all, room made → the Windows node left out, the tainted control plane tolerated, the dedicated image on every node, exit 0', async () => {
    // Pods pinned to full nodes wait in vain (no new node would be the one they are pinned to): free them.
    await k('delete', 'pods', '-n', 'workloads', '--all', '--grace-period=0', '--force');
    const run = await cli(['check', '--kubeconfig', sim.kubeconfigPath, '--probe-nodes', 'all', '-o', 'json']);
    assert.equal(run.code, 0, `${run.stderr}${run.json?.reason ?? ''} ${JSON.stringify(run.json?.notes)}`);
    assert.ok(run.json?.notes.includes('--probe-nodes all: left out 1 node(s) not running Linux: win-node-1'), JSON.stringify(run.json?.notes));
    assert.ok(run.json?.notes.includes('probe pods tolerate the taints of the nodes they are pinned to: sim-node-1 (node-role.kubernetes.io/control-plane:NoSchedule)'), JSON.stringify(run.json?.notes));
    assert.equal(run.json?.probes?.length, 6);
    // Each pod fell back on its own node (one extra pod each, none left); the report says it once.
    assert.equal(run.json?.notes.filter((n) => n.includes(`probed with ${fallback} instead`)).length, 1, JSON.stringify(run.json?.notes));
    assert.deepEqual(await probePodsLeft(sim.kubeconfigPath), []);
  });
});

describe('real clusters: EKS node names (ip-….ec2.internal, labelled with the short hostname)', function () {
  this.timeout(120_000);
  let sim: Sim;

  before(async function () {
    simOnly(this);
    this.timeout(60_000);
    buildCli();
    sim = await startSim({ preset: 'eks' });
    await sim.waitReady(30_000);
  });
  after(async () => sim?.stop());

  it('probe pods pinned to DNS pod nodes by metadata.name schedule (a hostname nodeSelector with the name does not), exit 0', async () => {
    const node = sim.dnsPods()[0]!.node;
    assert.match(node, /^ip-127-\d+-\d+-\d+\.ec2\.internal$/);
    // What a hostname nodeSelector would do: Pending, no node matches.
    await kubectl(sim.kubeconfigPath, ['run', 'by-hostname', '--image=node:22-alpine', '--restart=Never', '--overrides', JSON.stringify({ spec: { nodeSelector: { 'kubernetes.io/hostname': node } } }), '--', 'sleep', '1']);
    const reason = await waitFor('the scheduler\'s verdict', async () => (await kubectl(sim.kubeconfigPath, ['get', 'pod', 'by-hostname', '-o', 'jsonpath={.status.conditions[0].message}'])) || undefined);
    assert.match(reason, /didn't match Pod's node affinity\/selector/);
    const run = await cli(['check', '--kubeconfig', sim.kubeconfigPath, '--probe-nodes', '2', '--timeout', '500ms', '--samples', '1', '-o', 'json']);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(run.json?.probes?.map((p) => p.node).sort(), [...new Set(sim.dnsPods().map((p) => p.node))].sort());
  });
});
