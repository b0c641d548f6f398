// The state shared across runs (a laptop, CI, the watch loop): failing streaks per target, restarts
// done, escalations raised. Others store it in a ConfigMap in the DNS namespace; this module defines the
// data, how one cycle moves it forward, and how it is written to / read from ConfigMap `data`. Pure.
import type { Judgement } from '../judge/types.ts';
import * as v from '../probe/validate.ts';
import type { Escalation, RepairAction, RepairMethod } from './policy.ts';

export const HISTORY_SCHEMA = 'coredns-sentinel/history/v2';
/** v1 restarts had no id or status: read as done, their lineage as written (the Deployment). */
const HISTORY_SCHEMA_V1 = 'coredns-sentinel/history/v1';
/** The ConfigMap `data` key holding the JSON. */
export const HISTORY_KEY = 'history.json';

export interface TargetRecord {
  /** Consecutive failing cycles. */
  failing: number;
  /** Failing checks of the latest cycle (judge signature). */
  signature: string;
  /** When the streak began (ISO). */
  since: string;
}

/**
 * Write-ahead: a restart is recorded as an `intent` BEFORE the eviction (no record, no eviction) and
 * marked `done` after it, with the pods that replaced it once they are known. An intent left by a run
 * that died counts as a restart until a run holding the Lease settles it against the pods (resolveIntents).
 */
export type RestartStatus = 'intent' | 'done';

export interface RestartRecord {
  /** Unique per record: the completing write finds its intent by it. */
  id: string;
  at: string;
  method: RepairMethod;
  status: RestartStatus;
  /** The pod lineage (a pod and the replacements that follow it): cooldown and escalation follow it. */
  lineage: string;
  /** The controller (Deployment) of the pods, when they have one. */
  workload?: string;
  pods: { name: string; uid: string; signature: string }[];
  /** The pods that replaced the restarted ones (they inherit the lineage); absent until seen. */
  replacements?: { name: string; uid: string }[];
}

export interface EscalationRecord {
  /** First raised (ISO). */
  at: string;
  lineage: string;
  signature: string;
  pod: string;
  evidence: string[];
}

/**
 * A pod taken out of rotation (src/repair/quarantine.ts), write-ahead like a restart: recorded as an
 * `intent` before the relabel, `done` after it; dropped once the pod is deleted (its TTL, a healthy cycle).
 */
export interface QuarantineRecord {
  id: string;
  at: string;
  /** When it is deleted at the latest (ISO). */
  until: string;
  status: RestartStatus;
  lineage: string;
  pod: { name: string; uid: string };
  /** Why its restart was refused. */
  reason: string;
  /** The labels removed from it (the Service's selector), so a human can put it back. */
  removedLabels: Record<string, string>;
}

export interface History {
  schema: typeof HISTORY_SCHEMA;
  updatedAt: string | null;
  /** By judge target key (pod name AND uid). Only targets failing now. */
  targets: Record<string, TargetRecord>;
  /** Oldest first. */
  restarts: RestartRecord[];
  escalations: EscalationRecord[];
  /** Pods out of rotation and not yet deleted, oldest first (absent from histories of earlier versions). */
  quarantines: QuarantineRecord[];
}

/** Bounds on what is kept, so the ConfigMap stays far below its 1 MiB limit. */
export const HISTORY_LIMITS = {
  /** Restarts and escalations older than this are dropped; longer than any sane budget window. */
  retainMs: 24 * 60 * 60 * 1000,
  restarts: 200,
  escalations: 50,
  quarantines: 50,
  targets: 2000,
  evidenceLines: 10,
} as const;

export const emptyHistory = (): History => ({ schema: HISTORY_SCHEMA, updatedAt: null, targets: {}, restarts: [], escalations: [], quarantines: [] });

/** The judge's input: consecutive failing cycles per target key. */
export const previousFailures = (h: History): Record<string, number> =>
  Object.fromEntries(Object.entries(h.targets).map(([key, t]) => [key, t.failing]));

const age = (iso: string, now: Date): number => now.getTime() - Date.parse(iso);
const oldestFirst = (a: { at: string }, b: { at: string }): number => Date.parse(a.at) - Date.parse(b.at);

/**
 * History after one cycle: streaks as the judge counted them, the restarts just done, the escalations
 * raised (kept with their first time; all cleared by a healthy cycle), old entries pruned.
 */
