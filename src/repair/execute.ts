// Carries out a RepairPlan ONE action at a time (design rule 5), write-ahead: the intent to restart is
// recorded in the shared history first (no record, no restart), then an Event, then evict (PDB-
// respecting; a refusal is reported and waited on, never forced) / delete / rollout restart, then a
// bounded wait for the replacement to be Ready, the record completed with the replacements, then a NEW
// probe cycle to verify before the next pod. Every started restart ends in an Event: SentinelRepaired or
// SentinelRepairFailed — also when a later step fails, the Lease is lost or the run is interrupted.
import { randomBytes } from 'node:crypto';
import { Interrupted } from '../common/abort.ts';
import type { Clock } from '../common/clock.ts';
import { lineOf } from '../common/errors.ts';
import type { Logger } from '../common/logger.ts';
import { KubeError, type KControllerKind, type KPod, type RepairKubeClient } from '../kube/index.ts';
import type { Judgement } from '../judge/types.ts';
import type { RepairAction, RepairMethod } from './policy.ts';
import type { RepairLock } from './lock.ts';
import { intentOf, type RestartRecord } from './history.ts';

export const EVENT_REASONS = {
  restart: 'SentinelRestart',
  repaired: 'SentinelRepaired',
  failed: 'SentinelRepairFailed',
  escalation: 'SentinelEscalation',
  quarantine: 'SentinelQuarantine',
  quarantined: 'SentinelQuarantined',
} as const;

/** Pause between readiness polls and between retries of a PDB-refused eviction. */
const POLL_MS = 500;
const PDB_RETRY_MS = 5000;

export type RepairOutcome = 'done' | 'blocked' | 'failed' | 'dry-run';

/** How an action changed the cluster: a restart, or taking the pod out of rotation (src/repair/isolate.ts). */
export type ActionMethod = RepairMethod | 'quarantine';

/** One action as the report shows it. */
export interface RepairEntry {
  pod: string;
  method: ActionMethod;
  outcome: RepairOutcome;
  detail: string;
}

/** The shared history's write-ahead log, as the engine stores it (src/repair/state.ts). */
export interface RestartLog {
  /** Records the intent; throws when it cannot (then nothing is restarted). */
  intent(record: RestartRecord): Promise<void>;
  /** Completes the record: done (with replacements once seen), or dropped when nothing happened. */
  settle(id: string, outcome: { done: true; replacements?: { name: string; uid: string }[] } | { done: false }): Promise<void>;
}

/** A verification round: its judgement, and the round itself (the engine's probe round, for the report). */
export interface Verified<R> {
  judgement: Judgement;
  round: R;
}

export interface ExecuteContext<R> {
  client: RepairKubeClient;
  namespace: string;
  selector: string;
  /** Bound on each action: PDB retries plus the wait for the replacement (--repair-timeout). */
  timeoutMs: number;
  lock: RepairLock;
  log: Logger;
  history: RestartLog;
  /** SIGINT/SIGTERM: stop after concluding the action in progress. */
  signal?: AbortSignal;
  /** Measures --repair-timeout and paces the retries and readiness polls. */
  clock: Clock;
  /** Runs a new probe cycle and judges it (terminating pods left out); verifies each repair before the next. */
  verify(): Promise<Verified<R>>;
}

export interface ExecuteResult<R> {
  entries: RepairEntry[];
  done: RepairAction[];
  /** The last verification cycle, when one ran. */
  verified?: Verified<R>;
  /** Why the repair stopped before it was complete (a failed step, a lost Lease); the report says so. */
  incomplete?: string;
  /** The run was interrupted; what was started has been concluded. */
  interrupted?: boolean;
  /** Actions left out because the verification before them no longer found their pod sick. */
  notNeeded: { pod: string; reason: string }[];
}

const live = (p: KPod) => !p.deletionTimestamp && p.phase !== 'Succeeded' && p.phase !== 'Failed';
const ready = (p: KPod) => live(p) && p.conditions.some((c) => c.type === 'Ready' && c.status === 'True');

/** The replacement is in: none of the old pods is still live, and as many pods are Ready as before. Pure. */
export function replaced(pods: KPod[], oldUids: Set<string>, readyBefore: number): boolean {
  return !pods.some((p) => live(p) && oldUids.has(p.uid)) && pods.filter(ready).length >= readyBefore;
}

