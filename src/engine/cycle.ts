// THE orchestrator of one sentinel cycle: discover → plan → probe (through a Prober) → judge → with
// --repair: corroborate, diagnose, plan repairs, lock, repair one pod at a time with verification,
// record → the output model. `check` runs it once, `watch` loops it, bench/cycle.ts times it.
// Safety rules as implemented: docs/design.md "Safety rules of repair".
import { interruptibleClient, KubeError, type KNode } from '../kube/index.ts';
import { unprobeableOutage } from '../discover/outage.ts';
import { discoverDns } from './discover.ts';
import { discoverSample } from '../discover/sample.ts';
import type { DnsWorkload } from '../discover/types.ts';
import { buildPlan, planNotes, resolvePlanOptions, servesCluster } from '../plan/index.ts';
import { LIMITS, validatePlan, type CheckPlan } from '../probe/contract.ts';
import { planSizeProblem } from '../probepod/limits.ts';
import type { PinnedNode } from '../probepod/spec.ts';
import { ProbePodError, type ProbeRunResult } from '../probepod/lifecycle.ts';
import { judge } from '../judge/judge.ts';
import { probeBlindness } from '../judge/checks.ts';
import { FRESHNESS_QUERY_ID } from '../freshness/canary.ts';
import type { PodEvidence } from '../judge/diagnose.ts';
import { differingNodes, nodeViews } from '../judge/nodes.ts';
import { clientViewFindings } from '../judge/clientview.ts';
import { PROBE_VERSION, probeVersionNote } from '../probe/version.ts';
import type { JudgeConfig, JudgeInput, Judgement } from '../judge/types.ts';
import { emptyHistory, nextHistory, openIntents, previousFailures, resolveIntents, settleIntent, withIntent, type History } from '../repair/history.ts';
import { planRepairs, type Escalation, type RepairAction, type RepairPlan } from '../repair/policy.ts';
import { persistentEscalations } from '../repair/escalation.ts';
import { acquireLock, LockedError, type RepairLock } from '../repair/lock.ts';
import { readHistory, updateHistory } from '../repair/state.ts';
import { EVENT_REASONS, executeRepairs, type RepairEntry, type RestartLog } from '../repair/execute.ts';
import { silentPodUids, withSilentGrace } from '../repair/grace.ts';
import { brokenConfig, readPodConfigLogs, refuseRestarts, type BrokenConfig } from '../repair/config-guard.ts';
import { withTimeline } from '../repair/timeline.ts';
import { dueForRemoval, planQuarantines, settleQuarantine, withoutQuarantines, withQuarantineIntent, type QuarantineAction } from '../repair/quarantine.ts';
import { quarantine, removeQuarantined, type IsolateContext } from '../repair/isolate.ts';
import { afterRepair, evictionBlock } from '../repair/foresight.ts';
import { Interrupted, throwIfAborted } from '../common/abort.ts';
import { checkOutput, overallVerdict, targetResults, type CheckOutput, type Progress, type RepairSection } from '../report/index.ts';
import { EXIT } from '../common/exit-codes.ts';
import type { Logger } from '../common/logger.ts';
import { DEFAULTS } from '../common/defaults.ts';
import type { CycleContext } from './context.ts';
import type { Prober } from '../modes/types.ts';
import { UsageError } from '../common/errors.ts';
import { withFreshness } from './freshness.ts';
import { pinNodes, probeableNodes, probeEveryNode, tolerationNote } from './nodes.ts';

export interface StageTimings {
  discoverMs: number;
  planMs: number;
  createMs: number;
  startMs: number;
  execMs: number;
  deleteMs: number;
  totalMs: number;
}

/** What one probe round saw, before judging. */
export interface ProbedCycle {
  workload: DnsWorkload;
  plan: CheckPlan;
  /** The first is the primary probe; the others corroborate. */
  runs: ProbeRunResult[];
  timings: StageTimings;
}

/** Carried across cycles by `watch`: the history when repair is off (with repair it lives in the cluster). */
export interface CycleState {
  history: History;
}

export const newCycleState = (): CycleState => ({ history: emptyHistory() });

