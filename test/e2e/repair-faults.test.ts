// End to end: the audit of issue 11, reproduced on the sim with the built CLI — repair and cleanup stay
// safe when a step fails, when a signal arrives at any moment, and after kill -9. Each test asserts the
// rule: write-ahead history (no record, no eviction; a restart is never invisible to the next run),
// everything done is reported with exit 7 "repair incomplete", signals end in 130 with the probe pod
// deleted, the Lease released, an Event concluding the restart; orphans of dead runs removed at once.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import type { Sim } from '../sim/index.ts';
import { DNS_NAMESPACE as NS, dnsPods as podsOf, quickCheck, REPAIR, resetRepairState, sharedSim, sleep, THREE_REPLICAS, until } from './cluster.ts';
import { connect, type KPod } from '../../src/kube/index.ts';
import { readHistory } from '../../src/repair/state.ts';
import { LOCK_NAME } from '../../src/repair/lock.ts';
import { cli, finish, probePodsLeft, startCli, type Run } from './cli.ts';

describe('repair under faults, signals and kill -9 (issue 11)', function () {
  this.timeout(120_000);
  let sim: Sim;
  let base: string[];
  let check: string[];
  sharedSim(THREE_REPLICAS, (started) => {
    sim = started;
    check = [...quickCheck(sim.kubeconfigPath), '--request-timeout', '3s'];
    base = [...check, ...REPAIR];
  });
  afterEach(() => resetRepairState(sim));
  const client = () => connect({ kubeconfig: sim.kubeconfigPath }).client;
  const dnsPods = (): Promise<KPod[]> => podsOf(sim);
  const evictions = (from: number) => sim.requests.slice(from).filter((r) => r.resource === 'pods/eviction' && r.code < 300);
  const events = async () => (await client().listEvents(NS)).filter((e) => e.component === 'coredns-sentinel');
  const lease = async () => client().getLease(NS, LOCK_NAME);

  it('the history cannot be written (configmaps 500) → no eviction at all, the report says so, exit 7', async () => {
    const victim = (await dnsPods())[1]!;
    sim.faults.hangDns(victim.name);
    sim.faults.api({ verb: 'create', resource: 'configmaps', namespace: NS, status: 500 });
    sim.faults.api({ verb: 'update', resource: 'configmaps', namespace: NS, status: 500 });
    const from = sim.requests.length;
    const runs: Run[] = [];
    for (let i = 0; i < 2; i++) runs.push(await cli(base));
    for (const run of runs) {
      assert.equal(run.code, 7, run.stderr + run.stdout);
      assert.equal(run.json?.repair?.actions[0]?.outcome, 'failed', run.stdout);
      assert.match(run.json?.repair?.actions[0]?.detail ?? '', /could not record the restart in the repair history \(.*configmaps.*\); not restarting/);
      assert.match(run.json?.repair?.note ?? '', /^repair incomplete: /);
    }
    assert.equal(evictions(from).length, 0, 'no record, no eviction');
    assert.equal((await lease())?.holderIdentity ?? '', '', 'the Lease was released');
  });

  it('the completing write fails after the eviction → the action is reported (exit 7) and the next runs see the restart: 1 eviction in 4 runs', async () => {
    const known = new Set((await dnsPods()).map((p) => p.uid));
    const victim = (await dnsPods())[0]!;
    sim.faults.hangDns(victim.name);
    const from = sim.requests.length;
    // The intent is the ConfigMap's create; every later write (settle, streaks) fails.
    sim.faults.api({ verb: 'update', resource: 'configmaps', namespace: NS, status: 500 });
    const first = await cli(base);
    assert.equal(first.code, 7, first.stderr + first.stdout);
    assert.deepEqual(first.json?.repair?.actions.map((a) => a.pod), [victim.name]);
    assert.match(first.json?.repair?.actions[0]?.detail ?? '', /restarted, but the repair history could not be completed/);
    const stored = await readHistory(client(), NS);
    assert.deepEqual(stored.history.restarts.map((r) => [r.pods[0]!.name, r.status]), [[victim.name, 'intent']]);
    sim.faults.clear();
    // The replacement hangs the same way: it is the same lineage, in cooldown.
    const replacement = (await dnsPods()).find((p) => !p.deletionTimestamp && !known.has(p.uid));
    assert.ok(replacement, 'no replacement pod');
    sim.faults.hangDns(replacement.name);
    // --no-quarantine: the hung replacement stays, so each run meets the same cooldown.
    for (let i = 0; i < 3; i++) {
      const again = await cli([...base, '--no-quarantine']);
      assert.equal(again.code, 1, again.stderr + JSON.stringify(again.json?.repair));
      assert.match(again.json?.repair?.skipped.find((s) => s.pod === replacement.name)?.reason ?? '', /in cooldown/);
    }
    assert.equal(evictions(from).length, 1, 'restarts done = restarts recorded = 1');
    // The first of those runs took the Lease and settled the dead run's intent against the pods.
    const settled = await readHistory(client(), NS);
    assert.deepEqual(settled.history.restarts.map((r) => r.status), ['done']);
  });

  /** Starts `check --repair`, SIGTERMs it once `when` holds, returns its run and how long it took to end. */
  async function interruptWhen(args: string[], when: () => boolean | Promise<boolean>): Promise<{ run: Run; endedInMs: number }> {
    const child: ChildProcess = startCli(args);
    const done = finish(child);
    let exited = false;
    void done.then(() => (exited = true));
    await until('the moment to interrupt', async () => exited || (await when()), 60_000);
    assert.equal(exited, false, 'the run ended before the moment came');
    const t = Date.now();
    child.kill('SIGTERM');
    const run = await done;
    return { run, endedInMs: Date.now() - t };
  }

  it('SIGTERM while waiting for the replacement → exit 130 within seconds, the eviction reported, its Event, history done, Lease released', async () => {
    const victim = (await dnsPods())[2]!;
    sim.faults.hangDns(victim.name);
    const from = sim.requests.length;
    const { run, endedInMs } = await interruptWhen(base, () => evictions(from).length > 0);
    assert.equal(run.code, 130, run.stderr + run.stdout);
    assert.ok(endedInMs < 10_000, `ended ${endedInMs} ms after the signal`);
    assert.deepEqual(run.json?.repair?.actions.map((a) => [a.pod, a.outcome]), [[victim.name, 'failed']]);
    assert.match(run.json?.repair?.actions[0]?.detail ?? '', /evict done, then interrupted/);
    assert.equal((await lease())?.holderIdentity ?? '', '');
    const reasons = (await events()).filter((e) => e.involvedName === victim.name).map((e) => e.reason);
    assert.ok(reasons.includes('SentinelRestart') && reasons.includes('SentinelRepairFailed'), reasons.join(','));
    assert.deepEqual((await readHistory(client(), NS)).history.restarts.map((r) => [r.pods[0]!.name, r.status]), [[victim.name, 'done']]);
  });

  it('SIGTERM during the verification probe → exit 130, probe pod deleted, Lease released, restart concluded', async () => {
    const victim = (await dnsPods())[1]!;
    sim.faults.hangDns(victim.name);
    const from = sim.requests.length;
    // The verification round's probe pod: created after the eviction.
    const { run } = await interruptWhen(base, () => {
      const after = sim.requests.slice(from);
      const evicted = after.findIndex((r) => r.resource === 'pods/eviction' && r.code < 300);
      return evicted >= 0 && after.slice(evicted).some((r) => r.resource === 'pods/exec');
    });
    assert.equal(run.code, 130, run.stderr + run.stdout);
    assert.equal(run.json?.repair?.actions[0]?.outcome, 'failed', run.stdout);
    assert.equal((await lease())?.holderIdentity ?? '', '');
    assert.deepEqual(await probePodsLeft(sim.kubeconfigPath), []);
    assert.ok((await events()).some((e) => e.involvedName === victim.name && e.reason === 'SentinelRepairFailed'));
  });

  it('SIGTERM while the probe pod create is in flight → the pod is deleted by name once it exists, exit 130', async () => {
    sim.faults.api({ verb: 'create', resource: 'pods', namespace: 'default', latencyMs: 2000, count: 1 });
    const from = sim.requests.length;
    const child = startCli(check);
    const done = finish(child);
    // The freshness canary's create comes right before the pod's, which the fault's latency holds: signal it in flight.
    await until('the canary before the create', () => sim.requests.slice(from).some((r) => r.resource === 'services' && r.verb === 'create' && r.namespace === 'default'));
    await sleep(500);
    assert.equal(sim.requests.slice(from).filter((r) => r.resource === 'pods' && r.verb === 'create').length, 0, 'the create already answered');
    child.kill('SIGTERM');
    const run = await done;
    assert.equal(run.code, 130, run.stderr);
    assert.match(run.stderr, /interrupted: probe pod coredns-sentinel-probe-[0-9a-f]{8} deleted; freshness canary coredns-sentinel-canary-[0-9a-f]{8} deleted/);
    const created = sim.requests.slice(from).filter((r) => r.resource === 'pods' && r.verb === 'create' && r.code === 201);
    const deleted = sim.requests.slice(from).filter((r) => r.resource === 'pods' && r.verb === 'delete' && r.code < 300);
    assert.equal(created.length, 1, 'the create landed after the signal');
    assert.equal(deleted.length, 1, 'and its pod was deleted by name');
    assert.match(deleted[0]!.name ?? '', /^coredns-sentinel-probe-[0-9a-f]{8}$/);
  });

  it('kill -9 mid-probe → the next run deletes the orphan at once (same host, process gone); cleanup --all deletes a live run\'s pod with a warning', async () => {
    const child = startCli(check);
    const done = finish(child);
    await until('the probe pod to exist', async () => (await probePodsLeft(sim.kubeconfigPath)).length > 0);
    child.kill('SIGKILL');
    await done;
    const orphans = await probePodsLeft(sim.kubeconfigPath);
    assert.equal(orphans.length, 1);
    const next = await cli([...check, '--log-level', 'info']);
    assert.equal(next.code, 0, next.stderr);
    assert.match(next.stderr, new RegExp(`deleted 1 stale probe pod\\(s\\): ${orphans[0]}`));
    assert.deepEqual(await probePodsLeft(sim.kubeconfigPath), []);

    // cleanup alone leaves a live run's pod (its exec held by the fault); --all deletes it and warns.
    sim.faults.api({ verb: 'exec', latencyMs: 20_000, count: 1 });
    const live = startCli(check);
    const liveDone = finish(live);
    await until('the probe pod to exist', async () => (await probePodsLeft(sim.kubeconfigPath)).length > 0);
    const plain = await cli(['cleanup', '--kubeconfig', sim.kubeconfigPath]);
    assert.match(plain.stdout, /no stale probe pods/);
    const all = await cli(['cleanup', '--kubeconfig', sim.kubeconfigPath, '--all']);
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stderr, /a run in progress loses its probe/);
    assert.match(all.stdout, /deleted 1 probe pod\(s\)/);
    await liveDone;
  });

  it('signals at random moments of check --repair: every run exits 130, leaves no probe pod and no held Lease', async () => {
    // Repeated restarts of the same lineage are expected here: neither budget nor escalation may end a run early.
    const repair = [...base, '--cooldown', '0s', '--escalate-after', '100', '--restart-budget', '100/1h'];
    const healed = async () => {
      sim.faults.clear();
      await until('no DNS pod terminating', async () => !(await dnsPods()).some((p) => p.deletionTimestamp));
      await sim.waitReady(30_000);
    };
    const hangOne = async (i: number) => sim.faults.hangDns((await dnsPods()).filter((p) => !p.deletionTimestamp)[i % 3]!.name);
    // A whole repair run, unsignaled, measures how many API requests one makes on this machine; the
    // moments below are then drawn inside that span (a wall-clock draw may land after a fast run ended).
    await hangOne(0);
    const calibration = sim.requests.length;
    const whole = await cli(repair);
    assert.equal(whole.code, 0, whole.stderr);
    const span = sim.requests.length - calibration;
    assert.ok(span > 6, `a repair run made only ${span} requests`);
    await healed();

    const codes: (number | null)[] = [];
    for (let i = 0; i < 4; i++) {
      await hangOne(i + 1);
      const from = sim.requests.length;
      const child = startCli(repair);
      const done = finish(child);
      // From its first request on (before, Node is still parsing the bundle: nothing can be touched yet).
      const moment = 1 + Math.floor(Math.random() * (span - 2));
      await until(`request ${moment} of the run`, () => sim.requests.length - from >= moment || child.exitCode !== null);
      await sleep(Math.floor(Math.random() * 200));
      child.kill(i % 2 ? 'SIGINT' : 'SIGTERM');
      const run = await done;
      // A signal in the ~30 ms of Node's own teardown, after the run printed its whole report, kills the
      // process (no JavaScript runs then): that run had finished, so it counts with the code it reported.
      codes.push(run.code ?? run.json?.exitCode ?? null);
      assert.deepEqual(await probePodsLeft(sim.kubeconfigPath), [], `run ${i}: ${run.stderr}`);
      assert.equal((await lease())?.holderIdentity ?? '', '', `run ${i} left the Lease held`);
      await healed();
    }
    // A run that finished before its signal exits with its own code; none dies by the signal.
    assert.ok(codes.every((c) => c !== null), `died by a signal: ${codes.join(',')}`);
    assert.ok(codes.includes(130), codes.join(','));
  });
});
