// The judge: probe reports in, a verdict per target and one classification for the cycle out. Pure.
// It encodes rules 1–4 of "Safety rules of repair" (design.md): only a pod that fails while its peers
// pass from the same probe is a repair candidate; everything else is explained, not restarted.
import type { DnsPod } from '../discover/types.ts';
import type { Target } from '../probe/contract.ts';
import { diagnose, type Finding } from './diagnose.ts';
import { failureSignature, failuresByTarget, probeBlindness, type CheckThresholds } from './checks.ts';
import {
  DEFAULT_JUDGE_CONFIG,
  withDefaults,
  type Classification,
  type FailedCheck,
  type JudgeInput,
  type Judgement,
  type RepairCandidate,
  type TargetVerdict,
} from './types.ts';

/** History key of a target: pod name AND uid for pods, so a replacement pod starts fresh. */
export function targetKey(target: Target, pod?: DnsPod): string {
  if (target.kind === 'service') return `service/${target.address}`;
  return pod ? `pod/${pod.namespace}/${pod.name}/${pod.uid}` : `pod/${target.label}/${target.address}`;
}

/** Why restarting this pod cannot make it answer, or null when a restart is a sensible repair. */
export function unrepairableState(pod: DnsPod | undefined): string | null {
  if (!pod) return 'the pod is no longer in the workload';
  if (pod.terminating) return 'it is already terminating';
  if (pod.waitingReason === 'CrashLoopBackOff') return 'it is crash-looping (CrashLoopBackOff)';
  if (pod.phase === 'Pending') return pod.waitingReason ? `it is Pending (${pod.waitingReason})` : 'it is Pending';
  if (pod.waitingReason) return `its container is waiting (${pod.waitingReason})`;
  if (pod.phase !== 'Running') return `it is ${pod.phase}`;
  if (!pod.ready) return 'it is not Ready yet';
  return null;
}

function findPod(target: Target, pods: DnsPod[]): DnsPod | undefined {
  if (target.kind !== 'pod') return undefined;
  return pods.find((p) => p.name === target.label) ?? pods.find((p) => p.ips.includes(target.address) || p.ip === target.address);
}

interface Observation {
  target: Target;
  pod?: DnsPod;
  failed: FailedCheck[];
  /** Fails a check for a name inside the cluster (not only external names). */
  internal: boolean;
}

/** The cycle's classification, its reason, and each failing target's own classification and reason. */
interface Classified {
  classification: Classification;
  reason: string;
  notes: string[];
  perTarget: Map<string, { classification: Classification; reason: string }>;
  /** Log findings of pods a restart cannot help, by target id. */
  diagnoses: Map<string, Finding[]>;
}

const labels = (obs: Observation[]): string => obs.map((o) => o.target.label).join(', ');
const firstReason = (o: Observation): string => {
  const c = o.failed[0];
  return c ? `${c.query} over ${c.transport}: ${c.reason}` : 'ok';
};
const checksText = (o: Observation): string =>
  `${o.failed.length} check${o.failed.length === 1 ? '' : 's'} (${firstReason(o)})`;

function upstreamNote(obs: Observation[]): string | null {
  const externalOnly = obs.filter((o) => o.failed.length > 0 && !o.internal);
  if (externalOnly.length === 0) return null;
  return `upstream: names outside the cluster fail on ${labels(externalOnly)} (${firstReason(externalOnly[0]!)})`;
}

/** What a probe on another node saw: the targets failing a check for a name inside the cluster. */
interface OtherView {
  node: string;
  failsInternal(targetId: string): boolean;
}

/** The corroborating probes that can be trusted; the others are explained in notes. */
function otherViews(input: JudgeInput, thresholds: CheckThresholds, notes: string[]): OtherView[] {
  const views: OtherView[] = [];
  for (const run of input.corroborating ?? []) {
    if (run.node === input.primary.node) {
      notes.push(`probe on node ${run.node} ignored for corroboration: same node as the primary probe`);
      continue;
    }
    const blind = probeBlindness(run.report);
    if (blind) {
      notes.push(`probe on node ${run.node} could not corroborate: ${blind}`);
      continue;
    }
    const there = failuresByTarget(run.report, input.plan, thresholds);
    views.push({ node: run.node, failsInternal: (id) => (there.get(id) ?? []).some((c) => !c.external) });
  }
  return views;
}

/** Every pod fails from the primary probe: ask the probes on other nodes before blaming the pods. */
function corroborate(suspects: Observation[], node: string, views: OtherView[]): { classification: Classification; reason: string } {
  const agreeing: string[] = [];
  const partial: string[] = [];
  for (const view of views) {
    const failingThere = suspects.filter((o) => view.failsInternal(o.target.id));
    if (failingThere.length === 0)
      return {
        classification: 'probe-side',
        reason: `probe on node ${node} cannot reach DNS; from node ${view.node} all pods pass — not restarting`,
      };
    if (failingThere.length === suspects.length) agreeing.push(view.node);
    else partial.push(`from node ${view.node} only ${labels(failingThere)} fail`);
  }
  if (partial.length > 0)
    return {
      classification: 'inconclusive',
      reason: `probes disagree: from node ${node} every pod fails, ${partial.join('; ')} — not restarting until they agree`,
    };
  if (agreeing.length > 0)
    return {
      classification: 'cluster-wide',
      reason: `every CoreDNS pod fails from nodes ${[node, ...agreeing].join(', ')}: cluster-wide trouble (Corefile, upstream, network) — not restarting unless full restarts are allowed`,
    };
  return {
    classification: 'uncorroborated',
    reason: `every CoreDNS pod fails from node ${node} and no probe on another node could corroborate — not restarting`,
  };
}

