// The repair session of a cycle (--repair), from the judged round to the repairs done and recorded: the
// shared history, the Lease, planning again under the Lease (after settling the intents of runs that
// died), the config guard, quarantines, restarts one at a time with a verifying probe round between,
// the removal of quarantined pods, escalation Events and the history's new streaks.
// Safety rules as implemented: docs/design.md "Safety rules of repair".
import { interruptibleClient, KubeError, type RepairKubeClient } from '../kube/index.ts';
import type { DnsWorkload } from '../discover/types.ts';
import type { Judgement } from '../judge/types.ts';
import { nextHistory, openIntents, resolveIntents, settleIntent, withIntent, type History } from '../repair/history.ts';
import { planRepairs, type Escalation, type RepairAction, type RepairPlan } from '../repair/policy.ts';
import { persistentEscalations } from '../repair/escalation.ts';
import { acquireLock, LockedError, type RepairLock } from '../repair/lock.ts';
import { readHistory, updateHistory, type StoredHistory } from '../repair/state.ts';
import { EVENT_REASONS, executeRepairs, type RepairEntry, type RestartLog } from '../repair/execute.ts';
import { silentPodUids, withSilentGrace } from '../repair/grace.ts';
import { brokenConfig, readPodConfigLogs, refuseRestarts, type BrokenConfig } from '../repair/config-guard.ts';
import { dueForRemoval, planQuarantines, settleQuarantine, withoutQuarantines, withQuarantineIntent, type QuarantineAction } from '../repair/quarantine.ts';
import { quarantine, removeQuarantined, type IsolateContext, type QuarantineLog } from '../repair/isolate.ts';
import { evictionBlock } from '../repair/foresight.ts';
import { Interrupted, throwIfAborted } from '../common/abort.ts';
import { lineOf } from '../common/errors.ts';
import type { Logger } from '../common/logger.ts';
import type { Clock } from '../common/clock.ts';
import type { Progress, RepairSection } from '../report/index.ts';
import { EXIT } from '../common/exit-codes.ts';
import type { RepairSettings } from './settings.ts';
import type { ProbedCycle } from './probe-round.ts';

export interface RepairSessionDeps {
  client: RepairKubeClient;
  settings: RepairSettings;
  log: Logger;
  progress: Progress;
  /** SIGINT/SIGTERM: the session concludes the action in progress, releases the Lease and ends Interrupted. */
  signal?: AbortSignal;
  /** The Lease's renewals, --repair-timeout and the waits between polls run on it (tests: a fake one). */
  clock: Clock;
  /** A new probe round, terminating pods left out; rediscover after a restart changed the workload. */
  probeAgain(rediscover: boolean): Promise<ProbedCycle>;
  /** Judges a round with the streaks of this history. */
  judge(round: ProbedCycle, history: History): Judgement;
}

/** Where the session starts: the judged round and the shared history it was judged with. */
export interface SessionStart {
  probed: ProbedCycle;
  judgement: Judgement;
  stored: StoredHistory;
}

/** The round and judgement the report shows (the last verification's, when repairs ran), and what was done. */
export interface SessionOutcome {
  probed: ProbedCycle;
  judgement: Judgement;
  section: RepairSection;
  exitCode: number;
}

/** A signal after the probe round (its pods deleted) and before any restart. */
export const NOTHING_RESTARTED = 'interrupted before any restart: nothing was restarted (the probe round had ended, its pods deleted)';

/** The shared history as a repair run reads it: a signal ends the read with "nothing was restarted". */
export async function readSharedHistory(client: RepairKubeClient, namespace: string, signal?: AbortSignal): Promise<StoredHistory> {
  return readHistory(interruptibleClient(client, signal), namespace).catch((err: unknown) => {
    throw err instanceof Interrupted ? new Interrupted(NOTHING_RESTARTED) : err;
  });
}

export interface Ended {
  incomplete?: string;
  interrupted?: boolean;
}

