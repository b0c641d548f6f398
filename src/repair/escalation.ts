// Pods a restart cannot help that keep failing cycle after cycle: escalate instead of waiting forever
// (and never restart them). Pure.
import { withDefaults, type Judgement, type TargetVerdict } from '../judge/types.ts';
import type { History } from './history.ts';
import { DEFAULT_REPAIR_CONFIG, lineageFor, type Escalation, type RepairConfig } from './policy.ts';

/** Raised after more than `escalateAfter` consecutive failing cycles of a not-repairable pod. */
export function persistentEscalations(judgement: Judgement, history: History, config: Partial<RepairConfig>, namespace: string, now: Date): Escalation[] {
  const { escalateAfter } = withDefaults(DEFAULT_REPAIR_CONFIG, config);
  const stuck = judgement.targets.filter((t): t is TargetVerdict & { pod: NonNullable<TargetVerdict['pod']> } =>
    t.classification === 'not-repairable' && t.status === 'fail' && !!t.pod && t.consecutiveFailures > escalateAfter);
  return stuck.map((t) => {
    const lineage = lineageFor(history.restarts, namespace, t.pod);
    const signature = `not-repairable:${t.signature}`;
    const since = history.targets[t.key]?.since ?? now.toISOString();
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
