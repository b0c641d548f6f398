// One sentinel cycle: probe, judge (with the shared history), and — with repair enabled — corroborate,
// diagnose, plan, lock, repair one pod at a time with verification, record, report. `check` runs it
// once; `watch` runs it in a loop. Safety rules: /work/shared/design.md "Safety rules of repair".
import type winston from 'winston';
import { KubeError } from '../kube/index.ts';
import type { DnsWorkload } from '../discover/types.ts';
import type { JudgeConfig, Judgement, TargetVerdict } from '../judge/types.ts';
import type { PodEvidence } from '../judge/diagnose.ts';
import { runProbePods, ProbePodError } from '../probepod/lifecycle.ts';
import type { CheckOutput, Progress, RepairEntry, RepairSection } from '../report/index.ts';
import { cycleOutput, judgeCycle, probeCycle, probeRunOptions, type Completed, type ProbedCycle } from '../cli/check.ts';
import { EXIT } from '../report/exit-codes.ts';
import type { CheckOptions } from '../cli/options.ts';
import { emptyHistory, nextHistory, previousFailures, type History } from './history.ts';
import { DEFAULT_REPAIR_CONFIG, lineageOf, planRepairs, type Escalation, type RepairAction, type RepairConfig, type RepairPlan } from './policy.ts';
import { withDefaults } from '../judge/types.ts';
import { acquireLock, DEFAULT_LEASE_SECONDS, LockedError, type RepairLock } from './lock.ts';
import { readHistory, updateHistory } from './state.ts';
import { EVENT_REASONS, executeRepairs } from './execute.ts';

export interface RepairSettings {
  /** Repair at all (--repair). Without it the cycle only judges (history kept in `state`, if given). */
  enabled: boolean;
  /** Print what would be done and change nothing: no lease, no state write, no event, no eviction. */
  dryRun: boolean;
  policy?: Partial<RepairConfig>;
  /** Judge thresholds; default: the check options' (--fail-samples, --confirm-cycles, --latency-threshold). */
  judge?: Partial<JudgeConfig>;
  /** Bound on each repair action (PDB retries + wait for a Ready replacement); default 2 minutes. */
  timeoutMs?: number;
  /** The repair Lease's duration; default 60 s. */
  leaseSeconds?: number;
}

/** The settings `check` and `watch` run their cycles with, from the validated flags. */
export const repairSettings = (o: CheckOptions): RepairSettings => ({
  enabled: o.repair.enabled,
  dryRun: o.repair.dryRun,
  policy: o.repair.policy,
  judge: o.judge,
  timeoutMs: o.repair.timeoutMs,
});

/** Carried across cycles by `watch`: the history when repair is off (with repair it lives in the cluster). */
export interface SentinelState {
  history: History;
}

export interface SentinelCycle {
  /** The report (after repairs, when they ran), with its Repair section. */
  output: CheckOutput;
  exitCode: number;
  /** The judgement the output shows (the verification cycle's, when repairs ran). */
  judgement: Judgement;
  repairs: RepairEntry[];
  escalations: number;
}

const DEFAULT_REPAIR_TIMEOUT_MS = 120_000;
const LOG_TAIL_LINES = 50;

/** Rule 2: every pod fails from the only probe → probe again from another DNS pod node before concluding. */
async function corroborate(c: Completed, probed: ProbedCycle, judgement: Judgement, progress: Progress, log: winston.Logger, onInterrupted: () => void): Promise<ProbedCycle> {
  if (judgement.classification !== 'uncorroborated' || probed.runs.length > 1) return probed;
  const primaryNode = probed.runs[0]!.node;
  const other = [...new Set(probed.workload.pods.map((p) => p.node))].filter((n) => n && n !== primaryNode).sort()[0];
  const note = (text: string) => ({ ...probed, workload: { ...probed.workload, notes: [...(probed.workload.notes ?? []), text] } });
  // No DNS pod lives elsewhere (one replica, or all on the probe's node): let the scheduler place it; the
  // judge ignores a corroborating probe that lands on the primary's node.
  const nodes = other ? [other] : [];
  log.info(`every CoreDNS pod fails from node ${primaryNode}: corroborating from ${other ? `node ${other}` : 'another probe pod'}`);
  try {
    const runs = await runProbePods(c.client, probed.plan, probeRunOptions(c, progress, onInterrupted, nodes));
    return { ...probed, runs: [...probed.runs, ...runs] };
  } catch (err) {
    if (!(err instanceof ProbePodError || err instanceof KubeError)) throw err;
    return note(`corroborating probe${other ? ` on node ${other}` : ''} failed: ${err.line}`);
  }
}