function classify(obs: Observation[], input: JudgeInput, thresholds: CheckThresholds, blind: string | null): Classified {
  const notes: string[] = [];
  const perTarget = new Map<string, { classification: Classification; reason: string }>();
  const diagnoses = new Map<string, Finding[]>();
  const failing = obs.filter((o) => o.failed.length > 0);
  const set = (os: Observation[], classification: Classification, reason: (o: Observation) => string) =>
    os.forEach((o) => perTarget.set(o.target.id, { classification, reason: reason(o) }));

  if (blind) {
    const reason = `probe on node ${input.primary.node} cannot be trusted: ${blind} — not restarting anything`;
    set(failing, 'probe-side', () => reason);
    return { classification: 'probe-side', reason, notes, perTarget, diagnoses };
  }
  if (failing.length === 0) return { classification: 'healthy', reason: 'every target passes every check', notes, perTarget, diagnoses };

  const pods = obs.filter((o) => o.target.kind === 'pod');
  const internalFailing = failing.filter((o) => o.internal);
  const externalOnly = failing.filter((o) => !o.internal);
  set(externalOnly, 'upstream', (o) => `only names outside the cluster fail: ${firstReason(o)}`);

  if (internalFailing.length === 0) {
    const reason = `only names outside the cluster fail, on ${externalOnly.length} of ${obs.length} targets: the upstream resolver is at fault — restarting CoreDNS cannot help`;
    return { classification: 'upstream', reason, notes, perTarget, diagnoses };
  }

  // Pods whose state already explains the failure: a restart cannot help them (rule 4).
  const explained = internalFailing.filter((o) => o.target.kind === 'pod' && unrepairableState(o.pod) !== null);
  const why = (o: Observation): string => {
    const findings = o.pod ? diagnose(input.evidence?.[o.pod.name] ?? { logs: '' }) : [];
    if (findings.length > 0) diagnoses.set(o.target.id, findings);
    return `${unrepairableState(o.pod)}${findings.length > 0 ? `; logs: ${findings[0]!.summary}` : ''}`;
  };
  set(explained, 'not-repairable', (o) => `restart cannot help: ${why(o)}`);
  const suspects = internalFailing.filter((o) => o.target.kind === 'pod' && !explained.includes(o));
  const services = internalFailing.filter((o) => o.target.kind === 'service');
  const passingPods = pods.filter((o) => !o.internal);
  const upstream = upstreamNote(obs);
  if (upstream) notes.push(upstream);

  if (suspects.length === 0 && explained.length === 0) {
    if (pods.length === 0) {
      const reason = 'the Service IP fails and no CoreDNS pod was probed to compare — cannot tell where the fault is';
      set(services, 'inconclusive', () => reason);
      return { classification: 'inconclusive', reason, notes, perTarget, diagnoses };
    }
    const reason = `the Service IP fails (${firstReason(services[0]!)}) while every CoreDNS pod answers: kube-proxy or the endpoints are at fault — restarting pods cannot help`;
    set(services, 'service-only', () => reason);
    return { classification: 'service-only', reason, notes, perTarget, diagnoses };
  }

  if (suspects.length === 0) {
    const reason =
      explained.length === 1
        ? `${labels(explained)} fails and a restart cannot help: ${why(explained[0]!)}`
        : `${labels(explained)} fail and a restart cannot help: ${explained.map((o) => `${o.target.label} (${why(o)})`).join(', ')}`;
    set(services, 'not-repairable', () => `the Service IP fails too: it forwards to ${labels(explained)}`);
    return { classification: 'not-repairable', reason, notes, perTarget, diagnoses };
  }

  const views = otherViews(input, thresholds, notes);
  const node = input.primary.node;
  if (passingPods.length > 0) {
    // A pod that answers a probe on another node is reachable and serving: the path from here is at fault.
    const passesElsewhere = (o: Observation) => views.find((v) => !v.failsInternal(o.target.id));
    const disputed = suspects.filter((o) => passesElsewhere(o));
    const sick = suspects.filter((o) => !passesElsewhere(o));
    set(disputed, 'inconclusive', (o) => `fails from node ${node} but passes from node ${passesElsewhere(o)!.node}: the network path, not the pod — not restarting`);
    if (sick.length === 0) {
      const reason = `${labels(disputed)} ${disputed.length === 1 ? 'fails' : 'fail'} from node ${node} but ${disputed.length === 1 ? 'passes' : 'pass'} from other nodes: the network path, not the pods — not restarting`;
      set(services, 'inconclusive', () => reason);
      return { classification: 'inconclusive', reason, notes, perTarget, diagnoses };
    }
    set(sick, 'pod-local', (o) => `fails ${checksText(o)} while peers pass from the same probe`);
    set(services, 'pod-local', () => `the Service IP fails too: it forwards to ${labels(sick)}`);
    const reason = `${labels(sick)} ${sick.length === 1 ? 'fails' : 'fail'} while ${labels(passingPods)} ${passingPods.length === 1 ? 'passes' : 'pass'} from the same probe — ${sick.length === 1 ? 'it is' : 'they are'} repairable`;
    return { classification: 'pod-local', reason, notes, perTarget, diagnoses };
  }

  const verdict = corroborate(suspects, node, views);
  set([...suspects, ...services], verdict.classification, () => verdict.reason);
  return { ...verdict, notes, perTarget, diagnoses };
}

