// The repair policy: the judgement, the workload and the shared history in, what to restart (and what
// not, and why) out. Pure. It encodes rules 1, 2, 5 and 6 of "Safety rules of repair" (design.md); the
// judge already applied rules 1–4 when it chose the candidates. Dry run is the caller printing this plan.
//
// Definitions the users rely on (README):
//  - Cooldown and escalation follow a pod's lineage: the pod and the replacements that follow it (the
//    history records each restart's replacements). A pod started right after a restart whose replacement
//    was never seen (the run died) counts as that replacement. Replacing a pod never resets them, and
//    another pod's identical failure is another lineage. The budget is the workload's, all lineages.
//  - Unavailable: not Ready, terminating, missing, or answering no DNS (TargetVerdict.outOfService).
//    Restarting a pod that answers no DNS takes nothing away, so it is never held back by pods already
//    down; a pod that still answers needs room under maxUnavailable and above the floor.
//  - Floor: serving pods (Ready and answering) never below 1 and never below replicas - maxUnavailable
//    (or --min-ready). A single-replica Deployment is repaired only with --allow-single-replica:
//    restarting its only pod takes DNS to 0 Ready pods.
//  - Evict and delete go strictly one at a time, each replaced and verified before the next
//    (src/repair/execute.ts), so every repairable pod is planned in one run.
//  - The budget counts actions (a rollout restart is one action) in the window; escalation counts
//    restarts in the window of the same lineage for the same failing-check signature.
import type { ControllerRef, DnsWorkload } from '../discover/types.ts';
import { withDefaults, type Judgement, type RepairCandidate } from '../judge/types.ts';
import type { History, RestartRecord } from './history.ts';
import { DEFAULTS } from '../common/defaults.ts';

/** As the history records them (schema/history.v2.json). */
export type RepairMethod = RestartRecord['method'];

export interface RepairConfig {
  /** evict (PDB-respecting, default), delete, or rollout (one restart of the whole Deployment). */
  method: RepairMethod;
  /** Pods unavailable at once, counting pods already not Ready or terminating. */
  maxUnavailable: number;
  /** Serving pods (Ready and answering DNS) that must remain; default max(1, replicas - maxUnavailable). */
  minReady?: number;
  /** Allow restarting the only pod of a single-replica Deployment (DNS goes to 0 Ready meanwhile). */
  allowSingleReplica: boolean;
  /** Allow restarts when every pod fails from every probe (cluster-wide). */
  allowFullRestart: boolean;
  cooldownMs: number;
  /** Restarts allowed per window. */
  budget: number;
  windowMs: number;
  /** Escalate instead of restarting when the same failure returns after this many restarts in the window. */
  escalateAfter: number;
}

const { timeoutMs: _timeoutMs, leaseSeconds: _leaseSeconds, silentGraceSeconds: _silentGraceSeconds, quarantine: _quarantine, ...policyDefaults } = DEFAULTS.repair;
export const DEFAULT_REPAIR_CONFIG: RepairConfig = policyDefaults;

export interface RestartedPod {
  pod: string;
  uid: string;
  node: string;
  signature: string;
}

export interface RepairAction {
  method: RepairMethod;
  namespace: string;
  /** The pod to evict or delete (absent for a rollout). */
  pod?: string;
  /** The owning Deployment; for a rollout of a Deployment, the one to restart. */
  deployment?: string;
  /** A rollout's controller: the Deployment, DaemonSet or StatefulSet whose pods are restarted. */
  controller?: ControllerRef;
  lineage: string;
  /** Pods this action restarts because they are sick (a rollout restarts the healthy ones too). */
  restarts: RestartedPod[];
  reason: string;
  /** Set for pods that answer no DNS at all (src/repair/grace.ts): evict/delete with this grace period. */
  gracePeriodSeconds?: number;
}

/** Which rule refused a restart that the judge allowed: the pod may then leave rotation instead (src/repair/quarantine.ts). */
export type Refusal = 'cooldown' | 'budget' | 'escalation' | 'max-unavailable' | 'floor' | 'cluster-wide';

export interface SkippedRepair {
  pod: string;
  reason: string;
  /** Set when a repair rule refused the restart of a repair candidate. */
  refusal?: Refusal;
}

export interface Escalation {
  pod: string;
  lineage: string;
  signature: string;
  /** Restarts that did not help and the failure now, one line each. */
  evidence: string[];
  /** First restart for this failure in the window (ISO). */
  since: string;
  /** Not raised in an earlier run: emit the Event / notification now. */
  isNew: boolean;
}

export interface RepairPlan {
  actions: RepairAction[];
  skipped: SkippedRepair[];
  escalations: Escalation[];
}

