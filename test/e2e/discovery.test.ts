// Discovery against the sim's distribution presets (test/sim/presets.ts): OpenShift's DaemonSet probed on
// its named targetPort (53 → 5353), GKE's kube-dns recognized, the l7mp seed's headless Service probed
// as pods only, and outages (scaled to 0, every pod in ContainerCreating) named as outages, exit 1.
import assert from 'node:assert/strict';
import { startSim, type Sim } from '../sim/index.ts';
import type { PresetName } from '../sim/presets.ts';
import { connect } from '../../src/kube/index.ts';
import { kubectl, simOnly } from './cluster.ts';
import { buildCli, cli, probePodsLeft } from './cli.ts';

const restarts = (sim: Sim, from: number) =>
  sim.requests.slice(from).filter((r) => r.resource === 'pods/eviction' || r.verb === 'patch' || (r.resource === 'pods' && r.verb === 'delete' && !/probe/.test(r.name ?? '')));

/** The preset's workload flags (the CLI passes kubeadm's defaults for any it is not given). */
function workloadFlags(sim: Sim): string[] {
  const s = sim.dnsWorkload();
  return ['-n', s.namespace, '-l', Object.entries(s.selector).map(([k, v]) => `${k}=${v}`).join(','), '--service', s.service.name, '--configmap', s.configMap];
}

async function withPreset(preset: PresetName, body: (sim: Sim, base: string[]) => Promise<void>, replicas?: number): Promise<void> {
  const sim = await startSim({ preset, timing: { scale: 0.1 }, ...(replicas && { dns: { replicas } }) });
  try {
    await sim.waitReady(60_000);
    await body(sim, ['check', '--kubeconfig', sim.kubeconfigPath, '-o', 'json', '--samples', '1', '--timeout', '500ms', '--no-freshness']);
    assert.deepEqual(await probePodsLeft(sim.kubeconfigPath), []);
  } finally {
    await sim.stop();
  }
}

