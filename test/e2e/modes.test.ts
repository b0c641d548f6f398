// Every deployment mode end to end through the built CLI: healthy and a hung pod per mode, repair in a
// pod-less mode, auto's choice for users bound to the shipped manifests (full, no pods create, no exec,
// read-only with and without routable pods), and in-cluster "as if in a pod" (ServiceAccount token,
// in-cluster env). Pods are made unroutable by running the CLI outside the pod network
// (test/sim/incluster.ts), which needs root.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { isolationProblem, outsidePodNetwork, podEnvironment, serviceAccountRules, type OutsideNetwork } from '../sim/incluster.ts';
import { kubectl, waitFor } from '../sim/sim-fixtures.ts';
import type { Sim, SimUser } from '../sim/types.ts';
import { simOnly, startCluster, type E2ECluster } from './cluster.ts';
import { buildCli, cli as runCli, CLI, finish, type Run } from './cli.ts';
import { expectValidOutput } from '../schema/validate.ts';

before(function () {
  this.timeout(60_000);
  buildCli();
});

/** The shipped manifest with its placeholder namespaces set to `ns`, created in the sim with kubectl. */
async function applyManifest(sim: Sim, file: string, ns: string): Promise<void> {
  const text = readFileSync(file, 'utf8').replace(/NAMESPACE_OF_\w+/g, ns);
  await kubectl(sim.kubeconfigPath, ['create', '--validate=false', '-f', '-'], text);
}

/** A sim user with exactly the rules the manifests bind to `account` (minus those `drop` matches). */
async function boundUser(sim: Sim, account: string, drop: (resource: string) => boolean = () => false): Promise<SimUser> {
  const rules = (await serviceAccountRules(sim, 'default', account)).map((r) => ({ ...r, resources: r.resources.filter((x) => !drop(x)) })).filter((r) => r.resources.length);
  return sim.addUser(`${account}${drop('pods/exec') ? '-no-exec' : ''}`, rules);
}

const base = (kubeconfig: string) => ['check', '--kubeconfig', kubeconfig, '--samples', '2', '--timeout', '800ms', '-o', 'json'];

/** Runs the CLI with `wrap` (a namespace prefix) around it. */
async function wrapped(wrap: (argv: string[]) => string[], args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  const [cmd, ...rest] = wrap([process.execPath, CLI, ...args]);
  return validated(await finish(spawn(cmd!, rest, { env, stdio: ['ignore', 'pipe', 'pipe'] })), args);
}

/** Every check's -o json output is validated against schema/ (doctor prints its own kind). */
function validated(r: Run, args: string[]): Run {
  if (args[0] === 'check' && r.json) expectValidOutput(r.json);
  return r;
}

const cli = async (args: string[]): Promise<Run> => validated(await runCli(args), args);

const verdicts = (r: Run) => Object.fromEntries((r.json?.targets ?? []).map((t) => [t.label, `${t.udp}/${t.tcp}`]));