/** Rule 4: logs of pods a restart cannot help (the previous container's when it crashed), for the diagnosis. */
async function readEvidence(c: Completed, workload: DnsWorkload, judgement: Judgement, log: winston.Logger): Promise<Record<string, PodEvidence>> {
  const evidence: Record<string, PodEvidence> = {};
  const unhelpable = judgement.targets.filter((t) => t.classification === 'not-repairable' && t.pod);
  for (const t of unhelpable) {
    const pod = workload.pods.find((p) => p.name === t.pod!.name);
    if (!pod) continue;
    const crashed = pod.waitingReason === 'CrashLoopBackOff' || pod.restartCount > 0;
    const read = (previous: boolean) => c.client.readPodLog(workload.namespace, pod.name, { tailLines: LOG_TAIL_LINES, previous });
    try {
      evidence[pod.name] = { logs: await read(crashed).catch((err: unknown) => (crashed ? read(false) : Promise.reject(err))) };
    } catch (err) {
      log.warn(`could not read the logs of ${pod.name}: ${err instanceof KubeError ? err.line : String(err)}`);
    }
  }
  return evidence;
}

/**
 * Pods a restart cannot help that keep failing cycle after cycle: escalate instead of waiting forever
 * (and never restart them). Raised after more than `escalateAfter` consecutive failing cycles. Pure.
 */
export function persistentEscalations(judgement: Judgement, history: History, config: Partial<RepairConfig>, namespace: string): Escalation[] {
  const { escalateAfter } = withDefaults(DEFAULT_REPAIR_CONFIG, config);
  const stuck = judgement.targets.filter((t): t is TargetVerdict & { pod: NonNullable<TargetVerdict['pod']> } =>
    t.classification === 'not-repairable' && t.status === 'fail' && !!t.pod && t.consecutiveFailures > escalateAfter);
  return stuck.map((t) => {
    const lineage = lineageOf(namespace, t.pod.name, t.pod.deployment);
    const signature = `not-repairable:${t.signature}`;
    const since = history.targets[t.key]?.since ?? new Date().toISOString();
    return {
      pod: t.pod.name,
      lineage,
      signature,
      since,
      isNew: !history.escalations.some((e) => e.lineage === lineage && e.signature === signature),
      evidence: [`${t.consecutiveFailures} failing cycles in a row since ${since}: ${t.reason}`, ...(t.diagnosis ?? []).map((d) => `log: ${d.evidence}`)],
    };
  });
}

/**
 * The cycle without the targets of terminating pods: they left the Service's endpoints and are being
 * replaced, so their failures say nothing about DNS now (a replaced hung pod keeps failing until its
 * grace period ends). They stay in the workload, where they count as unavailable. Pure.
 */
export function withoutTerminating(p: ProbedCycle): ProbedCycle {
  const leaving = new Set(p.workload.pods.filter((pod) => pod.terminating).flatMap((pod) => pod.ips));
  const targetIds = new Set(p.plan.targets.filter((t) => t.kind === 'pod' && leaving.has(t.address)).map((t) => t.id));
  if (targetIds.size === 0) return p;
  const keep = <T extends { targetId: string }>(xs: T[]) => xs.filter((x) => !targetIds.has(x.targetId));
  return {
    ...p,
    plan: { ...p.plan, targets: p.plan.targets.filter((t) => !targetIds.has(t.id)) },
    runs: p.runs.map((r) => ({ ...r, report: { ...r.report, results: keep(r.report.results), targets: keep(r.report.targets) } })),
  };
}

const describe = (a: RepairAction): string => (a.method === 'rollout' ? `deployment/${a.deployment}` : (a.pod ?? ''));
const escalationView = (e: Escalation) => ({ pod: e.pod, evidence: e.evidence, isNew: e.isNew });

function exitCodeOf(judgement: Judgement, escalations: Escalation[]): number {
  if (escalations.length > 0) return EXIT.manualIntervention;
  return judgement.verdict === 'healthy' ? EXIT.healthy : EXIT.unhealthy;
}

async function emitEscalations(c: Completed, escalations: Escalation[], workload: DnsWorkload, log: winston.Logger): Promise<void> {
  for (const e of escalations.filter((x) => x.isNew)) {
    const deployment = workload.pods.find((p) => p.name === e.pod)?.deployment ?? workload.deployment?.name;
    const involved = deployment ? { kind: 'Deployment' as const, name: deployment, apiVersion: 'apps/v1' } : { kind: 'Pod' as const, name: e.pod, apiVersion: 'v1' };
    await c.client
      .createEvent({ namespace: workload.namespace, involved, reason: EVENT_REASONS.escalation, type: 'Warning', message: `manual intervention required: ${e.evidence.join('; ')}`.slice(0, 1000) })
      .catch((err: unknown) => log.warn(`could not record Event ${EVENT_REASONS.escalation}: ${err instanceof KubeError ? err.line : String(err)}`));
  }
}

interface Planned {
  plan: RepairPlan;
  escalations: Escalation[];
}

function planCycle(judgement: Judgement, workload: DnsWorkload, history: History, policy: Partial<RepairConfig>): Planned {
  const plan = planRepairs(judgement, workload, history, policy, new Date());
  return { plan, escalations: [...plan.escalations, ...persistentEscalations(judgement, history, policy, workload.namespace)] };
}

