// Where the end-to-end suite runs: the simulated cluster (default), or a real cluster when
// SENTINEL_E2E_KUBECONFIG names a kubeconfig. The tests drive the same built CLI either way; tests that
// need the sim's fault injection or request log skip themselves on a real cluster, saying why.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { startSim, type Sim } from '../sim/index.ts';
import type { SimOptions } from '../sim/types.ts';
import { waitFor } from '../sim/sim-fixtures.ts';
import { connect, type KPod } from '../../src/kube/index.ts';
import { LOCK_NAME } from '../../src/repair/lock.ts';
import { QUARANTINE_LABEL } from '../../src/repair/quarantine.ts';
import { STATE_NAME } from '../../src/repair/state.ts';
import { buildCli, probePodsLeft } from './cli.ts';

export const REAL_KUBECONFIG = process.env.SENTINEL_E2E_KUBECONFIG || undefined;

export interface E2ECluster {
  kubeconfigPath: string;
  /** A scratch directory for config files the tests write. */
  dir: string;
  /** Present on the simulated cluster only. */
  sim?: Sim;
  /** The probe pods this tool left in the probe namespace (must always be none). */
  probePodsLeft(): Promise<string[]>;
  stop(): Promise<void>;
}

/** Starts the sim with `options`, or connects to the real cluster (where `options` do not apply). */
export async function startCluster(options: SimOptions = {}): Promise<E2ECluster> {
  if (REAL_KUBECONFIG) {
    const dir = mkdtempSync(join(tmpdir(), 'sentinel-e2e-'));
    return {
      kubeconfigPath: REAL_KUBECONFIG,
      dir,
      probePodsLeft: () => probePodsLeft(REAL_KUBECONFIG),
      stop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const sim = await startSim(options);
  await sim.waitReady(60_000);
  return { kubeconfigPath: sim.kubeconfigPath, dir: sim.dir, sim, probePodsLeft: () => probePodsLeft(sim.kubeconfigPath), stop: () => sim.stop() };
}

/** The sim, or skips the running test on a real cluster (faults can only be injected in the sim). */
export function needsSim(ctx: Mocha.Context, cluster: E2ECluster): Sim {
  if (!cluster.sim) ctx.skip();
  return cluster.sim;
}

/** For whole describe blocks that only make sense on the sim (a chosen replica count, port, namespace). */
export function simOnly(ctx: Mocha.Context): void {
  if (REAL_KUBECONFIG) ctx.skip();
}

export interface KubectlRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The real kubectl against a cluster, asynchronously (the sim's API server runs in this process and
 * must keep serving meanwhile); `input` is its stdin (`apply -f -`).
 */
export function kubectl(kubeconfig: string, args: string[], input?: string): Promise<KubectlRun> {
  const child = spawn('kubectl', ['--kubeconfig', kubeconfig, '--request-timeout', '20s', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.end(input ?? '');
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
}

/** Three CoreDNS replicas, the kubelet's timing scaled to a tenth: grace periods and back-offs of seconds. */
export const THREE_REPLICAS: SimOptions = { dns: { replicas: 3 }, timing: { scale: 0.1 } };

/** `check` against `kubeconfig` with short probes (2 samples of at most 500 ms), its report as JSON. */
export const quickCheck = (kubeconfig: string): string[] => ['check', '--kubeconfig', kubeconfig, '-o', 'json', '--timeout', '500ms', '--samples', '2'];

/** --repair, with time for a replacement pod to become Ready on the sim. */
export const REPAIR = ['--repair', '--repair-timeout', '30s'];

/** Where the sim plays CoreDNS unless a preset or `dns` option moves it. */
export const DNS_NAMESPACE = 'kube-system';
export const DNS_SELECTOR = 'k8s-app=kube-dns';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits until `cond` holds, polling every 50 ms for at most `ms`. */
export const until = async (what: string, cond: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> => void (await waitFor(what, cond, ms));

/** The sim's CoreDNS pods as the API lists them (terminating ones too). */
export const dnsPods = (sim: Sim): Promise<KPod[]> => connect({ kubeconfig: sim.kubeconfigPath }).client.listPods(DNS_NAMESPACE, DNS_SELECTOR);

/**
 * One sim for the tests of the calling describe block (skipped on a real cluster): the CLI built, the
 * sim started and its DNS Ready before the first test, `started` told (to keep it and derive the
 * arguments from it), the sim stopped after the last test. After each test its faults are cleared and
 * no probe pod may be left, unless `checkEachTest` is false (a file that waits for killed runs' pods).
 */
export function sharedSim(options: SimOptions, started: (sim: Sim) => void, { checkEachTest = true } = {}): void {
  let sim: Sim | undefined;
  before(async function () {
    simOnly(this);
    this.timeout(90_000);
    buildCli();
    sim = await startSim(options);
    await sim.waitReady(60_000);
    started(sim);
  });
  if (checkEachTest)
    afterEach(async () => {
      sim!.faults.clear();
      assert.deepEqual(await probePodsLeft(sim!.kubeconfigPath), [], 'a probe pod was left behind');
    });
  after(async () => sim?.stop());
}

/**
 * Between tests that repair: faults off; the repair history, the Lease, a test's PodDisruptionBudget and
 * pods a run quarantined gone; no DNS pod terminating and every one Ready; no probe pod left behind.
 */
export async function resetRepairState(sim: Sim): Promise<void> {
  sim.faults.clear();
  const removed = await kubectl(sim.kubeconfigPath, ['delete', `configmap/${STATE_NAME}`, `lease/${LOCK_NAME}`, 'poddisruptionbudget/coredns', '-n', DNS_NAMESPACE, '--ignore-not-found']);
  assert.equal(removed.status, 0, removed.stderr);
  await kubectl(sim.kubeconfigPath, ['delete', 'pods', '-l', QUARANTINE_LABEL, '-n', DNS_NAMESPACE, '--grace-period', '0', '--wait=false']);
  await until('no DNS pod terminating', async () => !(await dnsPods(sim)).some((p) => p.deletionTimestamp));
  await sim.waitReady(30_000);
  assert.deepEqual(await probePodsLeft(sim.kubeconfigPath), [], 'a probe pod was left behind');
}
