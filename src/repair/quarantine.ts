// Quarantine (design rule 14): a pod that answers no DNS at all whose restart a rule refused (cooldown,
// budget, escalation, max-unavailable) does not stay in the clients' way. It is relabelled out of the
// Service's selector — which is also its ReplicaSet's, so the controller releases it and starts a
// replacement at once while the endpoints drop it — and kept, for `kubectl logs` and `describe`, until
// its TTL or the next healthy cycle deletes it. Where relabelling cannot keep the capacity, the report
// says why. The decision and the history records are pure; src/repair/isolate.ts carries it out.
// docs/repair.md "Quarantine".
import type { DnsPod, DnsWorkload } from '../discover/types.ts';
import { DEFAULTS } from '../common/defaults.ts';
import { withDefaults } from '../judge/types.ts';
import type { History, QuarantineRecord } from './history.ts';
import { lineageFor, type Refusal, type RepairPlan, type SkippedRepair } from './policy.ts';

/** The label a quarantined pod carries instead of the Service's selector, and its annotations. */
export const QUARANTINE_LABEL = 'coredns-sentinel/quarantined';
export const QUARANTINE_ANNOTATIONS = {
  reason: 'coredns-sentinel/quarantine-reason',
  at: 'coredns-sentinel/quarantined-at',
  until: 'coredns-sentinel/quarantined-until',
  removedLabels: 'coredns-sentinel/removed-labels',
} as const;

export interface QuarantineConfig {
  /** Off with --no-quarantine: a refused restart leaves the pod where it is (the behaviour before it). */
  enabled: boolean;
  /** A quarantined pod is deleted after this at the latest (--quarantine-ttl). */
  ttlMs: number;
}

export const DEFAULT_QUARANTINE_CONFIG: QuarantineConfig = { ...DEFAULTS.repair.quarantine };

/** The refusals after which a silent pod leaves rotation instead of waiting. */
const QUARANTINE_AFTER: ReadonlySet<Refusal> = new Set(['cooldown', 'budget', 'escalation', 'max-unavailable']);

export interface QuarantineAction {
  namespace: string;
  pod: string;
  uid: string;
  /** Its addresses: the endpoints must drop them. */
  ips: string[];
  lineage: string;
  /** The Service's selector labels, removed from the pod. */
  removeLabels: Record<string, string>;
  service: string;
  /** Why the restart was refused. */
  reason: string;
  /** When it was decided, and when the pod is deleted at the latest (ISO). */
  at: string;
  until: string;
}

export interface QuarantinePlan {
  quarantines: QuarantineAction[];
  /** The plan's skipped entries, those that stay in rotation saying why. */
  skipped: SkippedRepair[];
}

/** Why relabelling `pod` out of rotation would lower capacity or cannot work, or null when it can. */
export function cannotQuarantine(pod: DnsPod, workload: DnsWorkload): string | null {
  const selector = workload.service.selector;
  const service = workload.service.name || 'the DNS Service';
  if (!selector || Object.keys(selector).length === 0) return `Service ${service} has no selector to take it out of`;
  const controller = pod.controller;
  if (!controller) return 'no controller owns it, so nothing would start a replacement';
  if (controller.kind === 'StatefulSet') return `StatefulSet ${controller.name} replaces a pod only under its name, which this pod keeps`;
  if (controller.kind === 'DaemonSet' && pod.nodePorts)
    return `DaemonSet ${controller.name}'s replacement cannot start on node ${pod.node || '(unknown)'} while this pod holds ${pod.nodePorts === 'host-network' ? "the node's ports (hostNetwork)" : `host port ${pod.nodePorts.join(', ')}`} there`;
  const owner = workload.controller?.name === controller.name ? workload.controller.selector : undefined;
  if (owner && !Object.keys(selector).some((k) => k in owner))
    return `removing Service ${service}'s selector labels (${Object.keys(selector).join(', ')}) leaves it in ${controller.kind} ${controller.name}'s selector, so no replacement would start`;
  return null;
}

/**
 * Which of the refused, silent candidates leave rotation, and why the others cannot. `silent`: the uids
 * of pods that answer no DNS at all (src/repair/grace.ts). At most as many pods are kept in quarantine
 * at once as the controller has replicas: beyond that, something more than single pods is wrong.
 */