/** The pods that appeared since the restart began: its replacements (they inherit its lineage). Pure. */
export function newPods(pods: KPod[], before: Set<string>): { name: string; uid: string }[] {
  return pods.filter((p) => live(p) && !before.has(p.uid)).map((p) => ({ name: p.name, uid: p.uid }));
}

/** The action's target and the pods it takes down: the sick pod, or every pod of its controller. */
function subject(action: RepairAction): { kind: 'Pod' | KControllerKind; name: string; apiVersion: string; label: string } {
  if (action.method === 'rollout' || !action.pod) {
    const c = action.controller ?? { kind: 'Deployment' as const, name: action.deployment ?? '' };
    return { kind: c.kind, name: c.name, apiVersion: 'apps/v1', label: `${c.kind.toLowerCase()}/${c.name}` };
  }
  return { kind: 'Pod', name: action.pod, apiVersion: 'v1', label: action.pod };
}

async function event<R>(ctx: ExecuteContext<R>, action: RepairAction, reason: string, type: 'Normal' | 'Warning', message: string): Promise<void> {
  const s = subject(action);
  const uid = s.kind === 'Pod' ? action.restarts[0]?.uid : undefined;
  await ctx.client
    .createEvent({ namespace: ctx.namespace, involved: { kind: s.kind, name: s.name, apiVersion: s.apiVersion, ...(uid ? { uid } : {}) }, reason, type, message })
    .catch((err: unknown) => ctx.log.warn(`could not record Event ${reason} on ${s.label}: ${lineOf(err)}`));
}

/** Why the repair must not take its next step: a signal, or the Lease lost. */
function stopReason<R>(ctx: ExecuteContext<R>): string | undefined {
  if (ctx.signal?.aborted) return 'interrupted';
  if (ctx.lock.lost.aborted) return (ctx.lock.lost.reason as Error | undefined)?.message ?? 'the repair Lease was lost';
  return undefined;
}

/** Evicts, retrying a PDB refusal until the deadline; returns the refusal when it never cleared. */
async function evict<R>(ctx: ExecuteContext<R>, action: RepairAction, pod: string, uid: string, deadline: number): Promise<string | undefined> {
  for (;;) {
    const result = await ctx.client.evictPod(ctx.namespace, pod, uid, action.gracePeriodSeconds);
    if (result.evicted) return undefined;
    ctx.log.warn(`eviction of ${pod} ${result.message}; waiting (never forced)`);
    if (ctx.clock.monotonic() + PDB_RETRY_MS > deadline) return result.message;
    await ctx.clock.sleep(PDB_RETRY_MS, ctx.signal);
    const stop = stopReason(ctx);
    if (stop) return `${result.message}; stopped waiting: ${stop}`;
  }
}

async function waitReplaced<R>(ctx: ExecuteContext<R>, oldUids: Set<string>, readyBefore: number, deadline: number): Promise<KPod[] | undefined> {
  while (ctx.clock.monotonic() < deadline) {
    const pods = await ctx.client.listPods(ctx.namespace, ctx.selector);
    if (replaced(pods, oldUids, readyBefore)) return pods;
    await ctx.clock.sleep(POLL_MS, ctx.signal);
  }
  return undefined;
}

/** Did the repair work? The pods that replaced the restarted ones pass, and no pod that passed before fails now. */
export function verification(before: Judgement, after: Judgement, restartedUids: Set<string>): { ok: boolean; detail: string } {
  const failingInternal = (j: Judgement) => j.targets.filter((t) => t.kind === 'pod' && t.failedChecks.some((c) => !c.external));
  const beforeFailing = new Set(failingInternal(before).map((t) => t.pod?.name));
  const knownBefore = new Set(before.targets.flatMap((t) => (t.pod ? [t.pod.uid] : [])));
  const failingNow = failingInternal(after);
  const newPodsFailing = failingNow.filter((t) => t.pod && !knownBefore.has(t.pod.uid) && !restartedUids.has(t.pod.uid));
  const newlyFailing = failingNow.filter((t) => t.pod && knownBefore.has(t.pod.uid) && !beforeFailing.has(t.pod.name));
  const bad = [...newPodsFailing, ...newlyFailing];
  if (bad.length === 0) return { ok: true, detail: `verified by a new probe: ${after.classification === 'healthy' ? 'DNS healthy' : after.reason}` };
  return { ok: false, detail: `a new probe still sees ${bad.map((t) => `${t.label} (${t.reason})`).join(', ')}` };
}

