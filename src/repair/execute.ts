// Carries out a RepairPlan ONE action at a time (design rule 5): an Event first, then evict (PDB-
// respecting; a refusal is reported and waited on, never forced) / delete / rollout restart, then a
// bounded wait for the replacement to be Ready, then a NEW probe cycle to verify before the next pod.
// Every outcome ends in an Event: SentinelRepaired or SentinelRepairFailed.
import type { Logger } from '../common/logger.ts';
import { KubeError, type KPod, type RepairKubeClient } from '../kube/index.ts';
import type { Judgement } from '../judge/types.ts';
import type { RepairAction } from './policy.ts';
import type { RepairLock } from './lock.ts';

export const EVENT_REASONS = {
  restart: 'SentinelRestart',
  repaired: 'SentinelRepaired',
  failed: 'SentinelRepairFailed',
  escalation: 'SentinelEscalation',
} as const;

/** Pause between readiness polls and between retries of a PDB-refused eviction. */
const POLL_MS = 500;
const PDB_RETRY_MS = 5000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export type RepairOutcome = 'done' | 'blocked' | 'failed' | 'dry-run';

/** One action as the report shows it. */
export interface RepairEntry {
  pod: string;
  method: string;
  outcome: RepairOutcome;
  detail: string;
}

export interface ExecuteContext {
  client: RepairKubeClient;
  namespace: string;
  selector: string;
  /** Bound on each action: PDB retries plus the wait for the replacement (--repair-timeout). */
  timeoutMs: number;
  lock: RepairLock;
  log: Logger;
  /** Runs a new probe cycle and judges it (terminating pods left out); verifies each repair before the next. */
  verify(): Promise<Judgement>;
  /** Records the restart in the shared history as soon as it happened. */
  recordRestart(action: RepairAction): Promise<void>;
}

export interface ExecuteResult {
  entries: RepairEntry[];
  done: RepairAction[];
  /** The judgement of the last verification cycle, when one ran. */
  verified?: Judgement;
}

const live = (p: KPod) => !p.deletionTimestamp && p.phase !== 'Succeeded' && p.phase !== 'Failed';
const ready = (p: KPod) => live(p) && p.conditions.some((c) => c.type === 'Ready' && c.status === 'True');

/** The replacement is in: none of the old pods is still live, and as many pods are Ready as before. Pure. */
export function replaced(pods: KPod[], oldUids: Set<string>, readyBefore: number): boolean {
  return !pods.some((p) => live(p) && oldUids.has(p.uid)) && pods.filter(ready).length >= readyBefore;
}

/** The action's target and the pods it takes down: the sick pod, or every pod of the Deployment. */
function subject(action: RepairAction): { kind: 'Pod' | 'Deployment'; name: string; apiVersion: string; label: string } {
  if (action.method === 'rollout' || !action.pod) return { kind: 'Deployment', name: action.deployment ?? '', apiVersion: 'apps/v1', label: `deployment/${action.deployment}` };
  return { kind: 'Pod', name: action.pod, apiVersion: 'v1', label: action.pod };
}

async function event(ctx: ExecuteContext, action: RepairAction, reason: string, type: 'Normal' | 'Warning', message: string): Promise<void> {
  const s = subject(action);
  const uid = s.kind === 'Pod' ? action.restarts[0]?.uid : undefined;
  await ctx.client
    .createEvent({ namespace: ctx.namespace, involved: { kind: s.kind, name: s.name, apiVersion: s.apiVersion, ...(uid ? { uid } : {}) }, reason, type, message })
    .catch((err: unknown) => ctx.log.warn(`could not record Event ${reason} on ${s.label}: ${err instanceof KubeError ? err.line : String(err)}`));
}

