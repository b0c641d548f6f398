// End to end: the built CLI (dist/cli.js) against the simulated cluster — or a real cluster with
// SENTINEL_E2E_KUBECONFIG (test/e2e/cluster.ts; tests that inject faults skip there). One cluster per
// describe, faults cleared between tests, and after every test no probe pod may be left behind.
//
// Exit codes asserted (src/common/exit-codes.ts): 0 healthy, 1 unhealthy, 2 usage (no kubeconfig, bad
// context, bad config file), 3 cluster (API 5xx, RBAC), 4 probe pod (image pull), 130 interrupted.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSim, type Sim } from '../sim/index.ts';
import { runcProblem } from '../sim/runc.ts';
import { needsSim, simOnly, startCluster, type E2ECluster } from './cluster.ts';
import { buildCli, cli, finish, probePodsLeft, startCli, type Run } from './cli.ts';
import { connect } from '../../src/kube/index.ts';


const failing = (run: Run) => (run.json?.targets ?? []).filter((t) => t.verdict === 'fail');

before(function () {
  this.timeout(60_000);
  buildCli();
});

describe('check e2e: 3 CoreDNS replicas', function () {
  this.timeout(60_000);
  let cluster: E2ECluster;
  let base: string[];

  before(async () => {
    cluster = await startCluster({ dns: { replicas: 3 } });
    // Short per-query timeout keeps fault tests fast; 2 samples are enough to see a fault.
    base = ['check', '--kubeconfig', cluster.kubeconfigPath, '-o', 'json', '--timeout', '500ms', '--samples', '2'];
  });

  after(async () => {
    await cluster?.stop();
  });

  afterEach(async () => {
    cluster.sim?.faults.clear();
    assert.deepEqual(await cluster.probePodsLeft(), [], 'a probe pod was left behind');
  });

  // The base cycle: 5 discovery reads (kube-system's Services, which hold the DNS Service — openshift-dns
  // is listed only when they do not —, its pods, slices and ConfigMap, the kubernetes Service), the controller (repair's floor counts missing
  // replicas), the probe pod's create, watch (which also lists the stale probe pods to sweep), exec and
  // delete, and the probe namespace's get (an OpenShift SCC's UID range). Auto mode adds 2 access
  // reviews, the freshness canary 3 (sweep, create, delete).
  it('healthy cluster → exit 0, every target passes, ≤ 11 API requests for the base cycle, ≤ 16 with auto mode and freshness', async () => {
    const first = cluster.sim?.requests.length ?? 0;
    const all = await cli(base);
    assert.equal(all.code, 0, all.stderr);
    const seen = cluster.sim?.requests.slice(first).map((r) => `${r.verb} ${r.resource}${r.namespace ? ` in ${r.namespace}` : ""}`).join(', ') ?? '';
    assert.ok((all.json?.requests ?? 99) <= 16, `the CLI counted ${all.json?.requests} requests: ${seen}`);
    const before = cluster.sim?.requests.length ?? 0;
    const run = await cli([...base, '--mode', 'probe-pod', '--no-freshness']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.json?.verdict, 'healthy');
    if (cluster.sim) assert.equal(run.json?.targets?.length, 4);
    assert.ok(run.json?.targets?.every((t) => t.udp === 'pass' && t.tcp === 'pass'));
    assert.ok((run.json?.requests ?? 99) <= 11, `the CLI counted ${run.json?.requests} requests`);
    if (cluster.sim) {
      const requests = cluster.sim.requests.slice(before);
      assert.ok(requests.length <= 11, `${requests.length} requests: ${requests.map((r) => `${r.verb} ${r.resource}`).join(', ')}`);
    }
  });

  it('prints a table with a verdict line by default', async () => {
    const run = await cli(base.filter((a) => a !== '-o' && a !== 'json'));
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^TARGET\s+NODE\s+IP\s+UDP\s+TCP/m);
    assert.match(run.stdout, /service kube-dns/);
    assert.match(run.stdout, /DNS healthy: \d+ targets passed every check/);
  });

  const faultCases: [string, (s: Sim, pod: string) => void, RegExp, ('udp' | 'tcp')[]][] = [
    ['hung DNS process (SIGSTOP)', (s, pod) => s.faults.hangDns(pod), /timeout/, ['udp', 'tcp']],
    ['UDP dropped, TCP fine', (s, pod) => s.faults.dropUdp(pod), /timeout/, ['udp']],
    ['wrong record', (s, pod) => s.faults.wrongRecord(pod, 'kubernetes.default.svc.cluster.local', '10.9.9.9'), /10\.9\.9\.9/, ['udp', 'tcp']],
  ];
  for (const [name, inject, reason, transports] of faultCases) {
    it(`${name} on one pod → exit 1, that pod flagged with the reason`, async function () {
      const sim = needsSim(this, cluster);
      const victim = sim.dnsPods()[1]!.name;
      inject(sim, victim);
      const run = await cli(base);
      assert.equal(run.code, 1, run.stderr);
      const pods = failing(run).filter((t) => t.kind === 'pod');
      assert.deepEqual(pods.map((t) => t.label), [victim]);
      const target = pods[0]!;
      assert.ok(target.failing.some((f) => reason.test(f.reason)), JSON.stringify(target.failing));
      for (const t of transports) assert.equal(target[t], 'fail');
      if (!transports.includes('tcp')) assert.equal(target.tcp, 'pass');
    });
  }

  // The images as built: the dedicated one's entrypoint is the probe itself, and distroless keeps node
  // at /nodejs/bin/node, off PATH, with no sleep. Where `make images` built them and this is root, the
  // sim runs them under runc (test/sim/runc.ts), with the probe pod's memory limit as a cgroup;
  // elsewhere as host processes laid out like the images (test/sim/images.ts).
  it('the dedicated probe image, node:22 and a distroless --probe-image: healthy → exit 0; a hung pod → exit 1, that pod flagged', async function () {
    const sim = needsSim(this, cluster);
    const images = ['ghcr.io/coredns-sentinel/probe:0.1.0', 'node:22-bookworm-slim', 'gcr.io/distroless/nodejs22-debian12:nonroot'];
    const checkWith = async (image: string) => [image, await cli([...base, '--probe-image', image])] as const;
    for (const image of images) {
      const [, run] = await checkWith(image);
      assert.equal(run.code, 0, `${image}: ${run.stderr} ${JSON.stringify(failing(run))}`);
    }
    if (!runcProblem()) assert.deepEqual(images.filter((image) => !sim.runcContainers.some((c) => c.image === image)), [], 'ran as host processes, not under runc');
    const victim = sim.dnsPods()[1]!.name;
    sim.faults.hangDns(victim);
    for (const image of images) {
      const [, run] = await checkWith(image);
      assert.equal(run.code, 1, `${image}: ${run.stderr}`);
      assert.deepEqual(failing(run).filter((t) => t.kind === 'pod').map((t) => t.label), [victim], image);
    }
  });

  it('a probe killed by its memory cgroup → exit 4, "ran out of its 64 Mi memory limit"', async function () {
    const problem = runcProblem();
    if (problem) return this.skip(); // only runc enforces memory limits (CI runs as root with make images)
    // No valid plan outgrows 64 Mi (bench:probe): the sim lowers the cgroup limit under the pod's.
    needsSim(this, cluster).faults.memoryLimit('ghcr.io/coredns-sentinel/probe', '12Mi');
    const run = await cli([...base, '--probe-image', 'ghcr.io/coredns-sentinel/probe:0.1.0']);
    assert.equal(run.code, 4, run.stderr);
    assert.match(run.stderr, /ran out of its 64 Mi memory limit \(OOM-killed\)/);
    assert.doesNotMatch(run.stderr, /exited with code 137/);
  });

  it('upstream down → exit 1, only the external check fails', async function () {
    needsSim(this, cluster).faults.upstreamDown();
    // One sample at the default 2 s timeout: the external name must time out, in-cluster names must still answer.
    const run = await cli([...base, '--timeout', '2s', '--samples', '1']);
    assert.equal(run.code, 1, run.stderr);
    const checks = failing(run).flatMap((t) => t.failing);
    assert.ok(checks.length > 0);
    assert.ok(checks.every((f) => f.external && f.queryId === 'external'), JSON.stringify(checks));
  });

  it('--no-external skips the external name (upstream down → healthy)', async function () {
    cluster.sim?.faults.upstreamDown();
    const run = await cli([...base, '--no-external']);
    assert.equal(run.code, 0, run.stderr);
    assert.ok(run.json?.plan?.queries.every((q) => q.id !== 'external'));
  });

  it('config file checks are probed; a bad config file → exit 2 naming the file', async () => {
    const good = join(cluster.dir, 'sentinel-good.yaml');
    writeFileSync(good, 'apiVersion: coredns-sentinel/config/v1\nchecks:\n  - "kube-dns.kube-system.svc.cluster.local A"\n  - "nothing.kube-system.svc.cluster.local A NXDOMAIN"\n');
    const run = await cli([...base, '--config', good]);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(run.json?.plan?.queries.filter((q) => q.id.startsWith('custom')).map((q) => q.name), ['kube-dns.kube-system.svc.cluster.local', 'nothing.kube-system.svc.cluster.local']);
    const bad = join(cluster.dir, 'sentinel-bad.yaml');
    writeFileSync(bad, 'apiVersion: coredns-sentinel/config/v1\nchecks: [{name: x.example}, 42]\n');
    const rejected = await cli([...base, '--config', bad]);
    assert.equal(rejected.code, 2);
    assert.match(rejected.stderr, /^error: .*sentinel-bad\.yaml: checks\[1\] must be/m);
  });

  it('plans of 50, 100 and 150 KiB run from the pod (stock node images with and without sleep) with a small exec request; 300 KiB → exit 2 before anything is created', async function () {
    const sim = needsSim(this, cluster);
    const { client } = connect({ kubeconfig: cluster.kubeconfigPath });
    const ip = (await client.getService('default', 'kubernetes')).clusterIPs[0]!;
    // Checks that pass, each with 256 expected answers (the kubernetes Service IP again and again): at
    // least `kib` KiB of the plan's queries.
    const perCheck = Buffer.byteLength(JSON.stringify({ id: 'custom-000', name: 'kubernetes.default.svc.cluster.local', type: 'A', expect: { include: Array(256).fill(ip) } }));
    const checks = (kib: number) => Math.ceil((kib * 1024) / perCheck);
    const config = (kib: number) => {
      const check = `  - {name: kubernetes.default.svc.cluster.local, type: A, include: [${Array(256).fill(ip).join(', ')}]}\n`;
      const file = join(cluster.dir, `plan-${kib}.yaml`);
      writeFileSync(file, `apiVersion: coredns-sentinel/config/v1\nchecks:\n${check.repeat(checks(kib))}`);
      return file;
    };
    const small = ['check', '--kubeconfig', cluster.kubeconfigPath, '-o', 'json', '--mode', 'probe-pod', '--no-freshness', '--samples', '1', '--transports', 'udp'];
    const cases: [number, string][] = [
      [50, 'node:22-alpine'],
      [100, 'node:22-alpine'],
      [150, 'node:22-alpine'],
      // A node image without sleep (it idles with a second node).
      [150, 'cgr.dev/chainguard/node:latest'],
    ];
    const from = sim.requests.length;
    const runs = await Promise.all(cases.map(([kib, image]) => cli([...small, '--config', config(kib), '--probe-image', image])));
    runs.forEach((run, i) => {
      const [kib, image] = cases[i]!;
      assert.equal(run.code, 0, `${kib} KiB, ${image}: ${run.stderr}`);
      assert.equal(run.json?.plan?.queries.filter((q) => q.id.startsWith('custom')).length, checks(kib), `${kib} KiB, ${image}: every check in the plan`);
    });
    const execs = sim.requests.slice(from).filter((r) => r.resource === 'pods/exec');
    assert.equal(execs.length, cases.length);
    for (const e of execs) assert.ok(e.path.length < 1024, `an exec request line of ${e.path.length} bytes: ${e.path.slice(0, 200)}…`);

    const before = sim.requests.length;
    const big = await cli([...small, '--config', config(300)]);
    assert.equal(big.code, 2, big.stderr);
    assert.match(big.stderr, /^error: the check plan cannot run: the plan is 30\d KiB, more than the 252 KiB a probe pod can carry \(Kubernetes allows a pod 256 KiB of annotations\) — /);
    assert.deepEqual(sim.requests.slice(before).filter((r) => r.verb === 'create'), [], 'nothing created');
  });

  it('unpullable probe image → exit 4 with ImagePullBackOff, pod deleted', async () => {
    // An image no registry has: the same on a real cluster and in the sim.
    const run = await cli([...base, '--pod-timeout', '60s', '--probe-image', 'registry.invalid/coredns-sentinel/probe:does-not-exist']);
    assert.equal(run.code, 4, run.stderr);
    assert.match(run.stderr, /ImagePullBackOff|ErrImagePull/);
    // The image, the cause and the fix, in one line.
    assert.match(run.json?.message ?? '', /cannot pull image registry\.invalid\/coredns-sentinel\/probe:does-not-exist: the registry refused the pull .* \(pass --image-pull-secret /);
  });

  it("CNI down on every node → exit 4 after --pod-timeout, the kubelet's FailedCreatePodSandBox quoted (not the image)", async function () {
    const sim = needsSim(this, cluster);
    for (const node of ['sim-node-1', 'sim-node-2', 'sim-node-3']) sim.faults.cniFail(node);
    const run = await cli([...base, '--pod-timeout', '4s', '--no-freshness']);
    assert.equal(run.code, 4, run.stderr);
    assert.match(run.stderr, /not Running after 4000 ms .*the node's pod network cannot set the pod up on node sim-node-\d \(FailedCreatePodSandBox: Failed to create pod sandbox: .*\): fix the CNI there/);
    assert.doesNotMatch(run.stderr, /slow to pull the image/);
  });

  it('exec forbidden for a restricted user → exit 3 naming pods/exec', async function () {
    // The sim's token users stand in for a restricted identity.
    const user = needsSim(this, cluster).addUser('no-exec', [
      { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch', 'create', 'delete'] },
      { apiGroups: [''], resources: ['services', 'configmaps'], verbs: ['get'] },
      { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list'] },
    ]);
    // Explicitly the probe-pod mode: auto would pick another mode this user may run (test/e2e/modes.test.ts).
    const run = await cli(['check', '--kubeconfig', user.kubeconfigPath, '-o', 'json', '--timeout', '500ms', '--samples', '1', '--mode', 'probe-pod']);
    assert.equal(run.code, 3, run.stderr);
    assert.match(run.stderr, /pods\/exec/);
    assert.match(run.stderr, /missing RBAC: grant get and create on pods\/exec in namespace default/);
  });

  it('API 5xx on listing pods → exit 3 after bounded retries', async function () {
    needsSim(this, cluster).faults.api({ verb: 'list', resource: 'pods', namespace: 'kube-system', status: 503 });
    const run = await cli(base);
    assert.equal(run.code, 3, run.stderr);
    assert.match(run.stderr, /^error: .*API server failed/m);
  });

  it('bad --context → exit 2 naming the contexts; missing kubeconfig → exit 2', async () => {
    const run = await cli([...base, '--context', 'nope']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /context "nope" not found in the kubeconfig/);
    const env = { ...process.env, KUBECONFIG: '', HOME: cluster.dir, KUBERNETES_SERVICE_HOST: '' };
    const none = await cli(['check', '-o', 'json'], env);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no kubeconfig found/);
  });

  it('SIGINT during exec → exit 130 and the probe pod is deleted', async function () {
    const sim = needsSim(this, cluster); // hangs DNS to hold the exec open
    for (const pod of sim.dnsPods()) sim.faults.hangDns(pod.name);
    const before = sim.requests.length;
    const child = startCli([...base, '--timeout', '2s', '--samples', '3']);
    const done = finish(child);
    // Bounded wait for the exec to start (the API records the upgrade).
    for (let i = 0; i < 200 && !sim.requests.slice(before).some((r) => r.resource === 'pods/exec'); i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(sim.requests.slice(before).some((r) => r.resource === 'pods/exec'), 'exec never started');
    child.kill('SIGINT');
    const run = await done;
    assert.equal(run.code, 130, run.stderr);
  });
});

describe('check e2e: other shapes of the DNS workload', function () {
  this.timeout(60_000);
  before(function () {
    simOnly(this);
  });

  async function withSim(options: Parameters<typeof startSim>[0], body: (sim: Sim) => Promise<void>) {
    const sim = await startSim(options);
    try {
      await sim.waitReady(30_000);
      await body(sim);
      assert.deepEqual(await probePodsLeft(sim.kubeconfigPath), []);
    } finally {
      await sim.stop();
    }
  }

  it('1 replica, broken → exit 1, the pod and the Service flagged', () =>
    withSim({ dns: { replicas: 1 } }, async (sim) => {
      sim.faults.hangDns(sim.dnsPods()[0]!.name);
      const run = await cli(['check', '--kubeconfig', sim.kubeconfigPath, '-o', 'json', '--timeout', '300ms', '--samples', '1']);
      assert.equal(run.code, 1, run.stderr);
      assert.deepEqual(failing(run).map((t) => t.kind).sort(), ['pod', 'service']);
    }));

  it('DNS on port 100 in namespace dns-system, 2 replicas, one broken → exit 1, that pod flagged', () =>
    withSim({ dns: { replicas: 2, namespace: 'dns-system', port: 100 } }, async (sim) => {
      const victim = sim.dnsPods()[0]!.name;
      sim.faults.dropUdp(victim);
      const run = await cli(['check', '--kubeconfig', sim.kubeconfigPath, '-n', 'dns-system', '-o', 'json', '--timeout', '300ms', '--samples', '1']);
      assert.equal(run.code, 1, run.stderr);
      assert.equal(run.json?.workload?.service.port, 100);
      assert.deepEqual(failing(run).filter((t) => t.kind === 'pod').map((t) => t.label), [victim]);
    }));
});
