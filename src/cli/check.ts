// `check`: complete (kubeconfig, config file, probe bundle) → validate → run one cycle: sweep stale
// probe pods, discover, plan, probe pod(s), judge, report. Without --repair it changes nothing but its
// own probe pods; with --repair, src/repair/cycle.ts takes the judgement further.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type winston from 'winston';
import { connect, KubeError, type RepairKubeClient } from '../kube/index.ts';
import { discoverWorkload, DiscoverError } from '../discover/discover.ts';
import type { DnsWorkload } from '../discover/types.ts';
import { buildPlan, ConfigError, parsePlanConfig, resolvePlanOptions, type PlanConfig } from '../plan/index.ts';
import { runProbePods, sweepStalePods, ProbePodError, type ProbeRunResult } from '../probepod/lifecycle.ts';
import { probeImageMode } from '../probepod/spec.ts';
import { checkOutput, errorOutput, overallVerdict, render, targetResults, type CheckOutput, type Progress, type RepairSection } from '../report/index.ts';
import { judge } from '../judge/judge.ts';
import type { JudgeInput, Judgement } from '../judge/types.ts';
import { LockedError } from '../repair/lock.ts';
import type { CheckPlan } from '../probe/contract.ts';
import { EXIT } from '../report/exit-codes.ts';
import { UsageError, type CheckOptions } from './options.ts';

/** Where the bundled probe is: next to dist/cli.js, or <repo>/dist when running from src via tsx. */
export function probeBundlePath(moduleUrl: string = import.meta.url): string {
  const relative = moduleUrl.endsWith('.ts') ? '../../dist/probe.cjs' : './probe.cjs';
  return fileURLToPath(new URL(relative, moduleUrl));
}

/** The exit code and one line for anything a run can throw. */
export function failureOf(err: unknown): { exitCode: number; line: string } {
  if (err instanceof UsageError || err instanceof ConfigError) return { exitCode: EXIT.usage, line: err.message };
  if (err instanceof KubeError) return { exitCode: err.kind === 'config' ? EXIT.usage : EXIT.cluster, line: err.line };
  if (err instanceof DiscoverError) return { exitCode: EXIT.cluster, line: err.line };
  if (err instanceof ProbePodError) return { exitCode: EXIT.probe, line: err.line };
  if (err instanceof LockedError) return { exitCode: EXIT.locked, line: err.line };
  return { exitCode: EXIT.cluster, line: `unexpected error: ${(err as Error)?.message ?? String(err)} (please report this)` };
}

export interface Completed {
  options: CheckOptions;
  client: RepairKubeClient;
  probeNamespace: string;
  config?: PlanConfig;
  probeSource?: string;
}