export interface CycleDeps {
  ctx: CycleContext;
  prober: Prober;
  progress: Progress;
  log: Logger;
  /** watch's memory between cycles; `check` passes none. */
  state?: CycleState;
  /** SIGINT/SIGTERM (src/cli/check.ts): the cycle cleans up what it holds and ends Interrupted (exit 130). */
  signal?: AbortSignal;
  /** The workload already discovered for this cycle (auto's mode decision needed it): its first round reuses it. */
  discovered?: DnsWorkload;
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

/** Nodes for --probe-nodes N: the DNS pods' nodes, so a corroborating probe sees the same pods from elsewhere. */
export function probeNodes(workload: DnsWorkload, count: number): string[] {
  if (count <= 1) return [];
  return [...new Set(workload.pods.map((p) => p.node).filter(Boolean))].sort().slice(0, count);
}

/**
 * The nodes the probe pods are pinned to, with the taints each must tolerate: one node list when
 * pinned (--probe-nodes N > 1 or all), none for the default single unpinned probe.
 */
async function pinnedNodes(listNodes: () => Promise<KNode[]>, count: number | 'all', workload: DnsWorkload, notes: string[]): Promise<PinnedNode[]> {
  if (count === 'all') {
    const every = probeableNodes(await listNodes());
    notes.push(...every.notes);
    return every.nodes;
  }
  const names = probeNodes(workload, count);
  if (count > 1 && names.length < count) notes.push(`--probe-nodes ${count}: only ${names.length} distinct DNS pod nodes to probe from`);
  if (names.length === 0) return [];
  const pinned = pinNodes(names, await listNodes());
  const tolerated = tolerationNote(pinned);
  if (tolerated) notes.push(tolerated);
  return pinned;
}

/**
 * Discover, plan and probe; throws KubeError/DiscoverError/ProbePodError, or UsageError for a plan the
 * probe cannot run — all before anything in the cluster is changed (the probe pod's watch sweeps stale
 * probe pods, so the sweep comes after the plan is known to be runnable).
 */
async function probeRound(d: CycleDeps): Promise<ProbedCycle> {
  const { ctx, log, progress } = d;
  const s = ctx.settings;
  const started = Date.now();
  // Until the probe starts, a signal ends the round at once: nothing has been created yet.
  const reading = interruptibleClient(ctx.client, d.signal);
  const beforeProbe = <T>(stage: string, work: Promise<T>): Promise<T> =>
    work.catch((err: unknown) => {
      throw err instanceof Interrupted ? new Interrupted(`interrupted during ${stage}: nothing was created in the cluster`) : err;
    });
  const d0 = s.discover;
  progress.stage('discover', d0.namespace || d0.selector || d0.service ? `${d0.selector ?? 'the DNS pods'} in namespace ${d0.namespace ?? '(found)'}` : 'finding the cluster DNS');
  let t = Date.now();
  const workload = d.discovered ?? (await beforeProbe('discovery', discoverDns(ctx, reading)));
  const discoverMs = Date.now() - t;
  // Notes are in the report; on stderr only at --log-level info.
  for (const note of workload.notes ?? []) log.info(note);
  // Nothing to probe and discovery named why (a headless StatefulSet scaled to 0): exit 1 with the outage.
  const unprobeable = unprobeableOutage(workload);
  if (unprobeable) throw unprobeable;

  progress.stage('plan', `${workload.pods.length} pods, cluster domain ${workload.zones.clusterDomain}`);
  t = Date.now();
  const planOptions = resolvePlanOptions(s.plan, ctx.config);
  // --sample-services: two cluster-wide lists, only when asked for (manifests/rbac-sample.yaml).
  const sample = planOptions.sampleServices > 0 ? await beforeProbe('planning', discoverSample(reading)) : undefined;
  const planned = buildPlan(workload, planOptions, sample);
  const leftOut = planNotes(workload, planOptions, planned);
  if (leftOut.length) workload.notes = [...(workload.notes ?? []), ...leftOut];
  // --client-view: the probe also looks up a short name as an application would (src/probe/clientview.ts).
  const built = s.clientView ? { ...planned, clientView: { ...DEFAULTS.clientView } } : planned;
  const planMs = Date.now() - t;
  log.debug('plan built', { targets: built.targets.length, queries: built.queries.length });
  if (built.queries.length === 0)
    throw new UsageError('no checks left to run: every check group is off (--no-default-checks, --skip-checks or the config file) and the config file adds none — add checks, or turn groups back on');
  // The freshness canary's query must fit too.
  // A Corefile without a kubernetes plugin answers no Service name: no canary could ever resolve.
  const freshness = s.freshness && servesCluster(workload.zones);
  const roomForCanary = freshness && built.queries.length >= LIMITS.queries ? `plan has ${built.queries.length} queries and the freshness check needs one more (at most ${LIMITS.queries})` : null;
  const unrunnable = validatePlan(built) ?? roomForCanary ?? planSizeProblem(built);
  if (unrunnable) throw new UsageError(`the check plan cannot run: ${unrunnable} — pass fewer checks (--config), --samples or --transports`);
  // The mode fits the plan to what it reaches (src/modes/registry.ts); what it leaves out becomes report notes.
  const scoped = d.prober.prepare ? await beforeProbe('planning', d.prober.prepare(built, workload)) : undefined;
  const fitted = scoped?.plan ?? built;
  for (const note of scoped?.notes ?? []) log.info(note);
  // The mode's notes first: auto's one line says how this report was made.
  if (scoped?.notes.length) workload.notes = [...scoped.notes, ...(workload.notes ?? [])];

  const notes = (workload.notes ??= []);
  const count = s.probeNodes;
  const everyNode = count === 'all';
  const nodes = await beforeProbe('planning', pinnedNodes(() => reading.listNodes(), count, workload, notes));
  throwIfAborted(d.signal, 'interrupted during planning: nothing was created in the cluster');
  // Probes on several nodes run one by one, so a node whose probe cannot run leaves a note, not an error.
  const probe = (p: CheckPlan) => (everyNode || (d.prober.perNode && nodes.length > 1) ? probeEveryNode(d.prober, p, nodes, notes) : d.prober.run(p, nodes));
  const { plan, runs } = freshness
    ? await withFreshness(ctx, fitted, workload.zones.clusterDomain, notes, log, probe, d.signal)
    : { plan: fitted, runs: await probe(fitted) };
  // The probe pod's watch swept stale probe pods (src/probepod/lifecycle.ts); a failed sweep is worth a
  // warning only when the round goes on: a run that fails prints its one error line.
  // Probe pods on several nodes may say the same (each fell back to the same image): once is enough.
  for (const note of runs.flatMap((run) => run.notes ?? [])) if (!notes.includes(note)) notes.push(note);
  const sweep = runs[0]!.sweep;
  if (sweep?.deleted.length) log.info(`deleted ${sweep.deleted.length} stale probe pod(s): ${sweep.deleted.join(', ')}`);
  if (sweep?.failure) log.warn(`could not sweep stale probe pods in namespace ${ctx.probeNamespace}: ${sweep.failure}`);
  const { createMs, startMs, execMs, deleteMs } = runs[0]!.timings;
  return { workload, plan, runs, timings: { discoverMs, planMs, createMs, startMs, execMs, deleteMs, totalMs: Date.now() - started } };
}

/**
 * The round without the targets of terminating pods: they left the Service's endpoints and are being
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

/**
 * The plan for a probe after the round: without the freshness canary, which is deleted by then (every
 * pod would fail it, and a failing canary everywhere reads as every pod stale).
 */
const afterRound = (plan: CheckPlan): CheckPlan => ({ ...plan, queries: plan.queries.filter((q) => q.id !== FRESHNESS_QUERY_ID) });

/** Another node with a DNS pod than the primary probe's, for a second probe. */
const otherDnsNode = (probed: ProbedCycle): string | undefined =>
  [...new Set(probed.workload.pods.map((p) => p.node))].filter((n) => n && n !== probed.runs[0]!.node).sort()[0];

/**
 * The primary probe cannot be trusted (its node has no network, its own connect fails): probe once from
 * another DNS pod's node, and judge from there when that probe can be trusted — a node without network
 * must not keep a hung pod from its repair. The first node is named in a note either way.
 */
async function probeElsewhere(d: CycleDeps, probed: ProbedCycle, judgement: Judgement): Promise<ProbedCycle> {
  // --node-selector says where probes run: never elsewhere.
  if (judgement.classification !== 'probe-side' || probed.runs.length > 1 || Object.keys(d.ctx.settings.nodeSelector).length > 0) return probed;
  const first = probed.runs[0]!;
  const other = otherDnsNode(probed);
  if (!other) return probed;
  d.log.info(`the probe on node ${first.node} cannot be trusted: probing again from node ${other}`);
  const noted = (note: string) => ({ ...probed, workload: { ...probed.workload, notes: [...(probed.workload.notes ?? []), note] } });
  try {
    const [second] = await d.prober.run(afterRound(probed.plan), pinNodes([other], await d.ctx.client.listNodes()));
    if (!second || probeBlindness(second.report)) return noted(`a second probe on node ${other} could not be trusted either: ${second ? probeBlindness(second.report) : 'it returned nothing'}`);
    return { ...noted(`the probe on node ${first.node} could not be trusted (${judgement.reason}); judged from a second probe on node ${other}`), runs: [second] };
  } catch (err) {
    if (!(err instanceof ProbePodError || err instanceof KubeError)) throw err;
    return noted(`a second probe on node ${other} failed: ${err.line}`);
  }
}

/** Rule 2: every pod fails from the only probe → probe again from another DNS pod node before concluding (check and --repair alike). */
async function corroborate(d: CycleDeps, probed: ProbedCycle, judgement: Judgement): Promise<ProbedCycle> {
  if (judgement.classification !== 'uncorroborated' || probed.runs.length > 1) return probed;
  const primaryNode = probed.runs[0]!.node;
  const other = otherDnsNode(probed);
  // No DNS pod lives elsewhere (one replica, or all on the probe's node): let the scheduler place it; the
  // judge ignores a corroborating probe that lands on the primary's node.
  d.log.info(`every CoreDNS pod fails from ${primaryNode ? `node ${primaryNode}` : 'this process'}: corroborating from ${other ? `node ${other}` : 'another probe pod'}`);
  try {
    const pinned = other ? pinNodes([other], await d.ctx.client.listNodes()) : [];
    const runs = await d.prober.run(afterRound(probed.plan), pinned);
    const tolerated = tolerationNote(pinned);
    return { ...probed, runs: [...probed.runs, ...runs], ...(tolerated && { workload: { ...probed.workload, notes: [...(probed.workload.notes ?? []), tolerated] } }) };
  } catch (err) {
    if (!(err instanceof ProbePodError || err instanceof KubeError)) throw err;
    const note = `corroborating probe${other ? ` on node ${other}` : ''} could not run, so it is no evidence either way: ${err.line}`;
    return { ...probed, workload: { ...probed.workload, notes: [...(probed.workload.notes ?? []), note] } };
  }
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
      d.log.warn(`could not read the logs of ${pod.name}: ${err instanceof KubeError ? err.line : String(err)}`);
      if (pod.lastTerminationReason) evidence[pod.name] = { logs: '', ...termination };
    }
  }
  return evidence;
}

