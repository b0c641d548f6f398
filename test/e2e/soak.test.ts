// End to end: `watch --repair --interval 2s` keeps up with repeated faults (issue 11) — a pod hung, then
// (once the Deployment is whole again) the next pod, six times: twice round the three lineages, the
// second round hanging the replacements of the first (cooldown 5 s, per lineage). Behaviour, not timings: every injected
// fault repaired, each hung pod restarted exactly once and no other pod restarted, never two of the
// three replicas unavailable at once. Each fault waits for the previous one's repair (bounded), so a slow,
// loaded machine stretches the soak instead of stacking faults the test, not the tool, would be blamed
// for. The pods are watched (test/e2e/pod-watch.ts), so every moment with two replicas unavailable is
// seen, not sampled. bench:chaos runs the 60 s soak with a client load and prints the figures.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { startSim, type Sim } from '../sim/index.ts';
import { simOnly } from './cluster.ts';
import { buildCli, CLI, probePodsLeft } from './cli.ts';
import { connect } from '../../src/kube/index.ts';
import { watchPods, type WatchedPod } from './pod-watch.ts';
import { LOCK_NAME } from '../../src/repair/lock.ts';

const NS = 'kube-system';
const DNS = 'k8s-app=kube-dns';
const REPLICAS = 3;
// Twice round the three lineages: the second round hangs the replacements of the first.
const FAULTS = 6;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

before(function () {
  this.timeout(60_000);
  buildCli();
});

describe('soak: watch --repair with a pod hung again and again (issue 11)', function () {
  this.timeout(240_000);
  before(function () {
    simOnly(this);
  });
  let sim: Sim;

  before(async () => {
    sim = await startSim({ dns: { replicas: REPLICAS }, timing: { scale: 0.1 } });
    await sim.waitReady(30_000);
  });
  after(async () => {
    await sim?.stop();
  });

  it(`${FAULTS} faults in a row: each repaired, no false restart, never two pods unavailable`, async () => {
    const { client } = connect({ kubeconfig: sim.kubeconfigPath });
    const from = sim.requests.length;
    const child = spawn(process.execPath, [CLI, 'watch', '--kubeconfig', sim.kubeconfigPath, '--interval', '2s', '--metrics-addr', '127.0.0.1:0', '-o', 'json', '--timeout', '500ms', '--samples', '2',
      '--repair', '--repair-timeout', '30s', '--cooldown', '5s', '--restart-budget', '20/1h'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.stdout.resume();
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const hung = new Set<string>();
    let twoDown = 0;
    let wasTwoDown = false;
    let pods: WatchedPod[] = [];
    let waiting: { cond: () => boolean; met: () => void } | undefined;
    const serving = () => pods.filter((p) => !p.terminating && p.ready);
    /** After every change of the pods (or of the hung set): count the moments with two replicas unavailable. */
    const observe = () => {
      // Unavailable: a missing or not-Ready replica, or a Ready one that is hung.
      const unavailable = REPLICAS - serving().filter((p) => !hung.has(p.name)).length;
      if (unavailable >= 2 && !wasTwoDown) twoDown++;
      wasTwoDown = unavailable >= 2;
      if (waiting?.cond()) waiting.met();
    };
    const watch = await watchPods(sim, NS, DNS, (now) => {
      pods = now;
      observe();
    });
    /** Resolves on the change that makes `cond` hold, or fails after `ms`. */
    const watchUntil = (what: string, cond: () => boolean, ms: number) =>
      new Promise<void>((resolve, reject) => {
        if (cond()) return resolve();
        const timer = setTimeout(() => {
          waiting = undefined;
          reject(new Error(`timed out waiting for ${what} (watch: ${stderr.slice(-500)})`));
        }, ms);
        waiting = {
          cond,
          met: () => {
            clearTimeout(timer);
            waiting = undefined;
            resolve();
          },
        };
      });
    const whole = () => serving().filter((p) => !hung.has(p.name)).length === REPLICAS && !pods.some((p) => p.terminating);
    try {
      await watchUntil('the Deployment whole', whole, 30_000);
      for (let i = 0; i < FAULTS; i++) {
        // The pod that has served longest: its lineage's restart is the oldest (the cooldown is per lineage).
        const victim = serving().sort((a, b) => Date.parse(a.startTime ?? '') - Date.parse(b.startTime ?? ''))[0]!;
        sim.faults.hangDns(victim.name);
        hung.add(victim.name);
        observe();
        await watchUntil(`fault ${i + 1} (${victim.name}) repaired`, () => !pods.some((p) => p.name === victim.name && !p.terminating), 60_000);
        await watchUntil(`the Deployment whole after fault ${i + 1}`, whole, 60_000);
      }
      // A few more cycles on the healthy Deployment (the watch goes on observing): none may restart anything.
      const cyclesFrom = sim.requests.length;
      const cycled = () => sim.requests.slice(cyclesFrom).filter((r) => r.verb === 'create' && r.resource === 'pods' && r.namespace === 'default').length >= 2;
      for (const end = Date.now() + 60_000; !cycled(); await sleep(200)) assert.ok(Date.now() < end, `timed out waiting for two more cycles (watch: ${stderr.slice(-500)})`);
    } finally {
      watch.stop();
      child.kill('SIGTERM');
      sim.faults.clear();
    }
    const code = await exited;
    assert.ok(code === 0 || code === 130, `watch exited ${code}: ${stderr}`);
    const evicted = sim.requests.slice(from).filter((r) => r.resource === 'pods/eviction' && r.code < 300 && r.namespace === NS).map((r) => r.name ?? '');
    assert.deepEqual([...evicted].sort(), [...hung].sort(), 'each hung pod restarted once, no other pod restarted');
    assert.equal(twoDown, 0, 'moments with two pods unavailable');
    assert.deepEqual(await probePodsLeft(sim.kubeconfigPath), []);
    assert.equal((await client.getLease(NS, LOCK_NAME))?.holderIdentity ?? '', '');
  });
});