describe('discovery e2e: presets', function () {
  this.timeout(120_000);
  before(function () {
    simOnly(this);
    buildCli();
  });

  it('OpenShift: every DaemonSet pod probed on containerPort 5353 behind Service port 53 → healthy; a dry-run repair plans nothing', () =>
    withPreset('openshift', async (sim, base) => {
      const run = await cli([...base, ...workloadFlags(sim)]);
      assert.equal(run.code, 0, run.stdout + run.stderr);
      const pods = run.json?.targets?.filter((t) => t.kind === 'pod') ?? [];
      assert.equal(pods.length, sim.dnsPods().length);
      assert.ok(pods.every((t) => t.udp === 'pass' && t.tcp === 'pass'), JSON.stringify(pods));
      // The pods serve DNS on 5353 only: a probe on the Service port 53 would fail every one of them.
      assert.deepEqual(run.json?.targets?.map((t) => `${t.kind} ${t.port}`), ['service 53', ...pods.map(() => 'pod 5353')]);
      const dry = await cli([...base, ...workloadFlags(sim), '--repair', '--dry-run', '--allow-full-restart']);
      assert.equal(dry.code, 0, dry.stdout + dry.stderr);
      assert.deepEqual(dry.json?.repair?.actions ?? [], []);
    }));

  it('OpenShift: one pod hung → that pod flagged and, with --repair --dry-run, the only one planned', () =>
    withPreset('openshift', async (sim, base) => {
      const victim = sim.dnsPods()[0]!.name;
      sim.faults.hangDns(victim);
      const from = sim.requests.length;
      const run = await cli([...base, ...workloadFlags(sim), '--repair', '--dry-run']);
      assert.equal(run.code, 1, run.stdout + run.stderr);
      assert.deepEqual(run.json?.targets?.filter((t) => t.kind === 'pod' && t.udp === 'fail').map((t) => t.label), [victim]);
      assert.deepEqual(run.json?.repair?.actions?.map((a) => a.pod), [victim]);
      assert.equal(restarts(sim, from).length, 0);
    }));

  it('OpenShift: one pod hung, --repair --restart-method rollout → a rollout restart of DaemonSet dns-default, healthy after', () =>
    withPreset('openshift', async (sim, base) => {
      const victim = sim.dnsPods()[0]!.name;
      sim.faults.hangDns(victim);
      const from = sim.requests.length;
      const run = await cli([...base, ...workloadFlags(sim), '--repair', '--restart-method', 'rollout']);
      const patches = sim.requests.slice(from).filter((r) => r.verb === 'patch').map((r) => `${r.resource} ${r.name}`);
      assert.deepEqual(patches, ['daemonsets dns-default'], run.stdout + run.stderr);
      assert.equal(run.code, 0, run.stdout + run.stderr);
      assert.ok(!sim.dnsPods().some((p) => p.name === victim), 'the hung pod was replaced');
    }));

  it('OpenShift: a crash-looping pod (dns + kube-rbac-proxy) diagnosed from the dns container\'s log, no restart', () =>
    withPreset('openshift', async (sim, base) => {
      const victim = sim.dnsPods()[0]!.name;
      sim.faults.crashLoop(victim);
      const { client } = connect({ kubeconfig: sim.kubeconfigPath });
      const crashing = async () => (await client.listPods('openshift-dns', '')).some((p) => p.name === victim && p.containerStatuses.some((c) => c.waitingReason === 'CrashLoopBackOff'));
      for (let i = 0; i < 200 && !(await crashing()); i++) await new Promise((r) => setTimeout(r, 100));
      const from = sim.requests.length;
      const run = await cli([...base, ...workloadFlags(sim), '--repair', '--repair-timeout', '30s']);
      assert.equal(run.code, 1, run.stdout + run.stderr);
      const target = run.json?.targets?.find((t) => t.label === victim);
      assert.equal(target?.classification, 'not-repairable', JSON.stringify(target));
      assert.ok(target?.diagnosis?.some((d) => d.kind === 'forwarding-loop' && /plugin\/loop/.test(d.evidence)), JSON.stringify(target?.diagnosis) + run.stderr);
      const logs = sim.requests.slice(from).filter((r) => r.resource === 'pods/log');
      assert.ok(logs.length > 0 && logs.every((r) => r.name === victim), JSON.stringify(logs));
      assert.equal(restarts(sim, from).length, 0);
    }));

  it('nodelocal: NodeLocal DNSCache detected with the default flags, said in a note, its pods never taken for CoreDNS', () =>
    withPreset('nodelocal', async (sim, base) => {
      const run = await cli(base);
      assert.equal(run.code, 0, run.stdout + run.stderr);
      assert.ok(run.json?.notes.some((n) => /^NodeLocal DNSCache \(DaemonSet kube-system\/node-local-dns.*is answered by the cache, not by CoreDNS/.test(n)), run.json?.notes.join('\n'));
      assert.deepEqual(run.json?.targets?.filter((t) => t.kind === 'pod').map((t) => t.label).sort(), sim.dnsPods().map((p) => p.name).sort());
    }));

  it('GKE with the default flags: kube-dns recognized and said, its stub domain from ConfigMap kube-dns (the one its pods mount)', () =>
    withPreset('gke', async (sim, base) => {
      const run = await cli(base);
      assert.equal(run.code, 0, run.stdout + run.stderr);
      assert.ok(run.json?.notes.some((n) => /^kube-dns \(GKE\), not CoreDNS/.test(n)), run.json?.notes.join('\n'));
      const ids = run.json?.plan?.queries.map((q) => q.id) ?? [];
      assert.ok(ids.includes('stub/acme.local'), ids.join(', '));
    }));

  it('l7mp: the headless Service with only the workload flags → the StatefulSet pods probed on UDP 100, no Service target, one note', () =>
    withPreset('l7mp', async (sim, base) => {
      const run = await cli([...base, ...workloadFlags(sim), '--no-external', '--transports', 'udp']);
      assert.equal(run.code, 0, run.stdout + run.stderr);
      assert.deepEqual(run.json?.targets?.map((t) => `${t.kind} ${t.label} ${t.port}`), [0, 1].map((i) => `pod dns-${i} ${sim.dnsWorkload().podPort}`));
      assert.equal(run.json?.notes.filter((n) => /headless/.test(n)).length, 1);
    }));

  it('kubeadm scaled to 0 → exit 1, the outage named (never exit 3 blaming the flags), nothing restarted', () =>
    withPreset('kubeadm', async (sim, base) => {
      sim.faults.scale(0);
      for (let i = 0; i < 100 && sim.dnsPods().length > 0; i++) await new Promise((r) => setTimeout(r, 100));
      const from = sim.requests.length;
      const run = await cli([...base, '--repair', '--allow-full-restart']);
      assert.equal(run.code, 1, run.stdout + run.stderr);
      assert.equal(run.json?.classification, 'outage');
      assert.match(run.json?.reason ?? '', /^Deployment coredns in namespace kube-system is scaled to 0 replicas: no DNS server runs/);
      assert.match(run.json?.message ?? '', /^DNS unhealthy — outage: Deployment coredns/);
      assert.equal(restarts(sim, from).length, 0);
    }));

  it('l7mp StatefulSet scaled to 0 behind its headless Service → exit 1 naming the outage (nothing to probe), no probe pod', () =>
    withPreset('l7mp', async (sim, base) => {
      sim.faults.scale(0);
      for (let i = 0; i < 100 && sim.dnsPods().length > 0; i++) await new Promise((r) => setTimeout(r, 100));
      const from = sim.requests.length;
      const run = await cli([...base.filter((a) => a !== '-o' && a !== 'json'), ...workloadFlags(sim)]);
      assert.equal(run.code, 1, run.stdout + run.stderr);
      assert.match(run.stderr, /DNS unhealthy — outage: StatefulSet dns in namespace default is scaled to 0 replicas/);
      assert.deepEqual(sim.requests.slice(from).filter((r) => r.verb === 'create' && r.resource === 'pods'), []);
    }));

  it('every DNS pod in ContainerCreating (cni-fail on every node) → exit 1, the kubelet\'s Event quoted', () =>
    withPreset('kubeadm', async (sim, base) => {
      for (const p of sim.dnsPods()) sim.faults.cniFail(p.name);
      const run = await cli(base);
      assert.equal(run.code, 1, run.stdout + run.stderr);
      assert.equal(run.json?.classification, 'outage', run.json?.reason);
      assert.match(run.json?.reason ?? '', /^every DNS pod is stuck in ContainerCreating — coredns-\S+: FailedCreatePodSandBox: Failed to create pod sandbox: .*networkPlugin cni failed/);
    }));

  it("the Service's selector drifted from the pods' labels (kubectl) → exit 1, named selector drift once; a wrong -l → exit 3, not found", () =>
    withPreset('kubeadm', async (sim, base) => {
      const patched = await kubectl(sim.kubeconfigPath, ['-n', 'kube-system', 'patch', 'service', 'kube-dns', '--type', 'merge', '-p', JSON.stringify({ spec: { selector: { 'k8s-app': 'kube-dns-v2' } } })]);
      assert.equal(patched.status, 0, patched.stderr);
      const from = sim.requests.length;
      const drifted = await cli(base);
      assert.equal(drifted.code, 1, drifted.stdout + drifted.stderr);
      assert.equal(drifted.json?.classification, 'outage', drifted.json?.reason);
      assert.match(drifted.json?.message ?? '', /^DNS unhealthy — outage: selector drift: Service kube-system\/kube-dns selects k8s-app=kube-dns-v2, which no pod matches, while Deployment coredns runs 2 Ready pod\(s\)/);
      assert.doesNotMatch(drifted.json?.message ?? '', /outage: outage/);
      assert.equal(restarts(sim, from).length, 0);
      const wrong = await cli([...base, '-l', 'app=my-dns']);
      assert.equal(wrong.code, 3, wrong.stdout + wrong.stderr);
      assert.match(wrong.stderr, /no pod matches -l app=my-dns in namespace kube-system, while Deployment coredns there runs 2 Ready pod\(s\) \(check the selector, and pass -n NAMESPACE where the DNS pods run\)/);
    }));
});