interface ActionOutcome<R> {
  entry: RepairEntry;
  done: boolean;
  /** The intent could not be written (nothing restarted): why. */
  unrecorded?: unknown;
  verified?: Verified<R>;
  incomplete?: string;
  interrupted?: boolean;
}

async function carryOut<R>(ctx: ExecuteContext<R>, action: RepairAction, before: Judgement): Promise<ActionOutcome<R>> {
  const s = subject(action);
  const deadline = ctx.clock.monotonic() + ctx.timeoutMs;
  const entry = (outcome: RepairEntry['outcome'], detail: string): RepairEntry => ({ pod: s.label, method: action.method, outcome, detail });
  const pods = await ctx.client.listPods(ctx.namespace, ctx.selector);
  const readyBefore = pods.filter(ready).length;
  const known = new Set(pods.map((p) => p.uid));
  const oldUids = new Set(action.method === 'rollout' ? pods.filter(live).map((p) => p.uid) : action.restarts.map((r) => r.uid));

  // Write-ahead: no record, no restart.
  const intent = intentOf(action, randomBytes(6).toString('hex'), new Date());
  try {
    await ctx.history.intent(intent);
  } catch (err) {
    const why = `could not record the restart in the repair history (${lineOf(err)}); not restarting ${s.label}`;
    return { entry: entry('failed', why), done: false, incomplete: why, unrecorded: err };
  }
  const stopped = stopReason(ctx);
  if (stopped) {
    await ctx.history.settle(intent.id, { done: false }).catch((err: unknown) => ctx.log.warn(`could not drop the restart intent for ${s.label}: ${lineOf(err)}`));
    return { entry: entry('failed', `not restarted: ${stopped}`), done: false, incomplete: stopped, interrupted: ctx.signal?.aborted === true };
  }

  await event(ctx, action, EVENT_REASONS.restart, 'Warning', `coredns-sentinel restarts ${s.label} by ${action.method}${action.gracePeriodSeconds !== undefined ? ` (grace period ${action.gracePeriodSeconds} s: it answers no DNS)` : ''}: ${action.reason}`);
  let restarted = false;
  let replacements: { name: string; uid: string }[] | undefined;
  /** Concludes a started action that cannot go on: its Event, its record, its entry. */
  const conclude = async (detail: string, extra: Partial<ActionOutcome<R>>): Promise<ActionOutcome<R>> => {
    await event(ctx, action, EVENT_REASONS.failed, 'Warning', `${s.label}: ${detail}`);
    let recorded = '';
    await ctx.history.settle(intent.id, restarted ? { done: true, ...(replacements ? { replacements } : {}) } : { done: false }).catch((err: unknown) => {
      // An unsettled intent still counts as a restart for the next run's cooldown and budget.
      recorded = `; the history keeps it as an intent (${lineOf(err)})`;
    });
    return { entry: entry('failed', `${detail}${recorded}`), done: restarted, ...extra };
  };

  try {
    const target = action.restarts[0];
    if (action.method === 'evict' && target) {
      const blocked = await evict(ctx, action, target.pod, target.uid, deadline);
      if (blocked) {
        await event(ctx, action, EVENT_REASONS.failed, 'Warning', `eviction of ${target.pod} ${blocked}; not forced`);
        await ctx.history.settle(intent.id, { done: false }).catch((err: unknown) => ctx.log.warn(`could not drop the restart intent for ${s.label}: ${lineOf(err)}`));
        const stop = stopReason(ctx);
        return { entry: entry('blocked', `${blocked}; not forced (retried until --repair-timeout)`), done: false, ...(stop ? { incomplete: stop, interrupted: ctx.signal?.aborted === true } : {}) };
      }
    } else if (action.method === 'delete' && target) {
      await ctx.client.deletePodGracefully(ctx.namespace, target.pod, target.uid, action.gracePeriodSeconds);
    } else {
      const c = action.controller ?? { kind: 'Deployment' as const, name: action.deployment ?? '' };
      await ctx.client.restartController(c.kind, ctx.namespace, c.name, new Date());
    }
    restarted = true;

    const after = await waitReplaced(ctx, oldUids, readyBefore, deadline);
    if (after) replacements = newPods(after, known);
    try {
      await ctx.history.settle(intent.id, { done: true, ...(replacements ? { replacements } : {}) });
    } catch (err) {
      return await conclude(`restarted, but the repair history could not be completed (${lineOf(err)}); stopping`, { incomplete: `could not complete the repair history: ${lineOf(err)}` });
    }
    if (!after) {
      const detail = `restarted, but no Ready replacement within ${Math.round(ctx.timeoutMs / 1000)} s (--repair-timeout); not touching other pods`;
      await event(ctx, action, EVENT_REASONS.failed, 'Warning', `${s.label}: ${detail}`);
      return { entry: entry('failed', detail), done: true };
    }
    const verified = await ctx.verify();
    const check = verification(before, verified.judgement, oldUids);
    await event(ctx, action, check.ok ? EVENT_REASONS.repaired : EVENT_REASONS.failed, check.ok ? 'Normal' : 'Warning', `${s.label} restarted by ${action.method}: ${check.detail}`);
    return { entry: entry(check.ok ? 'done' : 'failed', check.ok ? `replacement Ready; ${check.detail}` : check.detail), done: true, verified };
  } catch (err) {
    if (err instanceof Interrupted || ctx.signal?.aborted)
      return conclude(restarted ? `${action.method} done, then interrupted before the replacement was verified` : 'interrupted before the restart', { incomplete: 'interrupted', interrupted: true });
    const why = lineOf(err);
    return conclude(restarted ? `${action.method} done, then ${why}` : `${action.method} failed: ${why}`, { incomplete: why });
  }
}