/** A pod's own lineage key: the first pod of a lineage names it. */
export const lineageOf = (namespace: string, pod: string): string => `${namespace}/pod/${pod}`;

/** The pod's lineage: inherited from the restart it replaced, else its own. */
export function lineageFor(restarts: RestartRecord[], namespace: string, pod: { name: string; uid: string }): string {
  return restarts.find((r) => r.replacements?.some((x) => x.uid === pod.uid))?.lineage ?? lineageOf(namespace, pod.name);
}

/** How long after a restart a pod of the same workload may be its unseen replacement. */
export const REPLACEMENT_WINDOW_MS = 60_000;

const ms = Date.parse;

function duration(milliseconds: number): string {
  const s = Math.max(0, Math.round(milliseconds / 1000));
  if (s % 3600 === 0 && s > 0) return `${s / 3600}h`;
  if (s % 60 === 0 && s > 0) return `${s / 60}m`;
  return s >= 60 ? `${Math.floor(s / 60)}m${s % 60}s` : `${s}s`;
}

/**
 * The restart is of this pod's lineage, or it has no recorded replacement and this pod of the same
 * workload started just after it, so it may be that replacement (k8s start times have 1 s resolution).
 */
function restartConcerns(r: RestartRecord, c: RepairCandidate, lineage: string, claimed: Set<string>): boolean {
  if (r.lineage === lineage) return true;
  if (r.replacements?.length || claimed.has(c.uid) || r.workload !== c.deployment) return false;
  if (c.startTime === undefined || Number.isNaN(ms(c.startTime))) return true;
  const from = Math.floor(ms(r.at) / 1000) * 1000;
  return ms(c.startTime) >= from && ms(c.startTime) < from + REPLACEMENT_WINDOW_MS;
}

interface Capacity {
  replicas: number;
  /** Ready and not terminating, as the kubelet sees it. */
  ready: number;
  /** Not Ready, terminating or missing, as the kubelet sees it. */
  notReady: string[];
  /** Pods that serve: Ready, not terminating, and answering DNS. */
  available: number;
  /** Pods that do not: not Ready, terminating, missing, or answering no DNS (TargetVerdict.outOfService). */
  unavailable: string[];
  floor: number;
}

/**
 * A terminating pod the Service no longer routes to (not a ready endpoint) serves no one: it is being
 * replaced and does not hold back the next repair. Unknown endpoints keep it counted.
 */
const leftTheService = (workload: DnsWorkload, pod: DnsWorkload['pods'][number]): boolean =>
  pod.terminating && workload.endpoints !== undefined && !workload.endpoints.some((e) => e.ready && (e.pod === pod.name || pod.ips.includes(e.address)));

function capacity(workload: DnsWorkload, judgement: Judgement, config: RepairConfig): Capacity {
  const live = workload.pods.filter((p) => p.phase !== 'Succeeded' && p.phase !== 'Failed' && !leftTheService(workload, p));
  // A pod is one peer: it answers no DNS when none of its addresses does (a dual-stack pod answering IPv4 still serves).
  const podTargets = judgement.targets.filter((t) => t.kind === 'pod' && t.pod);
  const silent = new Set(podTargets.filter((t) => podTargets.every((o) => o.pod!.name !== t.pod!.name || o.outOfService)).map((t) => t.pod!.name));
  const serving = live.filter((p) => p.ready && !p.terminating && !silent.has(p.name)).length;
  // The controller's desired count (a DaemonSet's scheduled pods): pods it wants but lacks are unavailable.
  const replicas = workload.controller?.desired ?? live.length;
  const notServing = live.filter((p) => !p.ready || p.terminating || silent.has(p.name)).map((p) => p.name);
  // Pods the Deployment wants but that do not exist yet are unavailable too.
  const missing = Array.from({ length: Math.max(0, replicas - serving - notServing.length) }, (_, i) => `(missing replica ${i + 1})`);
  const ready = live.filter((p) => p.ready && !p.terminating);
  const notReady = live.filter((p) => !p.ready || p.terminating).map((p) => p.name);
  const floor = config.minReady ?? (config.allowSingleReplica && replicas === 1 ? 0 : Math.max(1, replicas - config.maxUnavailable));
  return { replicas, ready: ready.length, notReady: [...notReady, ...missing], available: serving, unavailable: [...notServing, ...missing], floor };
}

/**
 * The capacity once `done` were restarted, replaced and verified, one after the other: their replacements
 * serve (the executor stops at the first that does not).
 */