export function exitCodeOf(judgement: Judgement, escalations: Escalation[], ended: Ended = {}): number {
  if (ended.interrupted) return EXIT.interrupted;
  if (ended.incomplete !== undefined) return EXIT.repairIncomplete;
  if (escalations.length > 0) return EXIT.manualIntervention;
  return judgement.verdict === 'healthy' ? EXIT.healthy : EXIT.unhealthy;
}

/** What the session plans to do, and the judgement it plans on (the config guard may refuse repairs in it). */
interface Planned {
  plan: RepairPlan;
  escalations: Escalation[];
  quarantines: QuarantineAction[];
  judgement: Judgement;
}

function planRound(judgement: Judgement, probed: ProbedCycle, history: History, settings: RepairSettings): Planned {
  const { policy, silentGraceSeconds, quarantine: quarantineConfig } = settings;
  const now = new Date();
  const { workload } = probed;
  const planned = planRepairs(judgement, workload, history, policy, now);
  const silent = silentPodUids(probed.plan, probed.runs[0]!.report, workload);
  // Silent pods whose restart a rule refused leave rotation instead (src/repair/quarantine.ts).
  const { quarantines, skipped } = planQuarantines(planned, workload, silent, history, quarantineConfig, now);
  // Pods that answer nothing at all leave with a short grace period (src/repair/grace.ts).
  const plan = { ...planned, skipped, actions: withSilentGrace(planned.actions, silent, silentGraceSeconds) };
  return { plan, escalations: [...plan.escalations, ...persistentEscalations(judgement, history, policy, workload.namespace, now)], quarantines, judgement };
}

/**
 * Rule 13: no restart into a Corefile CoreDNS cannot load (src/repair/config-guard.ts). The pods' logs
 * are read once, and only when a restart or a quarantine (whose replacement loads it too) is planned and
 * there is a Corefile (not kube-dns).
 */
class ConfigGuard {
  private read = false;
  private broken: BrokenConfig | undefined;

  constructor(
    private readonly s: RepairSessionDeps,
    private readonly workload: DnsWorkload,
  ) {}

  async apply(p: Planned): Promise<Planned> {
    if (p.plan.actions.length === 0 && p.quarantines.length === 0) return p;
    const { corefile, namespace } = this.workload;
    if (!this.read && corefile) this.broken = brokenConfig(namespace, corefile, await readPodConfigLogs(this.s.client, this.workload, (line) => this.s.log.warn(line)));
    this.read = true;
    const broken = this.broken;
    if (!broken) return p;
    const refused = refuseRestarts(p.plan, p.judgement, broken);
    const notIsolated = p.quarantines.map((q) => ({ pod: q.pod, reason: `not taken out of rotation: ${broken.reason}` }));
    return { ...p, judgement: refused.judgement, plan: { ...refused.plan, skipped: [...refused.plan.skipped, ...notIsolated] }, quarantines: [] };
  }
}

/** The shared history ConfigMap as this session last wrote or read it; every write goes through it. */
class SharedHistory {
  constructor(
    private readonly client: RepairKubeClient,
    private readonly namespace: string,
    public current: History,
  ) {}

  async reread(): Promise<void> {
    this.current = (await readHistory(this.client, this.namespace)).history;
  }

  async update(change: (h: History) => History): Promise<void> {
    this.current = await updateHistory(this.client, this.namespace, change);
  }

  /** The write-ahead log of restarts. */
  restarts(): RestartLog {
    return {
      intent: (record) => this.update((h) => withIntent(h, record, new Date())),
      settle: (id, outcome) => this.update((h) => settleIntent(h, id, outcome, new Date())),
    };
  }

  quarantines(): QuarantineLog {
    return {
      intent: (record) => this.update((h) => withQuarantineIntent(h, record, new Date())),
      settle: (id, done) => this.update((h) => settleQuarantine(h, id, done, new Date())),
      removed: (ids) => this.update((h) => withoutQuarantines(h, ids, new Date())),
    };
  }
}

const describeAction = (a: RepairAction): string => (a.method === 'rollout' ? `deployment/${a.deployment}` : (a.pod ?? ''));
const escalationView = (e: Escalation) => ({ pod: e.pod, evidence: e.evidence, isNew: e.isNew });

