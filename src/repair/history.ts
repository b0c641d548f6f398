// The state shared across runs (a laptop, CI, the watch loop): failing streaks per target, restarts
// done, escalations raised. Others store it in a ConfigMap in the DNS namespace; this module defines the
// data, how one cycle moves it forward, and how it is written to / read from ConfigMap `data`. Pure.
import type { Judgement } from '../judge/types.ts';
import { escalation as escalationSchema, quarantine as quarantineSchema, restart as restartSchema, target as targetSchema, timestamp as timestampSchema } from '../contracts/generated/history.validate.ts';
import { isObject, preview, problemOf, sift, type Compiled, type Words } from '../contracts/validate.ts';
import type { Escalation as RaisedEscalation, RepairAction } from './policy.ts';
import type { Escalation, HistoryDocument, Quarantine, Restart, Target } from '../contracts/generated/history.ts';

export const HISTORY_SCHEMA = 'coredns-sentinel/history/v2';
/** v1 restarts had no id or status: read as done, their lineage as written (the Deployment). */
const HISTORY_SCHEMA_V1 = 'coredns-sentinel/history/v1';
/** The ConfigMap `data` key holding the JSON. */
export const HISTORY_KEY = 'history.json';

/**
 * The records, as schema/history.v2.json says (types generated from it). Restarts and quarantines are
 * write-ahead: recorded as an `intent` BEFORE the eviction or relabel (no record, no eviction) and marked
 * `done` after it. An intent left by a run that died counts as a restart until a run holding the Lease
 * settles it against the pods (resolveIntents).
 */
export type History = HistoryDocument;
export type TargetRecord = Target;
export type RestartRecord = Restart;
export type EscalationRecord = Escalation;
export type QuarantineRecord = Quarantine;
export type RestartStatus = Restart['status'];

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
export function nextHistory(prev: History, judgement: Judgement, now: Date, escalations: RaisedEscalation[] = []): History {
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
// Each entry is checked against its part of schema/history.v2.json (compiled); the ones it refuses are dropped.

/** The patterns' meaning, for the lines (src/contracts/validate.ts). */
const WORDS: Words = { '/$defs/timestamp/pattern': 'a timestamp' };

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
  if (parsed.schema !== HISTORY_SCHEMA && !v1) return reset(`${parsed.schema === undefined ? 'has no schema' : `has schema ${preview(parsed.schema)}`}, expected "${HISTORY_SCHEMA}"`);

  const targetsIn = isObject(parsed.targets) ? Object.entries(parsed.targets) : [];
  const restartsIn = (Array.isArray(parsed.restarts) ? parsed.restarts : []).map((r: unknown, i) =>
    v1 && isObject(r) ? { id: `v1-${i}-${String(r.at)}`, status: 'done', ...r } : r);
  const escalationsIn: unknown[] = Array.isArray(parsed.escalations) ? parsed.escalations : [];
  const quarantinesIn: unknown[] = Array.isArray(parsed.quarantines) ? parsed.quarantines : [];
  const targetProblems: string[] = [];
  const targetsOk = targetsIn.filter(([key, t]) => {
    const problem = problemOf(targetSchema as Compiled, t, `targets[${preview(key)}]`, WORDS);
    if (problem) targetProblems.push(problem);
    return problem === null;
  });
  const restartsRead = sift<RestartRecord>(restartSchema as Compiled, restartsIn, 'restarts', WORDS);
  const escalationsRead = sift<EscalationRecord>(escalationSchema as Compiled, escalationsIn, 'escalations', WORDS);
  const quarantinesRead = sift<QuarantineRecord>(quarantineSchema as Compiled, quarantinesIn, 'quarantines', WORDS);
  const history: History = {
    schema: HISTORY_SCHEMA,
    updatedAt: (timestampSchema as Compiled)(parsed.updatedAt) ? (parsed.updatedAt as string) : null,
    targets: Object.fromEntries(targetsOk.slice(0, HISTORY_LIMITS.targets)) as Record<string, TargetRecord>,
    restarts: restartsRead.valid.sort(oldestFirst).slice(-HISTORY_LIMITS.restarts),
    escalations: escalationsRead.valid.slice(-HISTORY_LIMITS.escalations),
    quarantines: quarantinesRead.valid.sort(oldestFirst).slice(-HISTORY_LIMITS.quarantines),
  };
  const problems = [...targetProblems, ...restartsRead.problems, ...escalationsRead.problems, ...quarantinesRead.problems];
  const dropped = problems.length;
  const shapeBroken = !isObject(parsed.targets) || !Array.isArray(parsed.restarts) || !Array.isArray(parsed.escalations);
  if (dropped === 0 && !shapeBroken) return { history };
  const first = dropped ? ` (the first: ${problems[0]})` : '';
  return { history, warning: `repair history in the ConfigMap had ${dropped} unreadable entr${dropped === 1 ? 'y' : 'ies'}${first}${shapeBroken ? ' and missing lists' : ''}; kept the rest` };
}