/** The dry run's foresight: the evictions a PodDisruptionBudget would refuse now, by pod (src/repair/foresight.ts). */
async function evictionForesight(d: CycleDeps, namespace: string, selector: string, actions: RepairAction[]): Promise<{ blocks: Map<string, string>; note?: string }> {
  const blocks = new Map<string, string>();
  const evictions = actions.filter((a) => a.method === 'evict' && a.pod);
  if (evictions.length === 0) return { blocks };
  try {
    const [pdbs, pods] = await Promise.all([d.ctx.client.listPodDisruptionBudgets(namespace), d.ctx.client.listPods(namespace, selector)]);
    for (const a of evictions) {
      const block = evictionBlock(pdbs, pods.find((p) => p.name === a.pod)?.labels ?? {});
      if (block) blocks.set(a.pod!, block);
    }
    return { blocks };
  } catch (err) {
    if (!(err instanceof KubeError)) throw err;
    return { blocks, note: `the dry run cannot tell whether a PodDisruptionBudget would refuse the eviction: ${err.line}` };
  }
}

const describeAction = (a: RepairAction): string => (a.method === 'rollout' ? `deployment/${a.deployment}` : (a.pod ?? ''));
const escalationView = (e: Escalation) => ({ pod: e.pod, evidence: e.evidence, isNew: e.isNew });

