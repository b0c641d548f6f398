// Where the end-to-end suite runs: the simulated cluster (default), or a real cluster when
// SENTINEL_E2E_KUBECONFIG names a kubeconfig. The tests drive the same built CLI either way; tests that
// need the sim's fault injection or request log skip themselves on a real cluster, saying why.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSim, type Sim } from '../sim/index.ts';
import type { SimOptions } from '../sim/types.ts';
import { probePodsLeft } from './cli.ts';

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