/** Evicts, retrying a PDB refusal until the deadline; returns the refusal when it never cleared. */
async function evict(ctx: ExecuteContext, pod: string, uid: string, deadline: number): Promise<string | undefined> {
  for (;;) {
    const result = await ctx.client.evictPod(ctx.namespace, pod, uid);
    if (result.evicted) return undefined;
    ctx.log.warn(`eviction of ${pod} ${result.message}; waiting (never forced)`);
    if (Date.now() + PDB_RETRY_MS > deadline) return result.message;
    await sleep(PDB_RETRY_MS);
    await ctx.lock.renew();
  }
}

async function waitReplaced(ctx: ExecuteContext, oldUids: Set<string>, readyBefore: number, deadline: number): Promise<boolean> {
  let lastRenew = Date.now();
  while (Date.now() < deadline) {
    const pods = await ctx.client.listPods(ctx.namespace, ctx.selector);
    if (replaced(pods, oldUids, readyBefore)) return true;
    if (Date.now() - lastRenew > 10_000) {
      await ctx.lock.renew();
      lastRenew = Date.now();
    }
    await sleep(POLL_MS);
  }
  return false;
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

async function carryOut(ctx: ExecuteContext, action: RepairAction, before: Judgement): Promise<{ entry: RepairEntry; done: boolean; verified?: Judgement }> {
  const s = subject(action);
  const deadline = Date.now() + ctx.timeoutMs;
  const entry = (outcome: RepairEntry['outcome'], detail: string): RepairEntry => ({ pod: s.label, method: action.method, outcome, detail });
  const pods = await ctx.client.listPods(ctx.namespace, ctx.selector);
  const readyBefore = pods.filter(ready).length;
  const oldUids = new Set(action.method === 'rollout' ? pods.filter(live).map((p) => p.uid) : action.restarts.map((r) => r.uid));

  await event(ctx, action, EVENT_REASONS.restart, 'Warning', `coredns-sentinel restarts ${s.label} by ${action.method}: ${action.reason}`);
  const target = action.restarts[0];
  if (action.method === 'evict' && target) {
    const blocked = await evict(ctx, target.pod, target.uid, deadline);
    if (blocked) {
      await event(ctx, action, EVENT_REASONS.failed, 'Warning', `eviction of ${target.pod} ${blocked}; not forced`);
      return { entry: entry('blocked', `${blocked}; not forced (retried until --repair-timeout)`), done: false };
    }
  } else if (action.method === 'delete' && target) {
    await ctx.client.deletePodGracefully(ctx.namespace, target.pod, target.uid);
  } else {
    await ctx.client.restartDeployment(ctx.namespace, action.deployment ?? '', new Date());
  }
  await ctx.recordRestart(action);

  if (!(await waitReplaced(ctx, oldUids, readyBefore, deadline))) {
    const detail = `restarted, but no Ready replacement within ${Math.round(ctx.timeoutMs / 1000)} s (--repair-timeout); not touching other pods`;
    await event(ctx, action, EVENT_REASONS.failed, 'Warning', `${s.label}: ${detail}`);
    return { entry: entry('failed', detail), done: true };
  }
  const after = await ctx.verify();
  const check = verification(before, after, oldUids);
  await event(ctx, action, check.ok ? EVENT_REASONS.repaired : EVENT_REASONS.failed, check.ok ? 'Normal' : 'Warning', `${s.label} restarted by ${action.method}: ${check.detail}`);
  return { entry: entry(check.ok ? 'done' : 'failed', check.ok ? `replacement Ready; ${check.detail}` : check.detail), done: true, verified: after };
}

/** One action at a time; stops at the first action that does not end verified. */
export async function executeRepairs(actions: RepairAction[], judgement: Judgement, ctx: ExecuteContext): Promise<ExecuteResult> {
  const result: ExecuteResult = { entries: [], done: [] };
  let before = judgement;
  for (const action of actions) {
    await ctx.lock.renew();
    const { entry, done, verified } = await carryOut(ctx, action, before);
    result.entries.push(entry);
    if (done) result.done.push(action);
    if (verified) result.verified = before = verified;
    if (entry.outcome !== 'done') break;
  }
  return result;
}
