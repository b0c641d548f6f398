// End to end (issue 20): nothing sick stays in rotation when a restart is refused, and pods that fail one
// after another across watch cycles are not cluster-wide. The built CLI against one simulated cluster of
// three CoreDNS replicas; faults, history, Lease and quarantined pods cleared between tests.
import assert from 'node:assert/strict';
import type { Sim } from '../sim/index.ts';
import { DNS_NAMESPACE as NS, dnsPods as podsOf, quickCheck, REPAIR, resetRepairState, sharedSim, sleep, THREE_REPLICAS } from './cluster.ts';
import { connect, type KPod } from '../../src/kube/index.ts';
import { QUARANTINE_LABEL } from '../../src/repair/quarantine.ts';
import { cli, finish, startCli } from './cli.ts';
import type { CheckOutput } from '../../src/report/index.ts';

describe('repair e2e: out of rotation when a restart is refused; failures one after another', function () {
  this.timeout(120_000);
  let sim: Sim;
  let base: string[];
  sharedSim(THREE_REPLICAS, (started) => {
    sim = started;
    base = [...quickCheck(sim.kubeconfigPath), ...REPAIR];
  });
  afterEach(() => resetRepairState(sim));
  const client = () => connect({ kubeconfig: sim.kubeconfigPath }).client;
  const dnsPods = () => podsOf(sim);
  const quarantined = () => client().listPods(NS, `${QUARANTINE_LABEL}=true`);
  const live = (pods: KPod[]) => pods.filter((p) => !p.deletionTimestamp);
  const ready = (pods: KPod[]) => live(pods).filter((p) => p.conditions.some((c) => c.type === 'Ready' && c.status === 'True'));
  const restartsSince = (from: number) => sim.requests.slice(from).filter((r) => r.namespace === NS && r.resource === 'pods/eviction' && r.code < 300);

  it('an escalated lineage hung → out of rotation (the endpoints drop it), a replacement Ready, exit 5 still; the next healthy run deletes it', async () => {
    const args = [...base, '--cooldown', '0s', '--escalate-after', '1'];
    const first = sim.dnsPods()[0]!;
    const known = new Set((await dnsPods()).map((p) => p.uid));
    sim.faults.hangDns(first.name);
    const repaired = await cli(args);
    assert.equal(repaired.code, 0, repaired.stdout);
    const replacement = live(await dnsPods()).find((p) => !known.has(p.uid))!;
    sim.faults.hangDns(replacement.name);

    const from = sim.requests.length;
    const run = await cli(args);
    assert.equal(run.code, 5, run.stdout + run.stderr);
    assert.equal(run.json?.repair?.escalations[0]?.pod, replacement.name);
    assert.equal(restartsSince(from).length, 0, 'an escalated lineage is never restarted');
    const action = run.json?.repair?.actions.find((a) => a.method === 'quarantine');
    assert.equal(action?.outcome, 'done', JSON.stringify(run.json?.repair));
    assert.match(action?.detail ?? '', new RegExp(`out of rotation: Service kube-dns no longer routes to ${replacement.podIPs[0]!.replace(/\./g, '\\.')}; replacement \\S+ Ready; kept until`));

    // Out of rotation: no slice lists its IP; capacity kept: three Ready replicas, none of them it.
    const slices = await client().listEndpointSlices(NS, 'kube-dns');
    assert.ok(!slices.some((s) => s.endpoints.some((e) => e.addresses.includes(replacement.podIPs[0]!))), 'the endpoints still list the quarantined pod');
    const readyNow = ready(await dnsPods());
    assert.equal(readyNow.length, 3);
    assert.ok(!readyNow.some((p) => p.uid === replacement.uid));
    // Kept for kubectl logs/describe, labelled and annotated, its ReplicaSet no longer owning it.
    const [kept] = await quarantined();
    assert.equal(kept?.uid, replacement.uid);
    assert.equal(kept?.labels['k8s-app'], undefined);
    assert.match(kept?.annotations?.['coredns-sentinel/quarantine-reason'] ?? '', /^answers no DNS; not restarted: escalated/);
    assert.deepEqual(kept?.ownerReferences, []);
    const reasons = (await client().listEvents(NS)).filter((e) => e.involvedName === replacement.name && e.component === 'coredns-sentinel').map((e) => e.reason);
    assert.deepEqual(reasons.sort(), ['SentinelQuarantine', 'SentinelQuarantined']);

    const after = await cli(base);
    assert.equal(after.code, 0, after.stdout);
    assert.deepEqual(live(await quarantined()), [], 'the healthy run did not delete the quarantined pod');
  });

  it('a Corefile CoreDNS cannot load → no quarantine either (its replacement would crash-loop on it), the report says so', async () => {
    const c = client();
    const known = new Set((await dnsPods()).map((p) => p.uid));
    sim.faults.hangDns(sim.dnsPods()[2]!.name);
    assert.equal((await cli(base)).code, 0);
    const replacement = live(await dnsPods()).find((p) => !known.has(p.uid))!;
    const cm = (await c.findConfigMap(NS, 'coredns'))!;
    const original = cm.data.Corefile!;
    await c.replaceConfigMap({ name: cm.name, namespace: NS, data: { ...cm.data, Corefile: original.replace('forward . ', 'foward . ') } });
    try {
      // Every running pod's reload plugin refuses it (and keeps its configuration).
      for (let i = 0; i < 100; i++) {
        const logs = await Promise.all(live(await dnsPods()).map((p) => c.readPodLog(NS, p.name, { tailLines: 200, previous: false })));
        if (logs.every((l) => /Corefile changed but reload failed/.test(l))) break;
        await sleep(200);
      }
      sim.faults.hangDns(replacement.name);
      const run = await cli(base);
      assert.equal(run.code, 1, run.stdout);
      assert.equal(run.json?.classification, 'broken-config', run.stdout);
      assert.deepEqual(run.json?.repair?.actions, []);
      assert.match(run.json?.repair?.skipped.map((x) => x.reason).join('\n') ?? '', /not taken out of rotation: ConfigMap kube-system\/coredns changed .* to a Corefile CoreDNS cannot load/);
      assert.deepEqual(await quarantined(), []);
    } finally {
      const now = (await c.findConfigMap(NS, 'coredns'))!;
      await c.replaceConfigMap({ name: now.name, namespace: NS, data: { ...now.data, Corefile: original } });
    }
  });

  it('--no-quarantine: the escalated, hung pod stays in rotation (the behaviour before)', async () => {
    const args = [...base, '--cooldown', '0s', '--escalate-after', '1', '--no-quarantine'];
    const known = new Set((await dnsPods()).map((p) => p.uid));
    sim.faults.hangDns(sim.dnsPods()[1]!.name);
    assert.equal((await cli(args)).code, 0);
    const replacement = live(await dnsPods()).find((p) => !known.has(p.uid))!;
    sim.faults.hangDns(replacement.name);
    const run = await cli(args);
    assert.equal(run.code, 5, run.stdout);
    assert.deepEqual(run.json?.repair?.actions, []);
    const slices = await client().listEndpointSlices(NS, 'kube-dns');
    assert.ok(slices.some((s) => s.endpoints.some((e) => e.addresses.includes(replacement.podIPs[0]!))));
  });

  it('watch: pods hung one after another, their restarts refused (--restart-budget 0) → pod-local, not cluster-wide, when the last one hangs', async () => {
    // A budget of 0 refuses every restart (a hung pod's restart takes nothing serving away, so no floor
    // refuses it) and --no-quarantine keeps them in rotation: all three stay hung.
    const watch = (extra: string[]) =>
      startCli(['watch', '--kubeconfig', sim.kubeconfigPath, '--interval', '1s', '--metrics-addr', '127.0.0.1:0', '-o', 'json', '--timeout', '500ms', '--samples', '1', '--repair', '--restart-budget', '0/1h', '--no-quarantine', ...extra]);
    const child = watch([]);
    let stdout = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d));
    const cycles = () => stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as CheckOutput);
    const nextCycle = async () => {
      const n = cycles().length;
      for (let i = 0; i < 300 && cycles().length < n + 2; i++) await sleep(100);
      assert.ok(cycles().length >= n + 2, 'watch made no progress');
      return cycles().at(-1)!;
    };
    const run = finish(child);
    try {
      const [a, b, c] = sim.dnsPods();
      sim.faults.hangDns(a!.name);
      assert.equal((await nextCycle()).classification, 'pod-local');
      sim.faults.hangDns(b!.name);
      assert.equal((await nextCycle()).classification, 'pod-local');
      sim.faults.hangDns(c!.name);
      const last = await nextCycle();
      assert.equal(last.classification, 'pod-local', last.reason);
      assert.match(last.reason ?? '', new RegExp(`one after another \\(${a!.name} since [\\d:]+, ${b!.name} since [\\d:]+, ${c!.name} since `));
      assert.match(last.repair?.skipped.find((s) => s.pod === a!.name)?.reason ?? '', /restart budget used/);
    } finally {
      child.kill('SIGTERM');
      await run;
    }
    // The same cluster, the same history, judged without the timeline: cluster-wide.
    const before = await cli([...base, '--samples', '1', '--restart-budget', '0/1h', '--no-quarantine', '--no-timeline']);
    assert.equal(before.json?.classification, 'cluster-wide', before.stdout);
  });
});