function sectionOf(settings: RepairSettings, p: Planned, actions: RepairEntry[], extra: Partial<RepairSection> = {}): RepairSection {
  return {
    mode: settings.dryRun ? 'dry-run' : 'repair',
    actions,
    skipped: p.plan.skipped.map(({ pod, reason }) => ({ pod, reason })),
    escalations: p.escalations.map(escalationView),
    ...extra,
  };
}

/** From the judged round to the repairs done (or, in a dry run, foreseen) and recorded. */
export async function runRepairSession(s: RepairSessionDeps, start: SessionStart): Promise<SessionOutcome> {
  const { probed, judgement, stored } = start;
  if (stored.newerSchema) {
    const note = `not repairing: the repair history in the cluster was written by a newer coredns-sentinel (${stored.newerSchema}); upgrade this tool`;
    s.log.warn(note);
    return { probed, judgement, exitCode: exitCodeOf(judgement, []), section: { mode: s.settings.dryRun ? 'dry-run' : 'repair', actions: [], skipped: [], escalations: [], note } };
  }
  const guard = new ConfigGuard(s, probed.workload);
  const planned = await guard.apply(planRound(judgement, probed, stored.history, s.settings));
  if (s.settings.dryRun) return dryRun(s, probed, planned);
  return repair(s, probed, planned, new SharedHistory(s.client, probed.workload.namespace, stored.history), guard);
}