/** Judges one cycle. See types.ts for the shapes and the meaning of each classification. */
export function judge(input: JudgeInput): Judgement {
  const config = withDefaults(DEFAULT_JUDGE_CONFIG, input.config);
  const thresholds: CheckThresholds = { failSamples: config.failSamples, latencyThresholdMs: config.latencyThresholdMs };
  const { plan, workload, primary } = input;
  const blind = probeBlindness(primary.report);
  const failures = failuresByTarget(primary.report, plan, thresholds);
  const obs: Observation[] = plan.targets.map((target) => {
    const failed = failures.get(target.id) ?? [];
    return { target, pod: findPod(target, workload.pods), failed, internal: failed.some((c) => !c.external) };
  });
  const classified = classify(obs, input, thresholds, blind);
  const summaries = new Map(primary.report.targets.map((s) => [s.targetId, s]));

  const targets = obs.map((o): TargetVerdict => {
    const key = targetKey(o.target, o.pod);
    const previous = input.previousFailures?.[key] ?? 0;
    const failing = o.failed.length > 0;
    // A probe that cannot be trusted says nothing about the targets: counts stay where they were.
    const consecutiveFailures = blind ? previous : failing ? previous + 1 : 0;
    const status = blind
      ? 'unknown'
      : !failing
        ? 'pass'
        : consecutiveFailures >= config.confirmCycles
          ? 'fail'
          : 'pending-confirmation';
    const own = classified.perTarget.get(o.target.id) ?? { classification: 'healthy' as const, reason: 'ok' };
    const pending = status === 'pending-confirmation' ? ` (waiting for confirmation: ${consecutiveFailures} of ${config.confirmCycles} failing cycles)` : '';
    return {
      targetId: o.target.id,
      kind: o.target.kind,
      label: o.target.label,
      address: o.target.address,
      key,
      ...(o.pod && {
        pod: { name: o.pod.name, uid: o.pod.uid, node: o.pod.node, deployment: o.pod.deployment, startTime: o.pod.startTime },
      }),
      status,
      failedChecks: o.failed,
      signature: failureSignature(o.failed),
      consecutiveFailures,
      p50Ms: summaries.get(o.target.id)?.p50Ms ?? null,
      p99Ms: summaries.get(o.target.id)?.p99Ms ?? null,
      classification: own.classification,
      reason: own.reason + pending,
      ...(own.classification === 'not-repairable' && o.pod && { diagnosis: classified.diagnoses.get(o.target.id) ?? [] }),
    };
  });

  const candidates = targets.flatMap((t): RepairCandidate[] =>
    t.kind === 'pod' && t.pod && t.status === 'fail' && (t.classification === 'pod-local' || t.classification === 'cluster-wide')
      ? [
          {
            targetId: t.targetId,
            key: t.key,
            pod: t.pod.name,
            uid: t.pod.uid,
            node: t.pod.node,
            deployment: t.pod.deployment,
            startTime: t.pod.startTime,
            signature: t.signature,
            consecutiveFailures: t.consecutiveFailures,
            failedChecks: t.failedChecks.length,
            scope: t.classification,
            reason: t.reason,
          },
        ]
      : [],
  );

  const probed = new Set(obs.flatMap((o) => (o.pod ? [o.pod.name] : [])));
  const unprobed = workload.pods
    .filter((p) => !probed.has(p.name))
    .map((p) => `pod ${p.name} was not probed: ${unrepairableState(p) ?? 'it is not in the plan'}`);
  const pendingCount = targets.filter((t) => t.status === 'pending-confirmation').length;
  const pendingNote = pendingCount > 0 ? [`${pendingCount} failing target(s) wait for confirmation (${config.confirmCycles} cycles)`] : [];

  return {
    verdict: classified.classification === 'healthy' ? 'healthy' : 'unhealthy',
    classification: classified.classification,
    reason: classified.reason,
    notes: [...classified.notes, ...unprobed, ...pendingNote],
    targets,
    candidates,
    probeNode: primary.node,
  };
}
