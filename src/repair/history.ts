// The state shared across runs (a laptop, CI, the watch loop): failing streaks per target, restarts
// done, escalations raised. Others store it in a ConfigMap in the DNS namespace; this module defines the
// data, how one cycle moves it forward, and how it is written to / read from ConfigMap `data`. Pure.
import type { Judgement } from '../judge/types.ts';
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

export interface History {
  schema: typeof HISTORY_SCHEMA;
  updatedAt: string | null;
  /** By judge target key (pod name AND uid). Only targets failing now. */
  targets: Record<string, TargetRecord>;
  /** Oldest first. */
  restarts: RestartRecord[];
  escalations: EscalationRecord[];
}

/** Bounds on what is kept, so the ConfigMap stays far below its 1 MiB limit. */
export const HISTORY_LIMITS = {
  /** Restarts and escalations older than this are dropped; longer than any sane budget window. */
  retainMs: 24 * 60 * 60 * 1000,
  restarts: 200,
  escalations: 50,
  targets: 2000,
  evidenceLines: 10,
} as const;

export const emptyHistory = (): History => ({ schema: HISTORY_SCHEMA, updatedAt: null, targets: {}, restarts: [], escalations: [] });

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

/** Intents whose run ended without settling them. */
export const openIntents = (h: History): RestartRecord[] => h.restarts.filter((r) => r.status === 'intent');

/**
 * Settles intents left by runs that died (call only while holding the Lease, so no run is between its
 * intent and its eviction): a restart whose pods are all still live and not terminating never happened
 * (dropped); otherwise it happened (done). `pods` is a fresh list of the DNS pods.
 */
export function resolveIntents(h: History, pods: { uid: string; terminating: boolean }[], now: Date): History {
  const live = new Set(pods.filter((p) => !p.terminating).map((p) => p.uid));
  let restarts = h.restarts;
  for (const r of openIntents(h)) {
    const happened = r.method === 'rollout' || r.pods.some((p) => !live.has(p.uid));
    restarts = happened ? restarts.map((x) => (x.id === r.id ? { ...x, status: 'done' as const } : x)) : restarts.filter((x) => x.id !== r.id);
  }
  return restarts === h.restarts ? h : { ...h, updatedAt: now.toISOString(), restarts };
}

/** ConfigMap `data` for the history. */
export const encodeHistory = (h: History): Record<string, string> => ({ [HISTORY_KEY]: JSON.stringify(h) });

// ---------------------------------------------------------------------------------------------
// Decoding: whatever is in the ConfigMap (another version, a hand edit, garbage) never crashes a run.

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isTime = (v: unknown): v is string => typeof v === 'string' && !Number.isNaN(Date.parse(v));
const isString = (v: unknown): v is string => typeof v === 'string';
const METHODS: readonly unknown[] = ['evict', 'delete', 'rollout'];

const isTargetRecord = (v: unknown): v is TargetRecord =>
  isObject(v) && Number.isInteger(v.failing) && (v.failing as number) > 0 && isString(v.signature) && isTime(v.since);

const isPodRef = (p: unknown): p is { name: string; uid: string } => isObject(p) && isString(p.name) && isString(p.uid);
const isRestart = (v: unknown): v is RestartRecord =>
  isObject(v) &&
  isString(v.id) &&
  isTime(v.at) &&
  METHODS.includes(v.method) &&
  (v.status === 'intent' || v.status === 'done') &&
  isString(v.lineage) &&
  (v.workload === undefined || isString(v.workload)) &&
  Array.isArray(v.pods) &&
  v.pods.every((p) => isPodRef(p) && isString((p as Json).signature)) &&
  (v.replacements === undefined || (Array.isArray(v.replacements) && v.replacements.every(isPodRef)));

const isEscalation = (v: unknown): v is EscalationRecord =>
  isObject(v) && isTime(v.at) && isString(v.lineage) && isString(v.signature) && isString(v.pod) && Array.isArray(v.evidence) && v.evidence.every(isString);

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
  if (!isObject(parsed)) return reset('is not a JSON object');
  const v1 = parsed.schema === HISTORY_SCHEMA_V1;
  if (parsed.schema !== HISTORY_SCHEMA && !v1) return reset(`has schema ${JSON.stringify(parsed.schema)?.slice(0, 60)}, expected "${HISTORY_SCHEMA}"`);

  const targetsIn = isObject(parsed.targets) ? Object.entries(parsed.targets) : [];
  const restartsIn = (Array.isArray(parsed.restarts) ? parsed.restarts : []).map((r: unknown, i) =>
    v1 && isObject(r) ? { id: `v1-${i}-${String(r.at)}`, status: 'done', ...r } : r);
  const escalationsIn = Array.isArray(parsed.escalations) ? parsed.escalations : [];
  const targets = Object.fromEntries(targetsIn.filter(([, t]) => isTargetRecord(t)).slice(0, HISTORY_LIMITS.targets)) as Record<string, TargetRecord>;
  const restarts = restartsIn.filter(isRestart).sort(oldestFirst).slice(-HISTORY_LIMITS.restarts);
  const escalations = escalationsIn.filter(isEscalation).slice(-HISTORY_LIMITS.escalations);
  const dropped =
    targetsIn.length - Object.keys(targets).length + (restartsIn.length - restarts.length) + (escalationsIn.length - escalations.length);
  const shapeBroken = !isObject(parsed.targets) || !Array.isArray(parsed.restarts) || !Array.isArray(parsed.escalations);
  const history: History = {
    schema: HISTORY_SCHEMA,
    updatedAt: isTime(parsed.updatedAt) ? parsed.updatedAt : null,
    targets,
    restarts,
    escalations,
  };
  if (dropped === 0 && !shapeBroken) return { history };
  return { history, warning: `repair history in the ConfigMap had ${dropped} unreadable entr${dropped === 1 ? 'y' : 'ies'}${shapeBroken ? ' and missing lists' : ''}; kept the rest` };
}
