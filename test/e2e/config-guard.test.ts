// End to end: design rule 13, never restart into a broken configuration. The Corefile in the coredns
// ConfigMap is changed with kubectl; the sim's CoreDNS pods play the reload plugin (a Corefile CoreDNS
// cannot load is refused with CoreDNS's log lines and the old configuration keeps running; a pod started
// on it crash-loops). Then one pod hangs and `check --repair` (the built CLI) must restart nothing for a
// broken Corefile and repair as usual after a good change. One sim for the file.
import assert from 'node:assert/strict';
import type { Sim } from '../sim/index.ts';
import { DNS_NAMESPACE as NS, dnsPods, kubectl, quickCheck, REPAIR, resetRepairState, sharedSim, sleep, THREE_REPLICAS } from './cluster.ts';
import { connect, type KPod } from '../../src/kube/index.ts';
import { cli } from './cli.ts';
import { expectValidOutput } from '../schema/validate.ts';

/** `kubectl replace` of the coredns ConfigMap with `edit` applied to its Corefile; returns the Corefile it had. */
async function editCorefile(sim: Sim, edit: (corefile: string) => string): Promise<string> {
  const got = await kubectl(sim.kubeconfigPath, ['get', 'configmap', 'coredns', '-n', NS, '-o', 'json']);
  assert.equal(got.status, 0, got.stderr);
  const cm = JSON.parse(got.stdout) as { data: { Corefile: string } };
  const before = cm.data.Corefile;
  cm.data.Corefile = edit(before);
  const replaced = await kubectl(sim.kubeconfigPath, ['replace', '--validate=false', '-f', '-'], JSON.stringify(cm));
  assert.equal(replaced.status, 0, replaced.stderr);
  return before;
}

const client = (sim: Sim) => connect({ kubeconfig: sim.kubeconfigPath }).client;
const isReady = (p: KPod) => p.conditions.some((c) => c.type === 'Ready' && c.status === 'True');
const restarts = (p: KPod) => p.containerStatuses.reduce((n, c) => n + c.restartCount, 0);
const restartsSince = (sim: Sim, from: number) =>
  sim.requests.slice(from).filter((r) => r.namespace === NS && ((r.resource === 'pods/eviction' && r.code < 300) || (r.resource === 'pods' && r.verb === 'delete')));

/** Waits (bounded) until every running DNS pod's log has a line matching `line`. */
async function waitLogged(sim: Sim, line: RegExp): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const pods = (await dnsPods(sim)).filter((p) => p.phase === 'Running' && !p.deletionTimestamp);
    const logs = await Promise.all(pods.map((p) => client(sim).readPodLog(NS, p.name, { tailLines: 200, previous: false })));
    if (logs.length > 0 && logs.every((l) => line.test(l))) return;
    await sleep(200);
  }
  assert.fail(`the DNS pods never logged ${line}`);
}

describe('config guard e2e: no restart into a Corefile CoreDNS cannot load', function () {
  this.timeout(120_000);
  let sim: Sim;
  let base: string[];
  let original: string | undefined;
  sharedSim(THREE_REPLICAS, (started) => {
    sim = started;
    base = [...quickCheck(sim.kubeconfigPath), ...REPAIR];
  });

  afterEach(async () => {
    if (original !== undefined) await editCorefile(sim, () => original!);
    original = undefined;
    await resetRepairState(sim);
  });

  it('a Corefile with a typo, then one pod hung → nothing restarted, broken-config naming the ConfigMap, the change and CoreDNS’s error, exit 1; a restarted pod would crash-loop on it', async () => {
    original = await editCorefile(sim, (c) => c.replace('forward . ', 'foward . '));
    // The running pods refuse it with CoreDNS's lines and keep serving their previous configuration.
    await waitLogged(sim, /\[ERROR\] plugin\/reload: Corefile changed but reload failed: .*Unknown directive 'foward'/);
    const [victim, ...peers] = await dnsPods(sim);
    sim.faults.hangDns(victim!.name);
    const from = sim.requests.length;

    for (const args of [[...base, '--dry-run'], base]) {
      const run = await cli(args);
      assert.equal(run.code, 1, run.stderr + run.stdout);
      const out = run.json!;
      expectValidOutput(out);
      const reason = out.reason ?? '';
      assert.equal(out.classification, 'broken-config');
      assert.match(reason, /^ConfigMap kube-system\/coredns changed \(at \d{4}-\d\d-\d\dT[\d:]+Z, by kubectl-replace, resourceVersion \d+\) to a Corefile CoreDNS cannot load: /);
      assert.match(reason, /Corefile:\d+ - Error during parsing: Unknown directive 'foward'/);
      assert.match(reason, /the reload plugin of coredns-/);
      assert.deepEqual(out.repair?.actions, []);
      assert.deepEqual(out.repair?.skipped.map((s) => s.pod), [victim!.name]);
      assert.equal(out.repair?.skipped[0]?.reason, reason);
    }
    assert.deepEqual(restartsSince(sim, from), [], 'a pod was restarted into the broken Corefile');

    // What the guard prevented: a replacement pod loads the new Corefile and crash-loops on it.
    sim.faults.clear();
    const gone = peers[0]!;
    assert.equal((await kubectl(sim.kubeconfigPath, ['delete', 'pod', gone.name, '-n', NS, '--wait=false'])).status, 0);
    let replacement: KPod | undefined;
    for (let i = 0; i < 150 && !replacement; i++) {
      replacement = (await dnsPods(sim)).find((p) => !p.deletionTimestamp && restarts(p) > 0 && !peers.concat(victim!).some((x) => x.uid === p.uid));
      if (!replacement) await sleep(100);
    }
    assert.ok(replacement, 'the replacement pod never restarted');
    assert.equal(isReady(replacement), false);
    const log = await client(sim).readPodLog(NS, replacement.name, { tailLines: 20, previous: true });
    assert.match(log, /^\/etc\/coredns\/Corefile:\d+ - Error during parsing: Unknown directive 'foward'$/m);
  });

  it('a good Corefile change does not block a restart: the hung pod is evicted and replaced', async () => {
    original = await editCorefile(sim, (c) => c.replace('cache 30', 'cache 60'));
    await waitLogged(sim, /\[INFO\] Reloading\n\[INFO\] plugin\/reload: Running configuration SHA512 = [0-9a-f]{128}\n\[INFO\] Reloading complete/);
    const [victim] = await dnsPods(sim);
    sim.faults.hangDns(victim!.name);
    const from = sim.requests.length;
    const run = await cli(base);
    assert.equal(run.code, 0, run.stderr + run.stdout);
    assert.deepEqual(run.json?.repair?.actions.map((a) => [a.pod, a.outcome]), [[victim!.name, 'done']]);
    assert.equal(restartsSince(sim, from).length, 1);
  });
});