function exitCodeOf(judgement: Judgement, escalations: Escalation[], ended: { incomplete?: string; interrupted?: boolean } = {}): number {
  if (ended.interrupted) return EXIT.interrupted;
  if (ended.incomplete !== undefined) return EXIT.repairIncomplete;
  if (escalations.length > 0) return EXIT.manualIntervention;
  return judgement.verdict === 'healthy' ? EXIT.healthy : EXIT.unhealthy;
}

async function emitEscalations(d: CycleDeps, escalations: Escalation[], workload: DnsWorkload): Promise<void> {
  for (const e of escalations.filter((x) => x.isNew)) {
    const deployment = workload.pods.find((p) => p.name === e.pod)?.deployment ?? (workload.controller?.kind === 'Deployment' ? workload.controller.name : undefined);
    const involved = deployment ? { kind: 'Deployment' as const, name: deployment, apiVersion: 'apps/v1' } : { kind: 'Pod' as const, name: e.pod, apiVersion: 'v1' };
    await d.ctx.client
      .createEvent({ namespace: workload.namespace, involved, reason: EVENT_REASONS.escalation, type: 'Warning', message: `manual intervention required: ${e.evidence.join('; ')}` })
      .catch((err: unknown) => d.log.warn(`could not record Event ${EVENT_REASONS.escalation}: ${err instanceof KubeError ? err.line : String(err)}`));
  }
}

