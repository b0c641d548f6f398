// THE orchestrator of one sentinel cycle, a sequence of stages: discover → plan → probe (through a
// Prober, src/engine/probe-round.ts) → judge (probing elsewhere or corroborating when the judgement asks)
// → with --repair the repair session (src/engine/repair-session.ts) → the output model. `check` runs it
// once, `watch` loops it, bench/cycle.ts times it.
import { interruptibleClient } from '../kube/index.ts';
import type { DnsWorkload } from '../discover/types.ts';
import { judge } from '../judge/judge.ts';
import type { PodEvidence } from '../judge/diagnose.ts';
import { differingNodes, nodeViews } from '../judge/nodes.ts';
import { clientViewFindings } from '../judge/clientview.ts';
import { PROBE_VERSION, probeVersionNote } from '../probe/version.ts';
import type { JudgeInput, Judgement } from '../judge/types.ts';
import { emptyHistory, nextHistory, previousFailures, type History } from '../repair/history.ts';
import type { RepairEntry } from '../repair/execute.ts';
import { withTimeline } from '../repair/timeline.ts';
import { afterRepair } from '../repair/foresight.ts';
import { Interrupted } from '../common/abort.ts';
import { systemClock, type Clock } from '../common/clock.ts';
import { lineOf } from '../common/errors.ts';
import { checkOutput, overallVerdict, targetResults, type CheckOutput, type RepairSection } from '../report/index.ts';
import { corroborate, probeElsewhere, probeRound, withoutTerminating, type ProbedCycle, type RoundDeps } from './probe-round.ts';
import { exitCodeOf, NOTHING_RESTARTED, readSharedHistory, runRepairSession, type RepairSessionDeps } from './repair-session.ts';

export { probeNodes, withoutTerminating, type ProbedCycle, type StageTimings } from './probe-round.ts';

/** Carried across cycles by `watch`: the history when repair is off (with repair it lives in the cluster). */
export interface CycleState {
  history: History;
}

export const newCycleState = (): CycleState => ({ history: emptyHistory() });

export interface CycleDeps extends RoundDeps {
  /** watch's memory between cycles; `check` passes none. */
  state?: CycleState;
  /** The repair session's clock (src/common/clock.ts); the system's unless a test fakes it. */
  clock?: Clock;
}

export interface CycleResult {
  /** The report (after repairs, when they ran), with its Repair section. */
  output: CheckOutput;
  exitCode: number;
  /** The judgement the output shows (the verification round's, when repairs ran). */
  judgement: Judgement;
  repairs: RepairEntry[];
  /** The first probe round: its stage timings and probe runs (benchmarks read them). */
  probed: ProbedCycle;
}

const LOG_TAIL_LINES = 50;

type JudgeContext = Pick<JudgeInput, 'previousFailures' | 'evidence' | 'config'>;

function judgeRound(p: ProbedCycle, jc: JudgeContext): Judgement {
  const [primary, ...others] = p.runs;
  return judge({
    plan: p.plan,
    workload: p.workload,
    primary: { report: primary!.report, node: primary!.node },
    corroborating: others.map((r) => ({ report: r.report, node: r.node })),
    ...jc,
  });
}

/** The report of a judged round. */
function outputOf(p: ProbedCycle, judgement: Judgement, mode: string, requests: number, exitCode: number, repair?: RepairSection): CheckOutput {
  const targets = targetResults(p.plan, p.runs[0]!.report, p.workload, judgement);
  // Several probe nodes: the node × target matrix, and the nodes whose view differs.
  const views = p.runs.length > 1 ? nodeViews(p.plan, p.runs) : undefined;
  const primary = p.runs[0]!;
  const clientView = primary.report.clientView ? { ...primary.report.clientView, node: primary.node } : undefined;
  // A dedicated probe image older than this CLI says so (the inline probe is this build's own).
  const versionNote = probeVersionNote(PROBE_VERSION, primary.report.probeVersion);
  const findings = [...(versionNote ? [versionNote] : []), ...(views ? differingNodes(p.plan, views) : []), ...(clientView ? clientViewFindings(p.plan, clientView, primary.node, new Set(judgement.targets.filter((t) => t.kind === 'pod' && t.failedChecks.length > 0).map((t) => t.targetId))) : [])];
  const output = checkOutput(
    {
      workload: p.workload,
      plan: p.plan,
      targets,
      requests,
      probes: p.runs.map((r) => ({ pod: r.pod, node: r.node, durationMs: r.report.durationMs })),
      classification: judgement.classification,
      reason: judgement.reason,
      notes: [...judgement.notes, ...findings],
      mode,
      ...(views ? { nodes: views } : {}),
      ...(clientView ? { clientView } : {}),
    },
    overallVerdict(judgement, targets),
    exitCode,
  );
  return repair ? { ...output, repair } : output;
}

