// End to end: a signal in the first moments of the process — while Node still parses the CLI bundle,
// before any command runs — ends it with exit 130 and nothing in the cluster touched (issue 11). The
// launcher dist/cli.js installs the handling before it imports dist/cli-main.js. Module hooks
// (bundle-load-hooks.mjs) tell when the launcher asks for the bundle and can hold its load, so the
// signal lands in that phase on any machine however loaded.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startSim, type Sim } from '../sim/index.ts';
import { simOnly } from './cluster.ts';
import { connect } from '../../src/kube/index.ts';
import { buildCli, CLI, finish, probePodsLeft, type Run } from './cli.ts';

const NS = 'kube-system';
const DNS = 'k8s-app=kube-dns';
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const READS = new Set(['get', 'list', 'watch']);

before(function () {
  this.timeout(60_000);
  buildCli();
});

describe('a signal while the CLI loads (issue 11)', function () {
  this.timeout(60_000);
  before(function () {
    simOnly(this);
  });
  let sim: Sim;
  let dir: string;
  let repair: string[];

  before(async () => {
    sim = await startSim({ dns: { replicas: 2 }, timing: { scale: 0.1 } });
    await sim.waitReady(30_000);
    dir = mkdtempSync(join(tmpdir(), 'early-signals-'));
    repair = ['check', '--kubeconfig', sim.kubeconfigPath, '-o', 'json', '--timeout', '500ms', '--repair', '--cooldown', '0s'];
  });
  after(async () => {
    await sim?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** The CLI with a hung DNS pod to repair, signalled 50–100 ms after spawn, once the launcher asks for the bundle. */
  async function signalWhileLoading(sig: NodeJS.Signals, holdMs: number, i: number): Promise<{ run: Run; requests: number }> {
    sim.faults.hangDns((await connect({ kubeconfig: sim.kubeconfigPath }).client.listPods(NS, DNS))[0]!.name);
    const marker = join(dir, `bundle-requested-${i}`);
    const hooks = pathToFileURL(join(import.meta.dirname, 'bundle-load-hooks.mjs')).href;
    const register = `import{register}from"node:module";register(${JSON.stringify(hooks)},{data:${JSON.stringify({ marker, holdMs })}});`;
    const from = sim.requests.length;
    const child = spawn(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(register)}`, CLI, ...repair], { stdio: ['ignore', 'pipe', 'pipe'] });
    const done = finish(child);
    await sleep(50 + Math.floor(Math.random() * 50));
    // A loaded machine may not have reached the launcher yet: the signal waits for it (bounded).
    const end = Date.now() + 20_000;
    while (!existsSync(marker) && child.exitCode === null && Date.now() < end) await sleep(5);
    assert.ok(existsSync(marker), `the launcher never asked for dist/cli-main.js (exit ${child.exitCode})`);
    child.kill(sig);
    const run = await done;
    sim.faults.clear();
    return { run, requests: sim.requests.length - from };
  }

  for (const [i, sig] of (['SIGINT', 'SIGTERM'] as const).entries())
    it(`${sig} while the bundle loads (held 2 s) → exit 130, not one API request`, async () => {
      const { run, requests } = await signalWhileLoading(sig, 2000, i);
      assert.equal(run.code, 130, `exit ${run.code}: ${run.stderr}`);
      assert.equal(requests, 0);
      assert.deepEqual(await probePodsLeft(sim.kubeconfigPath), []);
    });

  it('SIGTERM as the launcher hands over to the bundle (not held) → exit 130, nothing in the cluster touched', async () => {
    const from = sim.requests.length;
    const { run } = await signalWhileLoading('SIGTERM', 0, 2);
    assert.equal(run.code, 130, `exit ${run.code}: ${run.stderr}`);
    const writes = sim.requests.slice(from).filter((r) => !READS.has(r.verb));
    assert.deepEqual(writes.map((r) => `${r.verb} ${r.resource}`), []);
    assert.deepEqual(await probePodsLeft(sim.kubeconfigPath), []);
  });
});