function planCycle(judgement: Judgement, probed: ProbedCycle, history: History, d: CycleDeps): { plan: RepairPlan; escalations: Escalation[]; quarantines: QuarantineAction[] } {
  const { policy, silentGraceSeconds, quarantine: quarantineConfig } = d.ctx.settings.repair;
  const now = new Date();
  const { workload } = probed;
  const planned = planRepairs(judgement, workload, history, policy, now);
  const silent = silentPodUids(probed.plan, probed.runs[0]!.report, workload);
  // Silent pods whose restart a rule refused leave rotation instead (src/repair/quarantine.ts).
  const { quarantines, skipped } = planQuarantines(planned, workload, silent, history, quarantineConfig, now);
  // Pods that answer nothing at all leave with a short grace period (src/repair/grace.ts).
  const plan = { ...planned, skipped, actions: withSilentGrace(planned.actions, silent, silentGraceSeconds) };
  return { plan, escalations: [...plan.escalations, ...persistentEscalations(judgement, history, policy, workload.namespace, now)], quarantines };
}

/** The write-ahead log of restarts in the shared history ConfigMap. */
function restartLog(d: CycleDeps, namespace: string, onWrite: (h: History) => void): RestartLog {
  const { client } = d.ctx;
  return {
    intent: async (record) => onWrite(await updateHistory(client, namespace, (h) => withIntent(h, record, new Date()))),
    settle: async (id, outcome) => onWrite(await updateHistory(client, namespace, (h) => settleIntent(h, id, outcome, new Date()))),
  };
}

/** A signal after the probe round (its pods deleted) and before any restart. */
const NOTHING_RESTARTED = 'interrupted before any restart: nothing was restarted (the probe round had ended, its pods deleted)';

const errorLine = (err: unknown): string => (err as { line?: string })?.line ?? String(err);