/** Rule 4: logs of pods a restart cannot help (the previous container's when it crashed), for the diagnosis. */
async function readEvidence(d: CycleDeps, workload: DnsWorkload, judgement: Judgement): Promise<Record<string, PodEvidence>> {
  const evidence: Record<string, PodEvidence> = {};
  const unhelpable = judgement.targets.filter((t) => t.classification === 'not-repairable' && t.pod);
  for (const t of unhelpable) {
    const pod = workload.pods.find((p) => p.name === t.pod!.name);
    if (!pod) continue;
    const crashed = pod.waitingReason === 'CrashLoopBackOff' || pod.restartCount > 0;
    // A multi-container DNS pod (kube-dns, OpenShift's dns + kube-rbac-proxy): the log of the container
    // that crashed (GKE's dnsmasq beside kubedns), else the DNS container's.
    const container = pod.crashedContainer ?? pod.dnsContainer;
    const read = (previous: boolean) => interruptibleClient(d.ctx.client, d.signal).readPodLog(workload.namespace, pod.name, { tailLines: LOG_TAIL_LINES, previous, ...(container && { container }) });
    const termination = pod.lastTerminationReason ? { lastTerminationReason: pod.lastTerminationReason } : {};
    try {
      // After a crash the previous run's log first, then the current one: in a crash loop's first cycle
      // the FATAL line may be in either.
      // A signal still ends the run; a missing log of one run is no reason to give up the other.
      const previous = crashed ? await read(true).catch((err: unknown) => (err instanceof Interrupted ? Promise.reject(err) : '')) : '';
      const current = await read(false).catch((err: unknown) => (previous && !(err instanceof Interrupted) ? '' : Promise.reject(err)));
      evidence[pod.name] = { logs: [previous, current].filter(Boolean).join('\n'), ...termination };
    } catch (err) {
      if (err instanceof Interrupted) throw new Interrupted(NOTHING_RESTARTED);
      d.log.warn(`could not read the logs of ${pod.name}: ${lineOf(err)}`);
      if (pod.lastTerminationReason) evidence[pod.name] = { logs: '', ...termination };
    }
  }
  return evidence;
}

/**
 * The judge stage: judge the round, probe from another node when the primary probe cannot be trusted,
 * corroborate when every pod fails (rule 2, check and --repair alike: the same cluster gets the same
 * verdict whatever the flags), and with --repair read the logs of pods a restart cannot help and order
 * the failures in time.
 */
async function judgeStage(d: CycleDeps, round: ProbedCycle, history: History): Promise<{ probed: ProbedCycle; judgement: Judgement }> {
  const { repair } = d.ctx.settings;
  const jc: JudgeContext = { previousFailures: previousFailures(history), config: d.ctx.settings.judge };
  const first = judgeRound(round, jc);
  const elsewhere = await probeElsewhere(d, round, first);
  const judged = elsewhere === round ? first : judgeRound(elsewhere, jc);
  const corroborated = await corroborate(d, elsewhere, judged);
  // Logs are a repair-mode read (manifests/rbac-repair.yaml grants pods/log).
  const evidence = repair.enabled ? await readEvidence(d, corroborated.workload, judged) : undefined;
  const final = corroborated !== elsewhere || evidence ? judgeRound(corroborated, { ...jc, ...(evidence ? { evidence } : {}) }) : judged;
  // Pods that began failing one after another are separate faults, not cluster-wide (src/repair/timeline.ts).
  const timed = repair.enabled && repair.timeline ? withTimeline(final, history, new Date()) : final;
  return { probed: corroborated, judgement: timed };
}

/** What the repair session needs of the cycle: the client, another probe round, the judge. */
function sessionDeps(d: CycleDeps): RepairSessionDeps {
  const { ctx } = d;
  return {
    client: ctx.client,
    settings: ctx.settings.repair,
    log: d.log,
    progress: d.progress,
    ...(d.signal ? { signal: d.signal } : {}),
    clock: d.clock ?? systemClock,
    probeAgain: async (rediscover) => withoutTerminating(await probeRound(rediscover ? { ...d, discovered: undefined } : d)),
    judge: (round, history) => judgeRound(round, { previousFailures: previousFailures(history), config: ctx.settings.judge }),
  };
}

/** One cycle. Throws KubeError/DiscoverError/ProbePodError (each a SentinelError with its exit code) before any change is made. */
export async function runCycle(d: CycleDeps): Promise<CycleResult> {
  const { ctx, log, progress, state } = d;
  const { repair } = ctx.settings;
  const first = await probeRound(d);
  // The shared history (where discovery found the DNS workload) is a repair-mode cost: a plain check
  // stays within its request budget.
  const stored = repair.enabled ? await readSharedHistory(ctx.client, first.workload.namespace, d.signal) : undefined;
  if (stored?.warning) log.warn(stored.warning);
  const history = stored?.history ?? state?.history ?? emptyHistory();
  const round = withoutTerminating(first);
  progress.stage('judge', `${round.plan.targets.length} targets`);
  const { probed, judgement } = await judgeStage(d, round, history);
  progress.done();
  const finish = (shown: ProbedCycle, judged: Judgement, exitCode: number, section?: RepairSection): CycleResult => {
    // A verdict line never offers a repair that was just refused, blocked or foreseen blocked.
    const j = section ? afterRepair(judged, section) : judged;
    return { output: outputOf(shown, j, d.prober.mode, ctx.client.requestCount, exitCode, section), exitCode, judgement: j, repairs: section?.actions ?? [], probed: first };
  };
  if (!stored) {
    if (state) state.history = nextHistory(history, judgement, new Date());
    return finish(probed, judgement, exitCodeOf(judgement, []));
  }
  const session = await runRepairSession(sessionDeps(d), { probed, judgement, stored });
  return finish(session.probed, session.judgement, session.exitCode, session.section);
}