export function nextHistory(prev: History, judgement: Judgement, now: Date, escalations: Escalation[] = []): History {
  const at = now.toISOString();
  const targets: Record<string, TargetRecord> = {};
  for (const t of judgement.targets.filter((v) => v.consecutiveFailures > 0).slice(0, HISTORY_LIMITS.targets)) {
    const before = prev.targets[t.key];
    targets[t.key] = { failing: t.consecutiveFailures, signature: t.signature, since: before?.since ?? at };
  }
  const restarts = pruneRestarts(prev.restarts, now);

  const sameEscalation = (a: { lineage: string; signature: string }, b: { lineage: string; signature: string }) =>
    a.lineage === b.lineage && a.signature === b.signature;
  const kept = judgement.verdict === 'healthy' ? [] : prev.escalations.filter((e) => age(e.at, now) < HISTORY_LIMITS.retainMs);
  const raised = escalations
    .filter((e) => !kept.some((k) => sameEscalation(k, e)))
    .map((e) => ({ at, lineage: e.lineage, signature: e.signature, pod: e.pod, evidence: e.evidence.slice(0, HISTORY_LIMITS.evidenceLines) }));
  return {
    schema: HISTORY_SCHEMA,
    updatedAt: at,
    targets,
    restarts,
    escalations: [...kept, ...raised].slice(-HISTORY_LIMITS.escalations),
    quarantines: prev.quarantines,
  };
}

const pruneRestarts = (restarts: RestartRecord[], now: Date): RestartRecord[] =>
  restarts.filter((r) => age(r.at, now) < HISTORY_LIMITS.retainMs).sort(oldestFirst).slice(-HISTORY_LIMITS.restarts);

/** The write-ahead record of `action`, about to be carried out. */
export function intentOf(action: RepairAction, id: string, now: Date): RestartRecord {
  return {
    id,
    at: now.toISOString(),
    method: action.method,
    status: 'intent',
    lineage: action.lineage,
    ...(action.deployment ? { workload: action.deployment } : {}),
    pods: action.restarts.map((r) => ({ name: r.pod, uid: r.uid, signature: r.signature })),
  };
}

/** History with the intent recorded (before the eviction). */
export const withIntent = (h: History, intent: RestartRecord, now: Date): History => ({
  ...h,
  updatedAt: now.toISOString(),
  restarts: pruneRestarts([...h.restarts.filter((r) => r.id !== intent.id), intent], now),
});

/**
 * History after the action: `done` (with its replacements when known), or `undone` — the eviction was
 * refused or failed before it took effect, so no restart happened and the intent is dropped.
 */
export function settleIntent(h: History, id: string, outcome: { done: true; replacements?: { name: string; uid: string }[] } | { done: false }, now: Date): History {
  const restarts = outcome.done
    ? h.restarts.map((r) => (r.id === id ? { ...r, status: 'done' as const, ...(outcome.replacements?.length ? { replacements: outcome.replacements } : {}) } : r))
    : h.restarts.filter((r) => r.id !== id);
  return { ...h, updatedAt: now.toISOString(), restarts };
}

/** Intents whose run ended without settling them (restarts and quarantines). */
export const openIntents = (h: History): (RestartRecord | QuarantineRecord)[] => [...h.restarts, ...h.quarantines].filter((r) => r.status === 'intent');

/**
 * Settles intents left by runs that died (call only while holding the Lease, so no run is between its
 * intent and its eviction): a restart whose pods are all still live and not terminating never happened
 * (dropped); otherwise it happened (done). `pods` is a fresh list of the DNS pods.
 */
export function resolveIntents(h: History, pods: { uid: string; terminating: boolean }[], now: Date): History {
  const live = new Set(pods.filter((p) => !p.terminating).map((p) => p.uid));
  let restarts = h.restarts;
  for (const r of h.restarts.filter((x) => x.status === 'intent')) {
    const happened = r.method === 'rollout' || r.pods.some((p) => !live.has(p.uid));
    restarts = happened ? restarts.map((x) => (x.id === r.id ? { ...x, status: 'done' as const } : x)) : restarts.filter((x) => x.id !== r.id);
  }
  // A quarantined pod has left the DNS pods' selector: still among them, its relabel never happened.
  let quarantines = h.quarantines;
  for (const q of h.quarantines.filter((x) => x.status === 'intent')) {
    const happened = !live.has(q.pod.uid);
    quarantines = happened ? quarantines.map((x) => (x.id === q.id ? { ...x, status: 'done' as const } : x)) : quarantines.filter((x) => x.id !== q.id);
  }
  return restarts === h.restarts && quarantines === h.quarantines ? h : { ...h, updatedAt: now.toISOString(), restarts, quarantines };
}

/** ConfigMap `data` for the history. */
export const encodeHistory = (h: History): Record<string, string> => ({ [HISTORY_KEY]: JSON.stringify(h) });

// ---------------------------------------------------------------------------------------------
// Decoding: whatever is in the ConfigMap (another version, a hand edit, garbage) never crashes a run.
// Each entry is checked with the validation kit (src/probe/validate.ts); the ones it refuses are dropped.

