// What a repair can foresee and how the verdict line ends once repair had its say. Pure.
//  - A PodDisruptionBudget's status says whether an eviction would be refused now, so the dry run tells
//    "would evict" from "would be blocked" (the repair itself still asks and waits, never forcing).
//  - The judge ends a repairable verdict with "— it is repairable (…)" (Judgement.repairHint); after a
//    repair was refused or blocked, or a dry run foresaw that, the line says so instead.
import type { KPdb } from '../kube/index.ts';
import type { Judgement } from '../judge/types.ts';

/** Does the budget select a pod with these labels? An absent selector selects nothing (policy/v1). */
export function selects(pdb: KPdb, labels: Record<string, string>): boolean {
  if (!pdb.hasSelector) return false;
  const byLabels = Object.entries(pdb.matchLabels).every(([k, v]) => labels[k] === v);
  const byExpressions = pdb.matchExpressions.every((e) => {
    const has = Object.hasOwn(labels, e.key);
    if (e.operator === 'In') return has && e.values.includes(labels[e.key]!);
    if (e.operator === 'NotIn') return !has || !e.values.includes(labels[e.key]!);
    if (e.operator === 'Exists') return has;
    if (e.operator === 'DoesNotExist') return !has;
    return false;
  });
  return byLabels && byExpressions;
}

/** Why an eviction of the pod would be refused now, or undefined when the budgets allow it. */
export function evictionBlock(pdbs: KPdb[], labels: Record<string, string>): string | undefined {
  const mine = pdbs.filter((p) => selects(p, labels));
  if (mine.length > 1) return `it is selected by more than one PodDisruptionBudget (${mine.map((p) => p.name).join(', ')}), so the eviction API refuses it; keep one, or use --restart-method delete`;
  const pdb = mine[0];
  if (!pdb || pdb.disruptionsAllowed > 0) return undefined;
  return `PodDisruptionBudget ${pdb.name} allows no disruption now (needs ${pdb.desiredHealthy} healthy, has ${pdb.currentHealthy})`;
}

/** The repair's say on the candidates: what was done, refused, or foreseen. */
export interface RepairSay {
  mode: 'repair' | 'dry-run';
  actions: { pod: string; outcome: string; detail: string }[];
  skipped: { pod: string; reason: string }[];
}

/**
 * The judgement whose reason no longer offers a repair that was refused or blocked (or, in a dry run,
 * would be): its repairHint is replaced by why. Unchanged when a repair went ahead or nothing was offered.
 */
export function afterRepair(j: Judgement, say: RepairSay): Judgement {
  const hint = j.repairHint;
  if (!hint || !j.reason.endsWith(hint)) return j;
  const candidates = new Set(j.candidates.map((c) => c.pod));
  // In a dry run, 'blocked' is the refusal foreseen.
  // Only the candidates' entries count (a quarantine of another pod is no repair of these).
  const mine = say.actions.filter((a) => candidates.has(a.pod));
  const blocked = mine.find((a) => a.outcome === 'blocked' || a.outcome === 'failed');
  const ahead = mine.some((a) => a.outcome === 'done' || a.outcome === 'dry-run');
  const skipped = ahead ? undefined : say.skipped.find((s) => candidates.has(s.pod));
  const refusal = blocked ? { pod: blocked.pod, why: blocked.detail } : skipped ? { pod: skipped.pod, why: skipped.reason } : undefined;
  if (!refusal) return j;
  const end = say.mode === 'dry-run' ? ` — --repair would not restart ${refusal.pod} now: ${refusal.why}` : ` — ${refusal.pod} not repaired: ${refusal.why}`;
  const { repairHint: _offered, ...rest } = j;
  return { ...rest, reason: `${j.reason.slice(0, j.reason.length - hint.length)}${end}` };
}
