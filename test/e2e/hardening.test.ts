// End to end: issue 23's findings from outside, on one sim with the built CLI — canaries of killed runs
// removed by the next run and by cleanup, control characters of cluster text escaped in human output,
// a signal during discovery ending the run at once, the narrowed RBAC manifests still enough for check,
// repair and cleanup (and a missing history rule an RBAC error, exit 3), JUnit suites named by context,
// probe pods and canaries carrying no host name.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { PLAN_ANNOTATION } from '../../src/probepod/plan-file.ts';
import { join } from 'node:path';
import type { Sim } from '../sim/index.ts';
import { kubeadmCorefile } from '../sim/cluster.ts';
import { serviceAccountRules } from '../sim/incluster.ts';
import { kubectl } from '../sim/sim-fixtures.ts';
import type { PolicyRule, SimUser } from '../sim/types.ts';
import { DNS_NAMESPACE as NS, dnsPods, sharedSim, sleep, until } from './cluster.ts';
import { connect, type KPod, type KService } from '../../src/kube/index.ts';
import { CANARY_SELECTOR } from '../../src/freshness/canary.ts';
import { PROBE_SELECTOR } from '../../src/probepod/spec.ts';
import { cli, finish, startCli } from './cli.ts';

const WRITES = new Set(['create', 'update', 'patch', 'delete']);
const port = process.getuid?.() === 0 ? 53 : 1053;
// A stub domain whose forwarder's text carries ESC [2J (clear screen), as a hostile Corefile could.
const corefile = `${kubeadmCorefile(port, 'cluster.local')}evil.example:${port} {\n    forward . 127.0.0.1:9\x1b[2J\n}\n`;