/** Any string: the ConfigMap holds at most 1 MiB. Unknown keys are kept (open objects), as before v2. */
const text = v.str({ min: 0, max: 1 << 20 });
const podRef = v.object({ name: text, uid: text }, { open: true });

const TARGET: v.Validator<TargetRecord> = v.object({ failing: v.int(1, 2 ** 31 - 1), signature: text, since: v.time }, { open: true });
const RESTART: v.Validator<RestartRecord> = v.object(
  {
    id: text,
    at: v.time,
    method: v.oneOf(['evict', 'delete', 'rollout'] as const satisfies readonly RepairMethod[]),
    status: v.oneOf(['intent', 'done'] as const satisfies readonly RestartStatus[]),
    lineage: text,
    workload: v.optional(text),
    pods: v.list(v.object({ name: text, uid: text, signature: text }, { open: true })),
    replacements: v.optional(v.list(podRef)),
  },
  { open: true },
);
const QUARANTINE: v.Validator<QuarantineRecord> = v.object(
  {
    id: text,
    at: v.time,
    until: v.time,
    status: v.oneOf(['intent', 'done'] as const satisfies readonly RestartStatus[]),
    lineage: text,
    pod: podRef,
    reason: text,
    removedLabels: v.record(text),
  },
  { open: true },
);
const ESCALATION: v.Validator<EscalationRecord> = v.object({ at: v.time, lineage: text, signature: text, pod: text, evidence: v.list(text) }, { open: true });

export interface Decoded {
  history: History;
  /** One line for the user when something was dropped or unreadable. */
  warning?: string;
}

/** The history in ConfigMap `data`; no data is a fresh start, garbage an empty history and a warning. */
export function decodeHistory(data: Record<string, string> | undefined): Decoded {
  const text = data?.[HISTORY_KEY];
  if (text === undefined) return { history: emptyHistory() };
  const reset = (why: string): Decoded => ({
    history: emptyHistory(),
    warning: `repair history in the ConfigMap ${why}; starting from an empty history (cooldowns and budgets restart)`,
  });
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return reset('is not valid JSON');
  }
  if (!v.isObject(parsed)) return reset('is not a JSON object');
  const v1 = parsed.schema === HISTORY_SCHEMA_V1;
  if (parsed.schema !== HISTORY_SCHEMA && !v1) return reset(`${parsed.schema === undefined ? 'has no schema' : `has schema ${v.preview(parsed.schema)}`}, expected "${HISTORY_SCHEMA}"`);

  const targetsIn = v.isObject(parsed.targets) ? Object.entries(parsed.targets) : [];
  const restartsIn = (Array.isArray(parsed.restarts) ? parsed.restarts : []).map((r: unknown, i) =>
    v1 && v.isObject(r) ? { id: `v1-${i}-${String(r.at)}`, status: 'done', ...r } : r);
  const escalationsIn: unknown[] = Array.isArray(parsed.escalations) ? parsed.escalations : [];
  const quarantinesIn: unknown[] = Array.isArray(parsed.quarantines) ? parsed.quarantines : [];
  const targetProblems: string[] = [];
  const targetsOk = targetsIn.filter(([key, t]) => {
    const problem = TARGET(t, `targets[${v.preview(key)}]`);
    if (problem) targetProblems.push(problem);
    return problem === null;
  });
  const restartsRead = v.sift(RESTART, restartsIn, 'restarts');
  const escalationsRead = v.sift(ESCALATION, escalationsIn, 'escalations');
  const quarantinesRead = v.sift(QUARANTINE, quarantinesIn, 'quarantines');
  const history: History = {
    schema: HISTORY_SCHEMA,
    updatedAt: v.is(v.time, parsed.updatedAt) ? parsed.updatedAt : null,
    targets: Object.fromEntries(targetsOk.slice(0, HISTORY_LIMITS.targets)) as Record<string, TargetRecord>,
    restarts: restartsRead.valid.sort(oldestFirst).slice(-HISTORY_LIMITS.restarts),
    escalations: escalationsRead.valid.slice(-HISTORY_LIMITS.escalations),
    quarantines: quarantinesRead.valid.sort(oldestFirst).slice(-HISTORY_LIMITS.quarantines),
  };
  const problems = [...targetProblems, ...restartsRead.problems, ...escalationsRead.problems, ...quarantinesRead.problems];
  const dropped = problems.length;
  const shapeBroken = !v.isObject(parsed.targets) || !Array.isArray(parsed.restarts) || !Array.isArray(parsed.escalations);
  if (dropped === 0 && !shapeBroken) return { history };
  const first = dropped ? ` (the first: ${problems[0]})` : '';
  return { history, warning: `repair history in the ConfigMap had ${dropped} unreadable entr${dropped === 1 ? 'y' : 'ies'}${first}${shapeBroken ? ' and missing lists' : ''}; kept the rest` };
}