export function planQuarantines(plan: RepairPlan, workload: DnsWorkload, silent: Set<string>, history: History, config: Partial<QuarantineConfig>, now: Date): QuarantinePlan {
  const cfg = withDefaults(DEFAULT_QUARANTINE_CONFIG, config);
  if (!cfg.enabled) return { quarantines: [], skipped: plan.skipped };
  const refused = [
    ...plan.skipped.filter((s) => s.refusal && QUARANTINE_AFTER.has(s.refusal)).map((s) => ({ pod: s.pod, reason: s.reason })),
    ...plan.escalations.map((e) => ({ pod: e.pod, reason: `escalated: the same failure came back after ${e.evidence.length - 1} restart(s)` })),
  ];
  const limit = Math.max(1, workload.controller?.desired ?? workload.pods.length);
  const quarantines: QuarantineAction[] = [];
  const cannot = new Map<string, string>();
  for (const r of refused) {
    const pod = workload.pods.find((p) => p.name === r.pod);
    if (!pod || !silent.has(pod.uid)) continue;
    // Quarantined pods not deleted yet, and those of this cycle.
    const held = history.quarantines.length + quarantines.length;
    const why =
      cannotQuarantine(pod, workload) ??
      (held >= limit ? `${held} pod(s) are out of rotation already (${[...history.quarantines.map((q) => q.pod.name), ...quarantines.map((q) => q.pod)].join(', ')}) and at most ${limit} (the replicas) are kept; they leave at their TTL or on the next healthy cycle` : null);
    if (why) {
      cannot.set(pod.name, `it answers no DNS and stays in rotation: ${why}`);
      continue;
    }
    quarantines.push({
      namespace: workload.namespace,
      pod: pod.name,
      uid: pod.uid,
      ips: pod.ips,
      lineage: lineageFor(history.restarts, workload.namespace, pod),
      removeLabels: workload.service.selector!,
      service: workload.service.name,
      reason: r.reason,
      at: now.toISOString(),
      until: new Date(now.getTime() + cfg.ttlMs).toISOString(),
    });
  }
  const skipped = plan.skipped.map((s) => (cannot.has(s.pod) ? { ...s, reason: `${s.reason}; ${cannot.get(s.pod)!}` } : s));
  // An escalated pod that cannot leave rotation is not among the skipped: say it there.
  for (const e of plan.escalations) if (cannot.has(e.pod)) skipped.push({ pod: e.pod, reason: `escalated; ${cannot.get(e.pod)!}` });
  return { quarantines, skipped };
}

/** The write-ahead record of a quarantine about to be carried out. */
export function quarantineIntent(q: QuarantineAction, id: string, now: Date): QuarantineRecord {
  return {
    id,
    at: now.toISOString(),
    until: q.until,
    status: 'intent',
    lineage: q.lineage,
    pod: { name: q.pod, uid: q.uid },
    reason: q.reason,
    removedLabels: q.removeLabels,
  };
}

/** The labels and annotations that take the pod out of rotation and say why, until when, and what was removed. */
export function quarantinePatch(q: QuarantineAction): { labels: Record<string, string | null>; annotations: Record<string, string> } {
  const labels: Record<string, string | null> = Object.fromEntries(Object.keys(q.removeLabels).map((k) => [k, null]));
  labels[QUARANTINE_LABEL] = 'true';
  return {
    labels,
    annotations: {
      [QUARANTINE_ANNOTATIONS.reason]: `answers no DNS; not restarted: ${q.reason}`.slice(0, 1000),
      [QUARANTINE_ANNOTATIONS.at]: q.at,
      [QUARANTINE_ANNOTATIONS.until]: q.until,
      [QUARANTINE_ANNOTATIONS.removedLabels]: JSON.stringify(q.removeLabels),
    },
  };
}

export const withQuarantineIntent = (h: History, record: QuarantineRecord, now: Date): History => ({
  ...h,
  updatedAt: now.toISOString(),
  quarantines: [...h.quarantines.filter((q) => q.id !== record.id), record],
});

/** After the relabel: done, or dropped when it never took effect (the pod was gone, the patch refused). */
export function settleQuarantine(h: History, id: string, done: boolean, now: Date): History {
  const quarantines = done ? h.quarantines.map((q) => (q.id === id ? { ...q, status: 'done' as const } : q)) : h.quarantines.filter((q) => q.id !== id);
  return { ...h, updatedAt: now.toISOString(), quarantines };
}

/** The quarantined pods to delete now: all after a healthy cycle, else those past their TTL. Settled ones only. */
export function dueForRemoval(h: History, healthy: boolean, now: Date): QuarantineRecord[] {
  return h.quarantines.filter((q) => q.status === 'done' && (healthy || Date.parse(q.until) <= now.getTime()));
}

/** History without the records of the deleted pods. */
export const withoutQuarantines = (h: History, ids: Set<string>, now: Date): History =>
  ({ ...h, updatedAt: now.toISOString(), quarantines: h.quarantines.filter((q) => !ids.has(q.id)) });
