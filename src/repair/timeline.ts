// The timeline of failures, for the repair decision: when every pod fails, the shared history says
// whether they began failing together (cluster-wide trouble: a Corefile, the upstream, the network) or
// one after another in different cycles (separate faults of separate pods, each repairable on its own).
// Pure. docs/repair.md "Failures one after another".
import type { Judgement, TargetVerdict } from '../judge/types.ts';
import type { History } from './history.ts';

/** When a failing target's streak began: its history record's, or this cycle for a new streak. */
const streakStart = (t: TargetVerdict, history: History, now: Date): string => history.targets[t.key]?.since ?? now.toISOString();

const clock = (iso: string): string => iso.slice(11, 19);

/**
 * The judgement with a cluster-wide verdict turned pod-local when the failing pods' streaks began in
 * pairwise different cycles: no two pods failed together. Two pods that began failing in the same
 * cycle keep the cluster-wide verdict (they may share a cause). Anything else is returned as it is.
 */
export function withTimeline(judgement: Judgement, history: History, now: Date): Judgement {
  if (judgement.classification !== 'cluster-wide' || judgement.candidates.length < 2) return judgement;
  const failingPods = judgement.targets.filter((t) => t.kind === 'pod' && t.pod && t.classification === 'cluster-wide');
  // A pod is one peer whatever its number of addresses: its earliest streak is its start.
  const startOf = new Map<string, string>();
  for (const t of failingPods) {
    const start = streakStart(t, history, now);
    const seen = startOf.get(t.pod!.name);
    if (seen === undefined || start < seen) startOf.set(t.pod!.name, start);
  }
  const starts = [...startOf.values()];
  if (new Set(starts).size !== starts.length) return judgement;

  const order = [...startOf].sort((a, b) => a[1].localeCompare(b[1]));
  const nowIso = now.toISOString();
  const story = order.map(([pod, since]) => `${pod} since ${since === nowIso ? 'this cycle' : clock(since)}`).join(', ');
  const reason = `every CoreDNS pod fails, but they began one after another (${story}): separate faults, not cluster-wide — each is repaired as pod-local, one at a time`;
  const podReason = (name: string) => `fails since ${startOf.get(name) === nowIso ? 'this cycle' : startOf.get(name)}, not together with its peers (${story})`;
  const targets = judgement.targets.map((t): TargetVerdict => {
    if (t.classification !== 'cluster-wide') return t;
    if (t.kind === 'pod' && t.pod) return { ...t, classification: 'pod-local', reason: podReason(t.pod.name) };
    return { ...t, classification: 'pod-local', reason: `the Service IP fails too: it forwards to ${order.map(([pod]) => pod).join(', ')}` };
  });
  const candidates = judgement.candidates.map((c) => (c.scope === 'cluster-wide' ? { ...c, scope: 'pod-local' as const, reason: podReason(c.pod) } : c));
  return { ...judgement, classification: 'pod-local', reason, targets, candidates };
}