describe('issue 23 from outside: leaks, escapes, signals, RBAC', function () {
  this.timeout(120_000);
  let sim: Sim;
  let check: string[];
  // Killed runs leave probe pods the next run sweeps: the afterEach below waits for them instead.
  sharedSim({ dns: { replicas: 3, corefile }, timing: { scale: 0.1 } }, (started) => {
    sim = started;
    check = ['check', '--kubeconfig', sim.kubeconfigPath, '--timeout', '500ms', '--samples', '2'];
  }, { checkEachTest: false });
  const admin = () => connect({ kubeconfig: sim.kubeconfigPath }).client;
  const canaries = async (): Promise<KService[]> => admin().listServices('default', CANARY_SELECTOR);
  const probePods = async (): Promise<KPod[]> => admin().listPods('default', PROBE_SELECTOR);

  afterEach(async () => {
    sim.faults.clear();
    await until('no probe pod left', async () => (await probePods()).length === 0);
    assert.deepEqual((await canaries()).map((s) => s.name), [], 'a canary was left behind');
  });

  /** Starts check, kills it with SIGKILL once its canary exists (its probe's exec held by a fault); returns the canary. */
  async function killedWithCanary(): Promise<string> {
    const before = new Set((await canaries()).map((s) => s.name));
    sim.faults.api({ verb: 'exec', latencyMs: 20_000, count: 1 });
    const child = startCli(check);
    const done = finish(child);
    let canary: string | undefined;
    await until('the canary and the probe pod', async () => {
      canary = (await canaries()).map((s) => s.name).find((n) => !before.has(n));
      return canary !== undefined && (await probePods()).some((p) => p.phase === 'Running');
    });
    child.kill('SIGKILL');
    await done;
    // The kill may have come before the exec: the next run must not meet the held exec.
    sim.faults.clear();
    return canary!;
  }

  it('canaries of runs killed -9: the next run and cleanup delete them at once (same machine, run gone); none carries the host name', async () => {
    const first = await killedWithCanary();
    const second = await killedWithCanary();
    // The second run swept the first's canary before creating its own.
    assert.deepEqual((await canaries()).map((s) => s.name), [second], `${first} left`);
    // Only what the orphan sweep needs: a digest of host and boot, the pid and its start time.
    for (const o of [...(await canaries()), ...(await probePods())]) {
      // The budgets and the plan a probe pod carries (plan-file.ts) say nothing of the machine that ran it.
      const owner = Object.entries(o.annotations ?? {}).filter(([k]) => k.startsWith('coredns-sentinel/') && !k.endsWith('-budget-seconds') && k !== PLAN_ANNOTATION);
      assert.deepEqual(owner.map(([k]) => k).sort(), ['coredns-sentinel/owner-boot', 'coredns-sentinel/pid', 'coredns-sentinel/pid-start'], o.name);
      assert.ok(!JSON.stringify(o.annotations).includes(hostname()), `${o.name} names this host: ${JSON.stringify(o.annotations)}`);
    }
    const cleaned = await cli(['cleanup', '--kubeconfig', sim.kubeconfigPath]);
    assert.equal(cleaned.code, 0, cleaned.stderr);
    // The second run may have swept the first run's probe pod too, while its own started.
    assert.match(cleaned.stdout, /deleted [12] stale probe pod\(s\) in default/);
    assert.deepEqual(await probePods(), []);
    assert.match(cleaned.stdout, new RegExp(`deleted 1 stale freshness canary Service\\(s\\) in default: ${second}`));
    assert.deepEqual(await canaries(), []);

    const third = await killedWithCanary();
    const next = await cli([...check, '--log-level', 'info']);
    assert.equal(next.code, 0, next.stderr);
    assert.match(next.stderr, new RegExp(`deleted 1 old freshness canary Service\\(s\\): ${third}`));
  });

  it('cleanup leaves the canary of a run still going; cleanup --all deletes it, with a warning', async () => {
    // The run's exec is held long enough for two cleanups.
    sim.faults.api({ verb: 'exec', latencyMs: 10_000, count: 1 });
    const live = finish(startCli(check));
    await until('the live run\'s canary', async () => (await canaries()).length === 1 && (await probePods()).some((p) => p.phase === 'Running'));
    const plain = await cli(['cleanup', '--kubeconfig', sim.kubeconfigPath]);
    assert.equal(plain.code, 0, plain.stderr);
    assert.doesNotMatch(plain.stdout, /canary/);
    assert.equal((await canaries()).length, 1);
    const all = await cli(['cleanup', '--kubeconfig', sim.kubeconfigPath, '--all']);
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stderr, /every probe pod and canary Service/);
    assert.match(all.stdout, /deleted 1 freshness canary Service\(s\) in default/);
    await live;
  });

  it('a Corefile forwarder carrying ESC [2J: the table and the verdict line show it escaped, never raw; -o json keeps the data', async () => {
    sim.faults.stubDown('evil.example');
    const table = await cli([...check, '--log-level', 'info']);
    assert.equal(table.code, 1, table.stderr);
    assert.match(table.stdout, /stub domain evil\.example fails through its forwarder 127\.0\.0\.1:9\\x1b\[2J/);
    assert.ok(!/(?!\n)\p{Cc}/u.test(table.stdout + table.stderr), JSON.stringify(table.stdout));
    const json = await cli([...check, '-o', 'json']);
    assert.equal(json.code, 1, json.stderr);
    assert.ok(json.json?.reason?.includes('127.0.0.1:9\x1b[2J'), json.json?.reason);
  });

  it('SIGTERM during discovery with 1 s API latency: exit 130 within a second, no request after it, nothing created, says so', async () => {
    sim.faults.api({ latencyMs: 1000 });
    const from = sim.requests.length;
    const child = startCli([...check, '--mode', 'probe-pod']);
    const done = finish(child);
    // The first answered request; the next ones are in flight for another second.
    await until('the first request of the run', () => sim.requests.length > from);
    await sleep(500);
    const signalled = Date.now();
    child.kill('SIGTERM');
    const run = await done;
    const endedInMs = Date.now() - signalled;
    const atExit = sim.requests.length;
    assert.equal(run.code, 130, run.stderr);
    assert.ok(endedInMs < 1000, `ended ${endedInMs} ms after the signal`);
    assert.match(run.stderr, /interrupted during discovery: nothing was created in the cluster/);
    // Requests in flight at the signal still complete on the server (within their second); none starts after.
    await sleep(1500);
    const inFlight = sim.requests.length - atExit;
    assert.ok(inFlight <= 4, `${inFlight} requests answered after the run ended`);
    // (An exec held by an earlier test's fault may be answered in this window: not this run's.)
    assert.deepEqual(sim.requests.slice(from).filter((r) => WRITES.has(r.verb) && r.resource !== 'pods/exec').map((r) => `${r.verb} ${r.resource}`), []);
  });

  describe('the shipped RBAC, narrowed, bound in the sim', () => {
    let bound: SimUser;
    let rules: PolicyRule[];

    before(async () => {
      for (const file of ['manifests/rbac-check.yaml', 'manifests/rbac-repair.yaml'])
        await kubectl(sim.kubeconfigPath, ['create', '--validate=false', '-f', '-'], readFileSync(file, 'utf8').replaceAll('NAMESPACE_OF_PROBES', 'default'));
      rules = await serviceAccountRules(sim, 'default', 'coredns-sentinel-check');
      bound = sim.addUser('coredns-sentinel-check', rules);
    });

    const as = (user: SimUser) => ['check', '--kubeconfig', user.kubeconfigPath, '--timeout', '500ms', '--samples', '2', '-o', 'json'];
    const refused = (from: number, user: string) => sim.requests.slice(from).filter((r) => r.user === user && r.code === 403);

    it('check, check --repair of a hung pod and cleanup work with exactly the manifests\' rules: no request refused', async () => {
      const from = sim.requests.length;
      const healthy = await cli(as(bound));
      assert.equal(healthy.code, 0, healthy.stderr);
      assert.ok(!healthy.json?.notes.some((n) => /not readable|not checked/.test(n)), healthy.json?.notes.join('\n'));
      const [victim] = sim.dnsPods();
      sim.faults.hangDns(victim!.name);
      const repaired = await cli([...as(bound), '--repair', '--repair-timeout', '30s']);
      assert.equal(repaired.code, 0, repaired.stderr + repaired.stdout);
      assert.deepEqual(repaired.json?.repair?.actions.map((a) => [a.pod, a.outcome]), [[victim!.name, 'done']]);
      sim.faults.clear();
      const cleaned = await cli(['cleanup', '--kubeconfig', bound.kubeconfigPath, '--all']);
      assert.equal(cleaned.code, 0, cleaned.stderr);
      assert.deepEqual(refused(from, bound.name).map((r) => `${r.verb} ${r.resource} ${r.namespace ?? ''}/${r.name ?? ''}`), []);
      await until('no DNS pod terminating', async () => !(await dnsPods(sim)).some((p) => p.deletionTimestamp));
      await sim.waitReady(30_000);
    });

    it('without create on ConfigMaps (the repair history) nothing is restarted: exit 3 naming the rule, not exit 7', async () => {
      const noHistory = sim.addUser('no-history', rules.map((r) => ({ ...r, verbs: r.resources.includes('configmaps') ? r.verbs.filter((v) => v !== 'create') : r.verbs })).filter((r) => r.verbs.length));
      await kubectl(sim.kubeconfigPath, ['delete', 'configmap/coredns-sentinel-state', `-n`, NS, '--ignore-not-found']);
      const [victim] = sim.dnsPods();
      sim.faults.hangDns(victim!.name);
      const from = sim.requests.length;
      const run = await cli([...as(noHistory), '--repair']);
      assert.equal(run.code, 3, run.stderr + run.stdout);
      assert.match(run.stderr, /create configmaps coredns-sentinel-state in namespace kube-system: .*missing RBAC: grant create on configmaps in namespace kube-system \(Role coredns-sentinel-repair in manifests\/rbac-repair\.yaml\)/);
      assert.deepEqual(sim.requests.slice(from).filter((r) => r.resource === 'pods/eviction'), [], 'nothing restarted');
    });

    it('the JUnit suite is named by the kubeconfig\'s context', async () => {
      const file = join(sim.dir, 'h23.xml');
      const run = await cli([...as(bound), '--junit', file]);
      assert.equal(run.code, 0, run.stderr);
      const context = /current-context: (\S+)/.exec(readFileSync(bound.kubeconfigPath, 'utf8'))?.[1];
      assert.ok(context);
      assert.match(readFileSync(file, 'utf8'), new RegExp(`<testsuite name="${context.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`));
    });
  });
});
