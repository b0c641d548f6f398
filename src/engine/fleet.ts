// Many clusters in one run (--context a,b,c, --all-contexts): the same cycle per context, at most
// `parallel` at a time. A cluster that errors is one entry with its error, never the end of the run;
// each cluster's repair takes its own Lease in its own cluster. The exit code is the worst of all.
import { contextNames } from '../kube/index.ts';
import { errorOutput, type FleetCluster, type Progress } from '../report/index.ts';
import { EXIT } from '../common/exit-codes.ts';
import type { Logger } from '../common/logger.ts';
import { bounded } from '../common/bounded.ts';
import { prepareCycle } from './context.ts';
import { runCycle } from './cycle.ts';
import { failureOf } from '../common/errors.ts';
import { chooseProber } from './probers.ts';
import type { CheckSettings } from './settings.ts';

export type ClusterResult = FleetCluster;

/** Worst first: repair incomplete, escalation, usage/kubeconfig, API, probe, lock, unhealthy, healthy. */
const SEVERITY: number[] = [EXIT.repairIncomplete, EXIT.manualIntervention, EXIT.usage, EXIT.cluster, EXIT.probe, EXIT.locked, EXIT.unhealthy, EXIT.healthy];

/** The worst of several exit codes (an unknown code counts as the worst). Pure. */
export function worstExitCode(codes: number[]): number {
  const rank = (c: number) => (SEVERITY.includes(c) ? SEVERITY.indexOf(c) : -1);
  return codes.reduce((worst, c) => (rank(c) < rank(worst) ? c : worst), EXIT.healthy);
}

/** The contexts a fleet run covers: the named ones in order, or every context of the kubeconfig. */
export function fleetContexts(settings: CheckSettings): string[] {
  const fleet = settings.fleet;
  if (!fleet) return [];
  return fleet.contexts === 'all' ? contextNames({ kubeconfig: settings.kubeconfig }) : fleet.contexts;
}

export interface FleetDeps {
  log: Logger;
  progress: Progress;
  /** SIGINT/SIGTERM: every cluster's cycle cleans up and ends Interrupted. */
  signal?: AbortSignal;
}

export async function runFleet(settings: CheckSettings, deps: FleetDeps): Promise<ClusterResult[]> {
  const contexts = fleetContexts(settings);
  return bounded(contexts, settings.fleet?.parallel ?? 1, async (context) => {
    const started = Date.now();
    const log = { ...deps.log };
    for (const level of ['error', 'warn', 'info', 'debug'] as const) log[level] = (message, meta) => deps.log[level](`[${context}] ${message}`, meta);
    try {
      const ctx = prepareCycle({ ...settings, context }, log);
      const { prober, workload } = await chooseProber(ctx, deps.progress, deps.signal);
      const cycle = await runCycle({ ctx, prober, progress: deps.progress, log, ...(deps.signal ? { signal: deps.signal } : {}), ...(workload ? { discovered: workload } : {}) });
      return { context, durationMs: Date.now() - started, output: cycle.output };
    } catch (err) {
      const { exitCode, line } = failureOf(err);
      return { context, durationMs: Date.now() - started, output: errorOutput(line, exitCode) };
    }
  });
}