function afterRestarts(cap: Capacity, done: RepairCandidate[]): Capacity {
  const names = new Set(done.map((c) => c.pod));
  const back = cap.unavailable.filter((n) => names.has(n)).length;
  return { ...cap, available: cap.available + back, unavailable: cap.unavailable.filter((n) => !names.has(n)) };
}

const worstFirst = (a: RepairCandidate, b: RepairCandidate): number =>
  b.consecutiveFailures - a.consecutiveFailures || b.failedChecks - a.failedChecks || a.pod.localeCompare(b.pod);

type Decision = { kind: 'restart' } | { kind: 'skip'; reason: string; refusal: Refusal } | { kind: 'escalate'; escalation: Escalation };

function decide(
  c: RepairCandidate,
  lineage: string,
  planned: RepairCandidate[],
  ctx: { config: RepairConfig; recent: RestartRecord[]; history: History; cap: Capacity; now: Date; claimed: Set<string> },
): Decision {
  const { config, recent, cap, now } = ctx;
  if (c.scope === 'cluster-wide' && !config.allowFullRestart) {
    // Name every flag this restart would need, not only the first that is missing.
    const single = cap.replicas === 1 && !config.allowSingleReplica && config.minReady === undefined;
    const flags = single ? '--allow-full-restart and --allow-single-replica (it is the only replica)' : '--allow-full-restart';
    return { kind: 'skip', refusal: 'cluster-wide', reason: `every pod fails from every probe (cluster-wide): a restart is unlikely to help; not restarting without ${flags}` };
  }

  const sameFailure = recent.filter((r) => r.lineage === lineage && r.pods.some((p) => p.signature === c.signature));
  if (sameFailure.length >= config.escalateAfter) {
    const evidence = [
      ...sameFailure.map((r) => `${r.at}: ${r.method} ${r.pods.map((p) => p.name).join(', ')} for failing ${c.signature}`),
      `${now.toISOString()}: ${c.pod} fails the same checks again: ${c.reason}`,
    ];
    const isNew = !ctx.history.escalations.some((e) => e.lineage === lineage && e.signature === c.signature);
    return { kind: 'escalate', escalation: { pod: c.pod, lineage, signature: c.signature, evidence, since: sameFailure[0]!.at, isNew } };
  }

  const cooling = recent.filter((r) => now.getTime() - ms(r.at) < config.cooldownMs && restartConcerns(r, c, lineage, ctx.claimed));
  const last = cooling.at(-1);
  if (last) {
    const who = last.pods.some((p) => p.name === c.pod) ? c.pod : `its predecessor ${last.pods.map((p) => p.name).join(', ')}`;
    const until = new Date(ms(last.at) + config.cooldownMs).toISOString();
    return { kind: 'skip', refusal: 'cooldown', reason: `in cooldown: ${who} was restarted ${duration(now.getTime() - ms(last.at))} ago (cooldown ${duration(config.cooldownMs)}, until ${until})` };
  }

  if (recent.length + planned.length >= config.budget) {
    const oldest = recent[0];
    const next = oldest ? `; the oldest leaves the window at ${new Date(ms(oldest.at) + config.windowMs).toISOString()}` : '';
    return { kind: 'skip', refusal: 'budget', reason: `restart budget used: ${recent.length + planned.length} restarts in the last ${duration(config.windowMs)} (budget ${config.budget})${next}` };
  }

  if (cap.replicas === 1 && !config.allowSingleReplica && config.minReady === undefined)
    return { kind: 'skip', refusal: 'floor', reason: 'restarting the only CoreDNS pod takes DNS to 0 Ready pods; pass --allow-single-replica to accept that (better: run 2 or more replicas)' };

  // A rollout restarts the serving pods too, at the Deployment's pace: judged by readiness alone.
  if (config.method === 'rollout') {
    if (cap.notReady.length >= config.maxUnavailable)
      return { kind: 'skip', refusal: 'max-unavailable', reason: `${cap.notReady.length} pod(s) already unavailable (${cap.notReady.join(', ')}); max-unavailable is ${config.maxUnavailable} — waiting for them to be Ready` };
    if (cap.ready - 1 < cap.floor) return { kind: 'skip', refusal: 'floor', reason: `restarting would leave ${cap.ready - 1} Ready pod(s), below the floor of ${cap.floor}` };
    return { kind: 'restart' };
  }

  // Restarting a pod that serves no one takes nothing away: only a pod still answering makes one more
  // unavailable and one fewer serving. So pods already down (Pending, not Ready, missing) never hold back
  // the repair of one that answers no DNS.
  const takesDown = !cap.unavailable.includes(c.pod);
  if (takesDown && cap.unavailable.length + 1 > config.maxUnavailable)
    return { kind: 'skip', refusal: 'max-unavailable', reason: `${cap.unavailable.length} pod(s) already unavailable (${cap.unavailable.join(', ')}) and ${c.pod} still answers DNS; max-unavailable is ${config.maxUnavailable} — waiting for them to serve` };
  const servingAfter = cap.available - (takesDown ? 1 : 0);
  if (takesDown && servingAfter < cap.floor) return { kind: 'skip', refusal: 'floor', reason: `restarting would leave ${servingAfter} serving pod(s) (Ready and answering DNS), below the floor of ${cap.floor}` };
  return { kind: 'restart' };
}