describe('e2e: deployment modes', function () {
  this.timeout(90_000);
  let cluster: E2ECluster;
  let sim: Sim;

  before(async function () {
    simOnly(this);
    cluster = await startCluster();
    sim = cluster.sim!;
    for (const m of ['manifests/rbac-check.yaml', 'manifests/rbac-repair.yaml', 'manifests/rbac-portforward.yaml', 'manifests/rbac-direct.yaml']) await applyManifest(sim, m, 'default');
  });

  after(async () => {
    if (cluster) assert.deepEqual(await cluster.probePodsLeft(), []);
    await cluster?.stop();
  });

  afterEach(async () => {
    sim?.faults.clear();
    await sim?.waitReady(30_000);
  });

  for (const mode of ['probe-pod', 'port-forward', 'direct'] as const)
    it(`--mode ${mode}: healthy, the report names the mode`, async () => {
      const before = sim.requests.length;
      const r = await cli([...base(cluster.kubeconfigPath), '--mode', mode]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.json?.mode, mode);
      const pods = sim.dnsPods();
      assert.equal(r.json?.targets?.filter((t) => t.kind === 'pod').length, pods.length);
      if (mode === 'port-forward') {
        assert.ok(r.json?.targets?.every((t) => t.kind === 'pod' && t.udp === 'n/a' && t.tcp === 'pass'));
        assert.match(r.json!.notes.join('\n'), /UDP not checked/);
        assert.match(r.json!.notes.join('\n'), /the Service IP \S+ cannot be checked/);
      } else assert.ok(r.json?.targets?.some((t) => t.kind === 'service'));
      const created = sim.requests.slice(before).filter((q) => q.verb === 'create' && q.resource === 'pods').length;
      const tunnels = sim.requests.slice(before).filter((q) => q.resource === 'pods/portforward' && q.code === 101).length;
      assert.deepEqual({ created, tunnels }, { created: mode === 'probe-pod' ? 1 : 0, tunnels: mode === 'port-forward' ? pods.length : 0 });
    });

  for (const mode of ['port-forward', 'direct'] as const)
    it(`--mode ${mode}: a hung pod is flagged${mode === 'port-forward' ? ' over TCP' : ''}`, async () => {
      const [sick, ...healthy] = sim.dnsPods();
      sim.faults.hangDns(sick!.name);
      const r = await cli([...base(cluster.kubeconfigPath), '--mode', mode]);
      assert.equal(r.code, 1, r.stderr);
      assert.equal(r.json?.classification, 'pod-local');
      const v = verdicts(r);
      assert.equal(v[sick!.name], mode === 'port-forward' ? 'n/a/fail' : 'fail/fail');
      for (const p of healthy) assert.equal(v[p.name], mode === 'port-forward' ? 'n/a/pass' : 'pass/pass');
    });

  for (const mode of ['port-forward', 'direct'] as const)
  it(`--mode ${mode} --repair: the hung pod is evicted and its replacement verified, no pod created by the tool`, async () => {
    const [sick] = sim.dnsPods();
    sim.faults.hangDns(sick!.name);
    const before = sim.requests.length;
    // Each mode's test may pick the replacement of the previous one's pod: no lineage cooldown between them.
    const r = await cli([...base(cluster.kubeconfigPath), '--mode', mode, '--repair', '--cooldown', '1s']);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.equal(r.json?.repair?.actions[0]?.pod, sick!.name);
    assert.equal(r.json?.repair?.actions[0]?.outcome, 'done');
    const writes = sim.requests.slice(before).filter((q) => q.verb === 'create' && q.resource === 'pods');
    assert.deepEqual(writes, []);
    await waitFor('the evicted pod to be gone', () => !sim.dnsPods().some((p) => p.name === sick!.name), 30_000, 200);
  });

  it('bad --mode and --dns-address: exit 2 with one line, no request at all', async () => {
    for (const [flags, message] of [
      [['--mode', 'bogus'], /^error: --mode must be one of auto, probe-pod, port-forward, direct, in-cluster, got "bogus"$/],
      [['--dns-address', 'dns.example.com:53'], /^error: --dns-address needs an IP address/],
      [['--dns-address', '10.0.0.1'], /^error: --dns-address must be IP:PORT/],
      [['--mode', 'port-forward', '--dns-address', '10.0.0.1:53'], /^error: --dns-address applies to --mode direct, in-cluster or auto, not port-forward$/],
    ] as const) {
      const before = sim.requests.length;
      const r = await cli(['check', '--kubeconfig', cluster.kubeconfigPath, ...flags]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr.trim(), message);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.equal(sim.requests.length, before);
    }
  });

  describe('auto, for users bound to the shipped manifests', () => {
    let outside: OutsideNetwork | undefined;
    const problem = isolationProblem();

    before(async () => {
      if (!problem) outside = await outsidePodNetwork(sim);
    });
    after(async () => outside?.close());

    const auto = async (user: SimUser, unroutable: boolean) => {
      if (!unroutable) return cli([...base(user.kubeconfigPath), '--mode', 'auto']);
      return wrapped(outside!.wrap, [...base(user.kubeconfigPath), '--mode', 'auto']);
    };

    const cases: [string, string, ((r: string) => boolean) | undefined, boolean, string | RegExp][] = [
      ['full (rbac-check.yaml)', 'coredns-sentinel-check', undefined, false, 'probe-pod'],
      ['no pods create (rbac-portforward.yaml), pods unroutable', 'coredns-sentinel-portforward', undefined, true, 'port-forward'],
      ['no exec (rbac-check.yaml without pods/exec), pods routable', 'coredns-sentinel-check', (x) => x === 'pods/exec', false, 'direct'],
      ['read-only (rbac-direct.yaml), routable pods', 'coredns-sentinel-direct', undefined, false, 'direct'],
      ['read-only (rbac-direct.yaml), no routable pods', 'coredns-sentinel-direct', undefined, true, /no mode can run here: .* — bind manifests\/rbac-portforward\.yaml/],
    ];
    for (const [name, account, drop, unroutable, expected] of cases)
      it(`${name} → ${String(expected)}`, async function () {
        if (unroutable && problem) this.skip();
        const user = await boundUser(sim, account, drop);
        const from = sim.requests.length;
        const r = await auto(user, unroutable);
        if (typeof expected === 'string') {
          // The shipped manifest grants every read the chosen mode makes: nothing degrades silently.
          // Only the freshness canary may be refused (the read-only manifests do not grant it), and then the report says so.
          const canaryRefused = r.json?.notes.some((n) => /^freshness not checked: /.test(n)) ?? false;
          const refused = sim.requests.slice(from).filter((q) => q.user === user.name && q.code === 403 && !(canaryRefused && q.verb === 'list' && q.resource === 'services' && q.namespace === 'default'));
          assert.deepEqual(refused.map((q) => `${q.verb} ${q.resource} ${q.namespace ?? ''}`), [], 'requests refused to a user bound to the shipped manifest');
          assert.equal(r.json?.mode, expected, r.stderr);
          assert.match(r.json!.notes[0]!, new RegExp(`^mode: ${expected} \\(auto: `));
          assert.equal(r.code, 0, r.stderr);
        } else {
          assert.equal(r.code, 3, r.stdout + r.stderr);
          assert.match(r.stderr, expected);
          assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
        }
      });
  });

  describe('doctor, for the same users', () => {
    let outside: OutsideNetwork | undefined;
    const problem = isolationProblem();
    before(async () => {
      if (!problem) outside = await outsidePodNetwork(sim);
    });
    after(async () => outside?.close());

    type Doctor = { exitCode: number; auto: { mode?: string }; modes: { mode: string; canRun: boolean; missing: string[]; manifest: string }[]; firstFix?: string; facts: { api: { version?: string }; probeImage: { ok: boolean } } };
    const doctor = async (user: SimUser, unroutable: boolean) => {
      const args = ['doctor', '--kubeconfig', user.kubeconfigPath, '-o', 'json'];
      const r = unroutable ? await wrapped(outside!.wrap, args) : await cli(args);
      return { r, d: JSON.parse(r.stdout) as Doctor };
    };
    const row = (d: Doctor, mode: string) => d.modes.find((m) => m.mode === mode)!;

    it('full: every mode but in-cluster can run, the probe image ran, auto picks probe-pod, exit 0', async () => {
      const { r, d } = await doctor(await boundUser(sim, 'coredns-sentinel-check'), false);
      assert.equal(r.code, 0, r.stderr);
      assert.match(d.facts.api.version ?? '', /^v1\./);
      assert.equal(d.facts.probeImage.ok, true);
      assert.deepEqual(d.modes.filter((m) => m.canRun).map((m) => m.mode), ['probe-pod', 'direct']);
      assert.deepEqual(row(d, 'port-forward').missing, ['RBAC: get pods/portforward in namespace kube-system', 'RBAC: create pods/portforward in namespace kube-system']);
      assert.equal(row(d, 'port-forward').manifest, 'manifests/rbac-portforward.yaml');
      assert.equal(d.auto.mode, 'probe-pod');
    });

    it('no pods create, pods unroutable: port-forward can run, probe-pod names rbac-check.yaml, exit 0', async function () {
      if (problem) this.skip();
      const { r, d } = await doctor(await boundUser(sim, 'coredns-sentinel-portforward'), true);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(d.modes.filter((m) => m.canRun).map((m) => m.mode), ['port-forward']);
      assert.ok(row(d, 'probe-pod').missing.includes('RBAC: create pods in namespace default'));
      assert.equal(row(d, 'probe-pod').manifest, 'manifests/rbac-check.yaml');
      assert.match(row(d, 'direct').missing.join(), /not routable from here/);
      assert.equal(d.auto.mode, 'port-forward');
    });

    it('read-only, pods unroutable: no mode can run, exit 3, the first fix names the manifests', async function () {
      if (problem) this.skip();
      const { r, d } = await doctor(await boundUser(sim, 'coredns-sentinel-direct'), true);
      assert.equal(r.code, 3, r.stderr);
      assert.equal(d.exitCode, 3);
      assert.match(r.stderr, /^error: .*bind manifests\/rbac-portforward\.yaml/);
      assert.equal(r.stderr.trim().split('\n').length, 1);
    });
  });

  it('in-cluster: run as a pod with the ServiceAccount of rbac-direct.yaml, auto picks in-cluster, no kubeconfig', async function () {
    const problem = isolationProblem();
    if (problem) this.skip();
    const pod = await podEnvironment(sim, 'default', 'coredns-sentinel-direct');
    const r = await wrapped(pod.wrap, ['check', '--samples', '2', '--timeout', '800ms', '-o', 'json'], pod.env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json?.mode, 'in-cluster');
    assert.ok(sim.requests.some((q) => q.user === 'system:serviceaccount:default:coredns-sentinel-direct'));
    assert.ok(!sim.requests.some((q) => q.user === 'system:serviceaccount:default:coredns-sentinel-direct' && q.verb === 'create' && q.resource === 'pods'));
  });
});