/** The dry run's foresight: the evictions a PodDisruptionBudget would refuse now, by pod (src/repair/foresight.ts). */
async function evictionForesight(s: RepairSessionDeps, workload: DnsWorkload, actions: RepairAction[]): Promise<{ blocks: Map<string, string>; note?: string }> {
  const blocks = new Map<string, string>();
  const evictions = actions.filter((a) => a.method === 'evict' && a.pod);
  if (evictions.length === 0) return { blocks };
  try {
    const [pdbs, pods] = await Promise.all([s.client.listPodDisruptionBudgets(workload.namespace), s.client.listPods(workload.namespace, workload.labelSelector)]);
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

/** What --repair would do, changing nothing: no Lease, no history write, no Event. */
async function dryRun(s: RepairSessionDeps, probed: ProbedCycle, planned: Planned): Promise<SessionOutcome> {
  const { plan, quarantines, judgement, escalations } = planned;
  const grace = (a: RepairAction) => (a.gracePeriodSeconds !== undefined ? ` with a ${a.gracePeriodSeconds} s grace period (it answers no DNS)` : '');
  const after = (i: number) => (i > 0 ? `, once ${describeAction(plan.actions[i - 1]!)} is replaced and verified` : '');
  const foresight = await evictionForesight(s, probed.workload, plan.actions);
  const would = [
    ...quarantines.map((q): RepairEntry => ({ pod: q.pod, method: 'quarantine', outcome: 'dry-run', detail: `would take it out of rotation (it answers no DNS; not restarted: ${q.reason})` })),
    ...plan.actions.map((a, i): RepairEntry => {
      const block = a.pod ? foresight.blocks.get(a.pod) : undefined;
      if (block) return { pod: describeAction(a), method: a.method, outcome: 'blocked', detail: `${block}${after(i)} — --repair asks again until --repair-timeout, never forcing` };
      return { pod: describeAction(a), method: a.method, outcome: 'dry-run', detail: `would ${a.method} ${describeAction(a)}${grace(a)}${after(i)}: ${a.reason}` };
    }),
  ];
  const shown = foresight.note ? { ...judgement, notes: [...judgement.notes, foresight.note] } : judgement;
  return { probed, judgement: shown, exitCode: exitCodeOf(judgement, escalations), section: sectionOf(s.settings, planned, would) };
}

async function emitEscalations(s: RepairSessionDeps, escalations: Escalation[], workload: DnsWorkload): Promise<void> {
  for (const e of escalations.filter((x) => x.isNew)) {
    const deployment = workload.pods.find((p) => p.name === e.pod)?.deployment ?? (workload.controller?.kind === 'Deployment' ? workload.controller.name : undefined);
    const involved = deployment ? { kind: 'Deployment' as const, name: deployment, apiVersion: 'apps/v1' } : { kind: 'Pod' as const, name: e.pod, apiVersion: 'v1' };
    await s.client
      .createEvent({ namespace: workload.namespace, involved, reason: EVENT_REASONS.escalation, type: 'Warning', message: `manual intervention required: ${e.evidence.join('; ')}` })
      .catch((err: unknown) => s.log.warn(`could not record Event ${EVENT_REASONS.escalation}: ${lineOf(err)}`));
  }
}

const changes = (p: Planned): number => p.plan.actions.length + p.quarantines.length;

/**
 * Repairs under the Lease. From the first action on, everything the run did is reported even when a
 * later step fails: the Repair section lists the actions, `incomplete` says which step failed, and the
 * exit code is "repair incomplete" (or 130 when interrupted) rather than an error that discards the report.
 */
async function repair(s: RepairSessionDeps, probed: ProbedCycle, first: Planned, history: SharedHistory, guard: ConfigGuard): Promise<SessionOutcome> {
  const { namespace, labelSelector: selector } = probed.workload;
  let planned = first;
  let lock: RepairLock | undefined;
  let entries: RepairEntry[] = [];
  let shown = { probed, judgement: first.judgement };
  let removalNotes: string[] = [];
  let releaseProblem: string | undefined;
  const ended: Ended = {};
  try {
    throwIfAborted(s.signal);
    // Intents left by a run that died are settled under the Lease, and quarantined pods deleted: take it for them too.
    if (changes(planned) > 0 || openIntents(history.current).length > 0 || dueForRemoval(history.current, planned.judgement.verdict === 'healthy', new Date()).length > 0) {
      if (changes(planned) > 0) s.progress.stage('repair', `${changes(planned)} action(s)`);
      try {
        lock = await acquireLock(s.client, namespace, s.settings.leaseSeconds, { clock: s.clock, ...(s.signal ? { signal: s.signal } : {}) });
      } catch (err) {
        if (!(err instanceof LockedError)) throw err;
        if (changes(planned) > 0) {
          s.log.warn(err.line);
          return { ...shown, exitCode: EXIT.locked, section: sectionOf(s.settings, planned, [], { note: err.line }) };
        }
      }
    }
    if (lock) {
      // Another runner may have repaired between our read and our lock: plan again on the fresh history,
      // after settling the intents of runs that died between their record and their restart.
      await history.reread();
      if (openIntents(history.current).length > 0) {
        const pods = (await s.client.listPods(namespace, selector)).map((p) => ({ uid: p.uid, terminating: p.deletionTimestamp !== undefined }));
        await history.update((h) => resolveIntents(h, pods, new Date()));
      }
      planned = await guard.apply(planRound(planned.judgement, probed, history.current, s.settings));
    }
    const isolation: IsolateContext = { client: s.client, namespace, selector, timeoutMs: s.settings.timeoutMs, log: s.log, record: history.quarantines(), clock: s.clock, ...(s.signal ? { signal: s.signal } : {}) };
    const quarantinedBefore = new Set(history.current.quarantines.map((q) => q.id));
    // Out of rotation first: it takes a silent pod out of the clients' way sooner than any restart.
    if (lock) for (const q of planned.quarantines) entries.push(await quarantine(isolation, q));
    if (lock && planned.plan.actions.length === 0 && entries.some((e) => e.outcome === 'done')) {
      // What DNS looks like without them: the report's final judgement.
      const round = await s.probeAgain(false);
      shown = { probed: round, judgement: s.judge(round, history.current) };
    }
    if (lock && planned.plan.actions.length > 0) {
      const result = await executeRepairs(planned.plan.actions, planned.judgement, {
        client: s.client,
        namespace,
        selector,
        timeoutMs: s.settings.timeoutMs,
        lock,
        log: s.log,
        clock: s.clock,
        history: history.restarts(),
        ...(s.signal ? { signal: s.signal } : {}),
        verify: async () => {
          // After a restart the workload changed: discover it again.
          const round = await s.probeAgain(true);
          return { round, judgement: s.judge(round, history.current) };
        },
      });
      entries = [...entries, ...result.entries];
      if (result.verified) shown = { probed: result.verified.round, judgement: result.verified.judgement };
      if (result.incomplete !== undefined) ended.incomplete = result.incomplete;
      if (result.interrupted) ended.interrupted = true;
      const attempted = new Set([...entries, ...result.notNeeded].map((e) => e.pod));
      const notAttempted = planned.plan.actions
        .filter((a) => !attempted.has(describeAction(a)))
        .map((a) => ({ pod: describeAction(a), reason: `not attempted: ${result.incomplete ?? 'the repair before it did not end verified'}` }));
      planned = { ...planned, plan: { ...planned.plan, skipped: [...planned.plan.skipped, ...result.notNeeded, ...notAttempted] } };
      s.progress.done();
    }
    if (lock && !ended.interrupted) {
      // Quarantined pods of earlier cycles leave for good once DNS is healthy, or at their TTL.
      const now = new Date();
      const due = dueForRemoval(history.current, shown.judgement.verdict === 'healthy', now).filter((q) => quarantinedBefore.has(q.id));
      const why = (q: { until: string }) => (Date.parse(q.until) <= now.getTime() ? 'its quarantine TTL ended' : 'DNS is healthy again');
      removalNotes = await removeQuarantined(isolation, due, s.settings.silentGraceSeconds, why);
    }
    if (!ended.interrupted) await finishRecords(s, history, shown.judgement, planned.escalations, probed.workload);
  } catch (err) {
    // Before any action nothing changed: the error is the run's outcome, as for a plain check.
    if (entries.length === 0 && !(err instanceof Interrupted)) throw err;
    if (err instanceof Interrupted) ended.interrupted = true;
    else ended.incomplete = `the repair history could not be updated after the repairs: ${lineOf(err)}`;
  } finally {
    releaseProblem = await lock?.release();
    if (releaseProblem) s.log.warn(releaseProblem);
  }
  return finished(s, shown, planned, entries, ended, [...removalNotes, ...(releaseProblem ? [releaseProblem] : [])]);
}

/** Escalation Events, then the history's new streaks (and escalations) for the judgement the report shows. */
async function finishRecords(s: RepairSessionDeps, history: SharedHistory, judgement: Judgement, escalations: Escalation[], workload: DnsWorkload): Promise<void> {
  await emitEscalations(s, escalations, workload);
  await history.update((h) => nextHistory(h, judgement, new Date(), escalations));
}

/** The session's outcome: its notes (the way it ended first), its exit code. */
function finished(s: RepairSessionDeps, shown: { probed: ProbedCycle; judgement: Judgement }, planned: Planned, entries: RepairEntry[], ended: Ended, notes: string[]): SessionOutcome {
  if (ended.interrupted && entries.length === 0) throw new Interrupted(`${NOTHING_RESTARTED}${notes.length ? `; ${notes.join('; ')}` : ''}`);
  const how = ended.interrupted
    ? ['interrupted by a signal: the restart in progress was concluded (Event, history) and the Lease released']
    : ended.incomplete !== undefined
      ? [`repair incomplete: ${ended.incomplete}`]
      : [];
  if (!ended.interrupted && ended.incomplete !== undefined) s.log.warn(`repair incomplete: ${ended.incomplete}`);
  const all = [...how, ...notes];
  const before = entries.length > 0 && shown.judgement !== planned.judgement ? { before: { classification: planned.judgement.classification, reason: planned.judgement.reason } } : {};
  return { ...shown, exitCode: exitCodeOf(shown.judgement, planned.escalations, ended), section: sectionOf(s.settings, planned, entries, { ...before, ...(all.length ? { note: all.join('; ') } : {}) }) };
}