/** Fills what the flags leave open: kubeconfig and client, config file, probe bundle. Throws one-line errors. */
export function completeCheck(options: CheckOptions): Completed {
  let config: PlanConfig | undefined;
  if (options.configFile) {
    let text: string;
    try {
      text = readFileSync(options.configFile, 'utf8');
    } catch (err) {
      throw new ConfigError(`${options.configFile}: cannot read it (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    config = parsePlanConfig(text, options.configFile);
  }
  let probeSource: string | undefined;
  if (probeImageMode(options.probeImage) === 'inline') {
    const bundle = probeBundlePath();
    if (!existsSync(bundle)) throw new UsageError('probe bundle not found: run `make build`');
    probeSource = readFileSync(bundle, 'utf8');
  }
  const { client, contextNamespace } = connect({ kubeconfig: options.kubeconfig, context: options.context, requestTimeoutMs: options.requestTimeoutMs });
  return { options, client, probeNamespace: options.probeNamespace ?? contextNamespace, ...(config ? { config } : {}), ...(probeSource ? { probeSource } : {}) };
}

export interface StageTimings {
  sweepMs: number;
  discoverMs: number;
  planMs: number;
  createMs: number;
  startMs: number;
  execMs: number;
  deleteMs: number;
  totalMs: number;
}

/** What one probe cycle saw, before judging. */
export interface ProbedCycle {
  workload: DnsWorkload;
  plan: CheckPlan;
  /** The first is the primary probe; the others corroborate. */
  runs: ProbeRunResult[];
  timings: StageTimings;
}

export interface CycleResult extends ProbedCycle {
  judgement: Judgement;
  output: CheckOutput;
}

/** What the judge needs besides the probes: history, thresholds, log evidence. */
export type JudgeContext = Pick<JudgeInput, 'previousFailures' | 'evidence' | 'config'>;

export function judgeCycle(p: ProbedCycle, ctx: JudgeContext): Judgement {
  const [primary, ...others] = p.runs;
  return judge({
    plan: p.plan,
    workload: p.workload,
    primary: { report: primary!.report, node: primary!.node },
    corroborating: others.map((r) => ({ report: r.report, node: r.node })),
    ...ctx,
  });
}

/** The report of a judged cycle; the exit code follows the judgement unless given. */
export function cycleOutput(p: ProbedCycle, judgement: Judgement, requests: number, exitCode?: number, repair?: RepairSection): CheckOutput {
  const targets = targetResults(p.plan, p.runs[0]!.report, p.workload, judgement);
  const verdict = overallVerdict(judgement, targets);
  const output = checkOutput(
    {
      workload: p.workload,
      plan: p.plan,
      targets,
      requests,
      probes: p.runs.map((r) => ({ pod: r.pod, node: r.node, durationMs: r.report.durationMs })),
      classification: judgement.classification,
      reason: judgement.reason,
      notes: judgement.notes,
    },
    verdict,
    exitCode ?? (verdict.healthy ? EXIT.healthy : EXIT.unhealthy),
  );
  return repair ? { ...output, repair } : output;
}

/** Nodes for --probe-nodes N: the DNS pods' nodes, so a corroborating probe sees the same pods from elsewhere. */
export function probeNodes(workload: DnsWorkload, count: number): string[] {
  if (count <= 1) return [];
  return [...new Set(workload.pods.map((p) => p.node).filter(Boolean))].sort().slice(0, count);
}

/** Probe options shared by every probe pod of a run. */
export function probeRunOptions(c: Completed, progress: Progress, onInterrupted: () => void, nodes: string[]) {
  const { options } = c;
  return {
    namespace: c.probeNamespace,
    image: options.probeImage,
    ...(c.probeSource ? { probeSource: c.probeSource } : {}),
    nodeSelector: options.nodeSelector,
    tolerations: options.tolerations,
    imagePullSecrets: options.imagePullSecrets,
    podTimeoutMs: options.podTimeoutMs,
    nodes,
    onStage: (stage: 'probe pod' | 'exec', detail: string) => progress.stage(stage, detail),
    onInterrupted,
  };
}

/** Sweep, discover, plan and probe; throws KubeError/DiscoverError/ProbePodError for the caller to map. */
export async function probeCycle(c: Completed, progress: Progress, log: winston.Logger, onInterrupted: () => void): Promise<ProbedCycle> {
  const { options, client } = c;
  const started = Date.now();
  let t = Date.now();
  const swept = await sweepStalePods(client, c.probeNamespace).catch((err: unknown) => {
    log.warn(`could not sweep stale probe pods in namespace ${c.probeNamespace}: ${err instanceof KubeError ? err.line : String(err)}`);
    return [];
  });
  if (swept.length) log.info(`deleted ${swept.length} stale probe pod(s): ${swept.join(', ')}`);
  const sweepMs = Date.now() - t;

  progress.stage('discover', `${options.selector} in namespace ${options.namespace}`);
  t = Date.now();
  const workload = await discoverWorkload(client, { namespace: options.namespace, labelSelector: options.selector, serviceName: options.service, configMapName: options.configmap });
  const discoverMs = Date.now() - t;
  for (const note of workload.notes ?? []) log.warn(note);

  progress.stage('plan', `${workload.pods.length} pods, cluster domain ${workload.zones.clusterDomain}`);
  t = Date.now();
  const plan = buildPlan(workload, resolvePlanOptions(options.plan, c.config));
  const planMs = Date.now() - t;
  log.debug('plan built', { targets: plan.targets.length, queries: plan.queries.length });

  const nodes = probeNodes(workload, options.probeNodes);
  if (options.probeNodes > 1 && nodes.length < options.probeNodes) workload.notes?.push(`--probe-nodes ${options.probeNodes}: only ${nodes.length} distinct DNS pod nodes to probe from`);
  const runs = await runProbePods(client, plan, probeRunOptions(c, progress, onInterrupted, nodes));
  const primary = runs[0]!;
  const timings: StageTimings = {
    sweepMs,
    discoverMs,
    planMs,
    createMs: primary.timings.createMs,
    startMs: primary.timings.startMs,
    execMs: primary.timings.execMs,
    deleteMs: primary.timings.deleteMs,
    totalMs: Date.now() - started,
  };
  return { workload, plan, runs, timings };
}

/** One check cycle, judged (no history, no repair): what `check` without --repair runs. */
export async function runCycle(c: Completed, progress: Progress, log: winston.Logger, onInterrupted: () => void, ctx: JudgeContext = {}): Promise<CycleResult> {
  const probed = await probeCycle(c, progress, log, onInterrupted);
  progress.stage('judge', `${probed.plan.targets.length} targets`);
  const judgement = judgeCycle(probed, { config: c.options.judge, ...ctx });
  progress.done();
  return { ...probed, judgement, output: cycleOutput(probed, judgement, c.client.requestCount) };
}

/** Prints the outcome; returns the exit code. Errors: one line on stderr (and the error shape with -o json|yaml). */
export function printOutcome(outcome: { output: CheckOutput } | { error: unknown }, format: CheckOptions['output']): number {
  if ('output' in outcome) {
    process.stdout.write(render(outcome.output, format));
    return outcome.output.exitCode;
  }
  const { exitCode, line } = failureOf(outcome.error);
  process.stderr.write(`error: ${line}\n`);
  if (format !== 'table') process.stdout.write(render(errorOutput(line, exitCode), format));
  return exitCode;
}