/** One cycle. Throws KubeError/DiscoverError/ProbePodError (each a SentinelError with its exit code) before any change is made. */
export async function runCycle(d: CycleDeps): Promise<CycleResult> {
  const { ctx, log, progress, state } = d;
  const { settings } = ctx;
  const repair = settings.repair;
  const judgeConfig: Partial<JudgeConfig> = settings.judge;

  const first = await probeRound(d);
  // Where discovery found the DNS workload: its history, Lease and pods live there.
  const { namespace, labelSelector: selector } = first.workload;
  // The shared history is a repair-mode cost: a plain check stays within its request budget.
  const stored = repair.enabled
    ? await readHistory(interruptibleClient(ctx.client, d.signal), namespace).catch((err: unknown) => {
      throw err instanceof Interrupted ? new Interrupted(NOTHING_RESTARTED) : err;
    })
    : undefined;
  if (stored?.warning) log.warn(stored.warning);
  let history = stored?.history ?? state?.history ?? emptyHistory();
  let probed = withoutTerminating(first);
  progress.stage('judge', `${probed.plan.targets.length} targets`);
  const judgeWith = (p: ProbedCycle, evidence?: Record<string, PodEvidence>) =>
    judgeRound(p, { previousFailures: previousFailures(history), config: judgeConfig, ...(evidence ? { evidence } : {}) });
  let judgement = judgeWith(probed);
  const elsewhere = await probeElsewhere(d, probed, judgement);
  if (elsewhere !== probed) {
    probed = elsewhere;
    judgement = judgeWith(probed);
  }
  // Rule 2 for check and --repair alike: the same cluster gets the same verdict whatever the flags.
  const corroborated = await corroborate(d, probed, judgement);
  // Logs are a repair-mode read (manifests/rbac-repair.yaml grants pods/log).
  const evidence = repair.enabled ? await readEvidence(d, corroborated.workload, judgement) : undefined;
  if (corroborated !== probed || evidence) {
    probed = corroborated;
    judgement = judgeWith(probed, evidence);
  }
  if (repair.enabled) {
    // Pods that began failing one after another are separate faults, not cluster-wide (src/repair/timeline.ts).
    if (repair.timeline) judgement = withTimeline(judgement, history, new Date());
  }
  progress.done();
  const finish = (p: ProbedCycle, judged: Judgement, exitCode: number, section?: RepairSection): CycleResult => {
    // A verdict line never offers a repair that was just refused, blocked or foreseen blocked.
    const j = section ? afterRepair(judged, section) : judged;
    return { output: outputOf(p, j, d.prober.mode, ctx.client.requestCount, exitCode, section), exitCode, judgement: j, repairs: section?.actions ?? [], probed: first };
  };

  if (!repair.enabled) {
    if (state) state.history = nextHistory(history, judgement, new Date());
    return finish(probed, judgement, exitCodeOf(judgement, []));
  }
  if (stored?.newerSchema) {
    const note = `not repairing: the repair history in the cluster was written by a newer coredns-sentinel (${stored.newerSchema}); upgrade this tool`;
    log.warn(note);
    return finish(probed, judgement, exitCodeOf(judgement, []), { mode: repair.dryRun ? 'dry-run' : 'repair', actions: [], skipped: [], escalations: [], note });
  }

  let { plan, escalations, quarantines } = planCycle(judgement, probed, history, d);
  // Rule 13: no restart into a Corefile CoreDNS cannot load (src/repair/config-guard.ts). The pods' logs
  // are read once, and only when a restart or a quarantine (whose replacement loads it too) is planned
  // and there is a Corefile (not kube-dns).
  let broken: BrokenConfig | undefined;
  let guardRead = false;
  const guardPlan = async (): Promise<void> => {
    if (plan.actions.length === 0 && quarantines.length === 0) return;
    const { corefile } = probed.workload;
    if (!guardRead && corefile) broken = brokenConfig(namespace, corefile, await readPodConfigLogs(ctx.client, probed.workload, (line) => log.warn(line)));
    guardRead = true;
    if (!broken) return;
    ({ plan, judgement } = refuseRestarts(plan, judgement, broken));
    plan = { ...plan, skipped: [...plan.skipped, ...quarantines.map((q) => ({ pod: q.pod, reason: `not taken out of rotation: ${broken!.reason}` }))] };
    quarantines = [];
  };
  await guardPlan();
  const section = (actions: RepairEntry[], extra: Partial<RepairSection> = {}): RepairSection => ({
    mode: repair.dryRun ? 'dry-run' : 'repair',
    actions,
    skipped: plan.skipped.map(({ pod, reason }) => ({ pod, reason })),
    escalations: escalations.map(escalationView),
    ...extra,
  });

  if (repair.dryRun) {
    const grace = (a: RepairAction) => (a.gracePeriodSeconds !== undefined ? ` with a ${a.gracePeriodSeconds} s grace period (it answers no DNS)` : '');
    const after = (i: number) => (i > 0 ? `, once ${describeAction(plan.actions[i - 1]!)} is replaced and verified` : '');
    const foresight = await evictionForesight(d, namespace, selector, plan.actions);
    const would = [
      ...quarantines.map((q): RepairEntry => ({ pod: q.pod, method: 'quarantine', outcome: 'dry-run', detail: `would take it out of rotation (it answers no DNS; not restarted: ${q.reason})` })),
      ...plan.actions.map((a, i): RepairEntry => {
        const block = a.pod ? foresight.blocks.get(a.pod) : undefined;
        if (block) return { pod: describeAction(a), method: a.method, outcome: 'blocked', detail: `${block}${after(i)} — --repair asks again until --repair-timeout, never forcing` };
        return { pod: describeAction(a), method: a.method, outcome: 'dry-run', detail: `would ${a.method} ${describeAction(a)}${grace(a)}${after(i)}: ${a.reason}` };
      }),
    ];
    const shown = foresight.note ? { ...judgement, notes: [...judgement.notes, foresight.note] } : judgement;
    return finish(probed, shown, exitCodeOf(judgement, escalations), section(would));
  }

  // From here on, everything the run did is reported even when a later step fails: the Repair section
  // lists the actions, `incomplete` says which step failed, and the exit code is "repair incomplete"
  // (or 130 when interrupted) rather than an error that discards the report.
  let lock: RepairLock | undefined;
  let entries: RepairEntry[] = [];
  let finalProbed = probed;
  let finalJudgement = judgement;
  const notes: string[] = [];
  const ended: { incomplete?: string; interrupted?: boolean } = {};
  try {
    throwIfAborted(d.signal);
    const changes = () => plan.actions.length + quarantines.length;
    // Intents left by a run that died are settled under the Lease, and quarantined pods deleted: take it for them too.
    if (changes() > 0 || openIntents(history).length > 0 || dueForRemoval(history, judgement.verdict === 'healthy', new Date()).length > 0) {
      if (changes() > 0) progress.stage('repair', `${changes()} action(s)`);
      try {
        lock = await acquireLock(ctx.client, namespace, repair.leaseSeconds, d.signal ? { signal: d.signal } : {});
      } catch (err) {
        if (!(err instanceof LockedError)) throw err;
        if (changes() > 0) {
          log.warn(err.line);
          return finish(probed, judgement, EXIT.locked, section([], { note: err.line }));
        }
      }
    }
    if (lock) {
      // Another runner may have repaired between our read and our lock: plan again on the fresh history,
      // after settling the intents of runs that died between their record and their restart.
      history = (await readHistory(ctx.client, namespace)).history;
      if (openIntents(history).length > 0) {
        const pods = (await ctx.client.listPods(namespace, selector)).map((p) => ({ uid: p.uid, terminating: p.deletionTimestamp !== undefined }));
        history = await updateHistory(ctx.client, namespace, (h) => resolveIntents(h, pods, new Date()));
      }
      ({ plan, escalations, quarantines } = planCycle(judgement, probed, history, d));
      await guardPlan();
    }
    const isolation: IsolateContext = {
      client: ctx.client,
      namespace,
      selector,
      timeoutMs: repair.timeoutMs,
      log,
      record: {
        intent: async (r) => void (history = await updateHistory(ctx.client, namespace, (h) => withQuarantineIntent(h, r, new Date()))),
        settle: async (id, done) => void (history = await updateHistory(ctx.client, namespace, (h) => settleQuarantine(h, id, done, new Date()))),
        removed: async (ids) => void (history = await updateHistory(ctx.client, namespace, (h) => withoutQuarantines(h, ids, new Date()))),
      },
      ...(d.signal ? { signal: d.signal } : {}),
    };
    const quarantinedBefore = new Set(history.quarantines.map((q) => q.id));
    // Out of rotation first: it takes a silent pod out of the clients' way sooner than any restart.
    if (lock) for (const q of quarantines) entries.push(await quarantine(isolation, q));
    if (lock && plan.actions.length === 0 && entries.some((e) => e.outcome === 'done')) {
      // What DNS looks like without them: the report's final judgement.
      finalProbed = withoutTerminating(await probeRound(d));
      finalJudgement = judgeWith(finalProbed);
    }
    if (lock && plan.actions.length > 0) {
      const result = await executeRepairs(plan.actions, judgement, {
        client: ctx.client,
        namespace,
        selector,
        timeoutMs: repair.timeoutMs,
        lock,
        log,
        history: restartLog(d, namespace, (h) => (history = h)),
        ...(d.signal ? { signal: d.signal } : {}),
        verify: async () => {
          // After a restart the workload changed: discover it again.
          finalProbed = withoutTerminating(await probeRound({ ...d, discovered: undefined }));
          return judgeWith(finalProbed);
        },
      });
      entries = [...entries, ...result.entries];
      if (result.verified) finalJudgement = result.verified;
      else finalProbed = probed;
      if (result.incomplete !== undefined) ended.incomplete = result.incomplete;
      if (result.interrupted) ended.interrupted = true;
      plan.skipped.push(...result.notNeeded);
      const attempted = new Set([...entries, ...result.notNeeded].map((e) => e.pod));
      for (const a of plan.actions.filter((x) => !attempted.has(describeAction(x))))
        plan.skipped.push({ pod: describeAction(a), reason: `not attempted: ${result.incomplete ?? 'the repair before it did not end verified'}` });
      progress.done();
    }
    if (lock && !ended.interrupted) {
      // Quarantined pods of earlier cycles leave for good once DNS is healthy, or at their TTL.
      const now = new Date();
      const due = dueForRemoval(history, finalJudgement.verdict === 'healthy', now).filter((q) => quarantinedBefore.has(q.id));
      const why = (q: { until: string }) => (Date.parse(q.until) <= now.getTime() ? 'its quarantine TTL ended' : 'DNS is healthy again');
      notes.push(...(await removeQuarantined(isolation, due, repair.silentGraceSeconds, why)));
    }
    if (!ended.interrupted) {
      await emitEscalations(d, escalations, probed.workload);
      history = await updateHistory(ctx.client, namespace, (h) => nextHistory(h, finalJudgement, new Date(), escalations));
    }
  } catch (err) {
    // Before any action nothing changed: the error is the run's outcome, as for a plain check.
    if (entries.length === 0 && !(err instanceof Interrupted)) throw err;
    if (err instanceof Interrupted) ended.interrupted = true;
    else ended.incomplete = `the repair history could not be updated after the repairs: ${errorLine(err)}`;
  } finally {
    const problem = await lock?.release();
    if (problem) {
      log.warn(problem);
      notes.push(problem);
    }
  }
  if (ended.interrupted && entries.length === 0) throw new Interrupted(`${NOTHING_RESTARTED}${notes.length ? `; ${notes.join('; ')}` : ''}`);
  if (ended.interrupted) notes.unshift('interrupted by a signal: the restart in progress was concluded (Event, history) and the Lease released');
  else if (ended.incomplete !== undefined) {
    notes.unshift(`repair incomplete: ${ended.incomplete}`);
    log.warn(`repair incomplete: ${ended.incomplete}`);
  }
  const before = entries.length > 0 && finalJudgement !== judgement ? { before: { classification: judgement.classification, reason: judgement.reason } } : {};
  const note = notes.length ? { note: notes.join('; ') } : {};
  return finish(finalProbed, finalJudgement, exitCodeOf(finalJudgement, escalations, ended), section(entries, { ...before, ...note }));
}