/** What to restart now, what not and why, and what needs a human. */
export function planRepairs(
  judgement: Judgement,
  workload: DnsWorkload,
  history: History,
  config: Partial<RepairConfig> = {},
  now: Date,
): RepairPlan {
  const cfg = withDefaults(DEFAULT_REPAIR_CONFIG, config);
  const ns = workload.namespace;
  const candidateTargets = new Set(judgement.candidates.map((c) => c.targetId));
  const skipped: SkippedRepair[] = judgement.targets
    .filter((t) => t.kind === 'pod' && t.failedChecks.length > 0 && !candidateTargets.has(t.targetId))
    .map((t) => ({ pod: t.label, reason: t.reason }));

  const recent = history.restarts.filter((r) => now.getTime() - ms(r.at) < cfg.windowMs).sort((a, b) => ms(a.at) - ms(b.at));
  const claimed = new Set(history.restarts.flatMap((r) => (r.replacements ?? []).map((x) => x.uid)));
  const ctx = { config: cfg, recent, history, cap: capacity(workload, judgement, cfg), now, claimed };
  const lineage = (c: RepairCandidate) => lineageFor(history.restarts, ns, { name: c.pod, uid: c.uid });
  const planned: RepairCandidate[] = [];
  const escalations: Escalation[] = [];
  for (const c of [...judgement.candidates].sort(worstFirst)) {
    // A rollout is one action whose pace the Deployment's own strategy sets: judge each pod alone.
    // Evict and delete go strictly one at a time, each replaced and verified before the next: a pod is
    // judged against the capacity the restarts before it leave.
    const decision = decide(c, lineage(c), cfg.method === 'rollout' ? [] : planned, cfg.method === 'rollout' ? ctx : { ...ctx, cap: afterRestarts(ctx.cap, planned) });
    if (decision.kind === 'restart') planned.push(c);
    else if (decision.kind === 'skip') skipped.push({ pod: c.pod, reason: decision.reason, refusal: decision.refusal });
    else escalations.push(decision.escalation);
  }

  const restarted = (c: RepairCandidate): RestartedPod => ({ pod: c.pod, uid: c.uid, node: c.node, signature: c.signature });
  if (cfg.method !== 'rollout') {
    const actions = planned.map(
      (c): RepairAction => ({
        method: cfg.method,
        namespace: ns,
        pod: c.pod,
        deployment: c.deployment,
        lineage: lineage(c),
        restarts: [restarted(c)],
        reason: c.reason,
      }),
    );
    return { actions, skipped, escalations };
  }

  // Rollout: one restart per controller (Deployment, DaemonSet, StatefulSet), only for pods that passed every rule above.
  const actions: RepairAction[] = [];
  const controllerOf = (c: RepairCandidate): ControllerRef | undefined =>
    workload.pods.find((p) => p.name === c.pod)?.controller ?? (c.deployment ? { kind: 'Deployment', name: c.deployment } : undefined);
  for (const c of planned.filter((p) => !controllerOf(p)))
    skipped.push({ pod: c.pod, reason: 'rollout needs a Deployment, DaemonSet or StatefulSet owning the pod; use --method evict or delete' });
  const keyOf = (r: ControllerRef) => `${r.kind.toLowerCase()}/${r.name}`;
  const controllers = new Map(planned.flatMap((p) => { const r = controllerOf(p); return r ? [[keyOf(r), r] as const] : []; }));
  for (const [key, controller] of controllers) {
    const sick = planned.filter((p) => { const r = controllerOf(p); return r !== undefined && keyOf(r) === key; });
    actions.push({
      method: 'rollout',
      namespace: ns,
      ...(controller.kind === 'Deployment' && { deployment: controller.name }),
      controller,
      lineage: `${ns}/${key}`,
      restarts: sick.map(restarted),
      reason: `rollout restart of ${key} for ${sick.map((p) => p.pod).join(', ')}: ${sick[0]!.reason}`,
    });
  }
  return { actions, skipped, escalations };
}