/**
 * Why a pod restart planned before the last verification is no longer needed, or undefined when its pod
 * is still a repair candidate in that verification's judgement. Pure.
 */
export function noLongerNeeded(action: RepairAction, verified: Judgement): string | undefined {
  if (action.method === 'rollout') return undefined;
  const uids = action.restarts.map((r) => r.uid);
  if (uids.every((uid) => verified.candidates.some((c) => c.uid === uid))) return undefined;
  const target = verified.targets.find((t) => t.pod && uids.includes(t.pod.uid));
  if (!target) return 'the verification after the previous repair no longer sees the pod; not restarted';
  if (target.failedChecks.length === 0) return 'passes in the verification after the previous repair; not restarted';
  return `no longer repairable in the verification after the previous repair (${target.classification}: ${target.reason}); not restarted`;
}

/** One action at a time; stops at the first action that does not end verified, at a signal, or when the Lease is lost. */
export async function executeRepairs<R>(actions: RepairAction[], judgement: Judgement, ctx: ExecuteContext<R>): Promise<ExecuteResult<R>> {
  const result: ExecuteResult<R> = { entries: [], done: [], notNeeded: [] };
  let before = judgement;
  for (const action of actions) {
    const stop = stopReason(ctx);
    if (stop) {
      result.incomplete = stop;
      result.interrupted = ctx.signal?.aborted === true;
      break;
    }
    // Each restart after the first is planned on the judgement before them all: the last verification decides.
    const settled = before !== judgement ? noLongerNeeded(action, before) : undefined;
    if (settled) {
      result.notNeeded.push({ pod: subject(action).label, reason: settled });
      continue;
    }
    const outcome = await carryOut(ctx, action, before);
    // Write-ahead refused by RBAC before anything was restarted: a missing rule, the run's outcome
    // (exit 3 naming it), not an incomplete repair.
    if (outcome.unrecorded instanceof KubeError && outcome.unrecorded.kind === 'forbidden' && result.done.length === 0) throw outcome.unrecorded;
    result.entries.push(outcome.entry);
    if (outcome.done) result.done.push(action);
    if (outcome.verified) {
      result.verified = outcome.verified;
      before = outcome.verified.judgement;
    }
    if (outcome.incomplete) result.incomplete = outcome.incomplete;
    if (outcome.interrupted) result.interrupted = true;
    if (outcome.entry.outcome !== 'done') break;
  }
  return result;
}