/** One cycle of the sentinel. Throws KubeError/DiscoverError/ProbePodError before any change is made. */
export async function sentinelCycle(
  c: Completed,
  settings: RepairSettings,
  progress: Progress,
  log: winston.Logger,
  onInterrupted: () => void,
  state?: SentinelState,
): Promise<SentinelCycle> {
  const namespace = c.options.namespace;
  const judgeConfig = settings.judge ?? c.options.judge;
  const policy = settings.policy ?? {};
  // The shared history is a repair-mode cost: a plain check stays within its request budget.
  const stored = settings.enabled ? await readHistory(c.client, namespace) : undefined;
  if (stored?.warning) log.warn(stored.warning);
  let history = stored?.history ?? state?.history ?? emptyHistory();

  let probed = withoutTerminating(await probeCycle(c, progress, log, onInterrupted));
  progress.stage('judge', `${probed.plan.targets.length} targets`);
  const judgeWith = (p: ProbedCycle, evidence?: Record<string, PodEvidence>) =>
    judgeCycle(p, { previousFailures: previousFailures(history), config: judgeConfig, ...(evidence ? { evidence } : {}) });
  let judgement = judgeWith(probed);
  if (settings.enabled) {
    probed = await corroborate(c, probed, judgement, progress, log, onInterrupted);
    judgement = judgeWith(probed, await readEvidence(c, probed.workload, judgement, log));
  }
  progress.done();
  const finish = (p: ProbedCycle, j: Judgement, exitCode: number, repair?: RepairSection): SentinelCycle => ({
    output: cycleOutput(p, j, c.client.requestCount, exitCode, repair),
    exitCode,
    judgement: j,
    repairs: repair?.actions ?? [],
    escalations: repair?.escalations.length ?? 0,
  });

  if (!settings.enabled) {
    if (state) state.history = nextHistory(history, judgement, [], new Date());
    return finish(probed, judgement, exitCodeOf(judgement, []));
  }
  if (stored?.newerSchema) {
    const note = `not repairing: the repair history in the cluster was written by a newer coredns-sentinel (${stored.newerSchema}); upgrade this tool`;
    log.warn(note);
    return finish(probed, judgement, exitCodeOf(judgement, []), { mode: settings.dryRun ? 'dry-run' : 'repair', actions: [], skipped: [], escalations: [], note });
  }

  let { plan, escalations } = planCycle(judgement, probed.workload, history, policy);
  const section = (actions: RepairEntry[], extra: Partial<RepairSection> = {}): RepairSection => ({
    mode: settings.dryRun ? 'dry-run' : 'repair',
    actions,
    skipped: plan.skipped,
    escalations: escalations.map(escalationView),
    ...extra,
  });

  if (settings.dryRun) {
    const would = plan.actions.map((a): RepairEntry => ({ pod: describe(a), method: a.method, outcome: 'dry-run', detail: `would ${a.method} ${describe(a)}: ${a.reason}` }));
    return finish(probed, judgement, exitCodeOf(judgement, escalations), section(would));
  }

  let lock: RepairLock | undefined;
  let entries: RepairEntry[] = [];
  let finalProbed = probed;
  let finalJudgement = judgement;
  try {
    if (plan.actions.length > 0) {
      progress.stage('repair', `${plan.actions.length} action(s)`);
      try {
        lock = await acquireLock(c.client, namespace, settings.leaseSeconds ?? DEFAULT_LEASE_SECONDS);
      } catch (err) {
        if (!(err instanceof LockedError)) throw err;
        log.warn(err.line);
        return finish(probed, judgement, EXIT.locked, section([], { note: err.line }));
      }
      // Another runner may have repaired between our read and our lock: plan again on the fresh history.
      history = (await readHistory(c.client, namespace)).history;
      ({ plan, escalations } = planCycle(judgement, probed.workload, history, policy));
      const held = lock;
      const result = await executeRepairs(plan.actions, judgement, {
        client: c.client,
        namespace,
        selector: c.options.selector,
        timeoutMs: settings.timeoutMs ?? DEFAULT_REPAIR_TIMEOUT_MS,
        lock: held,
        log,
        verify: async () => {
          finalProbed = withoutTerminating(await probeCycle(c, progress, log, onInterrupted));
          return judgeWith(finalProbed);
        },
        recordRestart: async (action) => {
          history = await updateHistory(c.client, namespace, (h) => nextHistory(h, judgement, [action], new Date()));
        },
      });
      entries = result.entries;
      if (result.verified) finalJudgement = result.verified;
      else finalProbed = probed;
      const attempted = new Set(entries.map((e) => e.pod));
      for (const a of plan.actions.filter((x) => !attempted.has(describe(x))))
        plan.skipped.push({ pod: describe(a), reason: 'not attempted: the repair before it did not end verified' });
      progress.done();
    }
    await emitEscalations(c, escalations, probed.workload, log);
    history = await updateHistory(c.client, namespace, (h) => nextHistory(h, finalJudgement, [], new Date(), escalations));
  } finally {
    await lock?.release();
  }
  const before = entries.length > 0 && finalJudgement !== judgement ? { before: { classification: judgement.classification, reason: judgement.reason } } : {};
  return finish(finalProbed, finalJudgement, exitCodeOf(finalJudgement, escalations), section(entries, before));
}
