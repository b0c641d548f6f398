// The judge: probe reports in, a verdict per target and one classification for the cycle out. Pure.
// It encodes rules 1–4 of "Safety rules of repair" (design.md): only a pod that fails while its peers
// pass from the same probe is a repair candidate; everything else is explained, not restarted.
import type { DnsPod, Zones } from '../discover/types.ts';
import { queriesOf, type CheckPlan, type Target } from '../probe/contract.ts';
import { diagnose, type Finding } from './diagnose.ts';
import { FRESHNESS_QUERY_ID } from '../freshness/canary.ts';
import { nodeLocalVerdict, type NodeLocalVerdict } from './nodelocal.ts';
import { failureSignature, failuresByTarget, networkEvidence, probeBlindness, scopeOf, unreachedTargets, type CheckThresholds, type NetworkEvidence } from './checks.ts';
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
  if (target.kind !== 'pod') return `${target.kind}/${target.address}`;
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

type Family = 'ipv4' | 'ipv6';
const familyOf = (address: string): Family => (address.includes(':') ? 'ipv6' : 'ipv4');
const FAMILY: Record<Family, string> = { ipv4: 'IPv4', ipv6: 'IPv6' };

/** Where a probe ran, for messages: in-process modes (port-forward, direct) have no node. */
const probeOn = (node: string): string => (node ? `probe on node ${node}` : 'probe in this process (no probe pod)');
const fromNode = (node: string): string => (node ? `from node ${node}` : 'from this process');
const networkOf = (node: string): string => (node ? `the network of node ${node}` : "this machine's network and its path to the pods");

interface Observation {
  target: Target;
  pod?: DnsPod;
  failed: FailedCheck[];
  /** Fails a check CoreDNS answers itself (not only stub or external names). */
  internal: boolean;
  family: Family;
}

/** The cycle's classification, its reason, and each failing target's own classification and reason. */
interface Classified {
  classification: Classification;
  reason: string;
  /** The end of reason that offers a repair (Judgement.repairHint). */
  repairHint?: string;
  notes: string[];
  perTarget: Map<string, { classification: Classification; reason: string }>;
  /** Log findings of pods a restart cannot help, by target id. */
  diagnoses: Map<string, Finding[]>;
  /** classification slow: the targets of pods much slower than their peers (repair candidates). */
  slowRepairable?: Set<string>;
}

const labels = (obs: Observation[]): string => obs.map((o) => o.target.label).join(', ');
/** A pod is one peer whatever its number of addresses. */
const peerOf = (o: Observation): string => o.pod?.name ?? o.target.label;
const peers = (obs: Observation[]): string => [...new Set(obs.map(peerOf))].join(', ');
const firstReason = (o: Observation, pick: (c: FailedCheck) => boolean = () => true): string => {
  const c = o.failed.find(pick) ?? o.failed[0];
  return c ? `${c.query} over ${c.transport}: ${c.reason}` : 'ok';
};
const checksText = (o: Observation): string =>
  `${o.failed.length} check${o.failed.length === 1 ? '' : 's'} (${firstReason(o, (c) => c.scope === 'internal')})`;
const isStub = (c: FailedCheck) => c.scope === 'stub';
const isExternal = (c: FailedCheck) => c.scope === 'external';

function upstreamNote(obs: Observation[]): string | null {
  const external = obs.filter((o) => !o.internal && o.failed.some(isExternal));
  if (external.length === 0) return null;
  return `upstream: names outside the cluster fail on ${labels(external)} (${firstReason(external[0]!, isExternal)})`;
}

/**
 * Per stub domain: its forwarders and the targets on which its names fail. A target that fails CoreDNS's
 * own checks too (a hung pod fails everything) says nothing about the stub: its own failure explains it.
 */
function stubFailures(obs: Observation[]): { zone: string; forwarders: string[]; failing: Observation[] }[] {
  const byZone = new Map<string, { zone: string; forwarders: string[]; failing: Observation[] }>();
  for (const o of obs.filter((x) => !x.internal))
    for (const c of o.failed.filter(isStub)) {
      const entry = byZone.get(c.stub!.zone) ?? byZone.set(c.stub!.zone, { zone: c.stub!.zone, forwarders: c.stub!.forwarders, failing: [] }).get(c.stub!.zone)!;
      if (!entry.failing.includes(o)) entry.failing.push(o);
    }
  return [...byZone.values()];
}

/** One line per stub: the forwarder is named, where it fails, and what to check. */
function stubReason(stub: { zone: string; forwarders: string[]; failing: Observation[] }, obs: Observation[]): string {
  const forwarder = stub.forwarders.length ? stub.forwarders.join(' ') : 'its forwarder';
  // Compared with the targets that answer CoreDNS's own checks: the others are explained by their own failure.
  const answering = obs.filter((o) => !o.internal);
  const who = stub.failing.length === answering.length ? `on every target${answering.length < obs.length ? ' that answers' : ''} (${firstReason(stub.failing[0]!, isStub)})` : `on ${labels(stub.failing)} only while the others pass`;
  const check = stub.failing.length === answering.length ? `check ${forwarder} and the network to it` : `check the network from the nodes of ${peers(stub.failing)} to ${forwarder}`;
  return `stub domain ${stub.zone} fails through its forwarder ${forwarder} ${who} — restarting CoreDNS cannot help; ${check}`;
}

/** What a probe on another node saw: the targets failing a check CoreDNS answers itself. */
interface OtherView {
  node: string;
  failsInternal(targetId: string): boolean;
}

/** The corroborating probes that can be trusted; the others are explained in notes. */
function otherViews(input: JudgeInput, thresholds: CheckThresholds, notes: string[]): OtherView[] {
  const views: OtherView[] = [];
  for (const run of input.corroborating ?? []) {
    if (run.node === input.primary.node) {
      notes.push(`${probeOn(run.node)} ignored for corroboration: same node as the primary probe`);
      continue;
    }
    const blind = probeBlindness(run.report);
    if (blind) {
      notes.push(`${probeOn(run.node)} could not corroborate: ${blind}`);
      continue;
    }
    // A target it could not reach through the API would look like a pass there: no view rather than a wrong one.
    const unreached = unreachedTargets(run.report);
    if (unreached.size > 0) {
      notes.push(`${probeOn(run.node)} could not corroborate: ${unreached.size} target(s) not reached through the API (${[...unreached.values()][0]})`);
      continue;
    }
    const there = failuresByTarget(run.report, input.plan, thresholds, input.workload.zones);
    views.push({ node: run.node, failsInternal: (id) => (there.get(id) ?? []).some((c) => c.scope === 'internal') });
  }
  return views;
}

/** Every pod fails from the primary probe: ask the probes on other nodes before blaming the pods. */
function corroborate(suspects: Observation[], node: string, views: OtherView[], dnsNodes: number): { classification: Classification; reason: string } {
  const agreeing: string[] = [];
  const partial: string[] = [];
  for (const view of views) {
    const failingThere = suspects.filter((o) => view.failsInternal(o.target.id));
    if (failingThere.length === 0)
      return {
        classification: 'probe-side',
        reason: `${probeOn(node)} cannot reach DNS; from node ${view.node} all pods pass — not restarting; check ${networkOf(node)}`,
      };
    if (failingThere.length === suspects.length) agreeing.push(view.node);
    else partial.push(`from node ${view.node} only ${labels(failingThere)} fail`);
  }
  if (partial.length > 0)
    return {
      classification: 'inconclusive',
      reason: `probes disagree: ${fromNode(node)} every pod fails, ${partial.join('; ')} — not restarting until they agree; check the network between those nodes`,
    };
  if (agreeing.length > 0)
    return {
      classification: 'cluster-wide',
      reason: `every CoreDNS pod fails from nodes ${[node, ...agreeing].join(', ')}: cluster-wide trouble (Corefile, upstream, network) — not restarting unless full restarts are allowed; read the CoreDNS logs and the Corefile first`,
    };
  // More probe nodes only help where DNS pods run on more than one node.
  const advice = dnsNodes > 1 ? 'probe from more nodes (--probe-nodes 2)' : 'run again: the second probe could not run (see the notes)';
  return {
    classification: 'uncorroborated',
    reason: `every CoreDNS pod fails ${fromNode(node)} and no probe on another node could corroborate — not restarting; ${advice}`,
  };
}

/**
 * Every pod fails from the primary probe and no other probe says otherwise: the probe's own TCP connects
 * tell a cut-off probe node from sick pods, and (once corroboration was tried) make a lone replica
 * repairable even when no probe could run on another node.
 */
function withEvidence(
  verdict: { classification: Classification; reason: string },
  suspects: Observation[],
  input: JudgeInput,
  evidence: NetworkEvidence | null,
): { classification: Classification; reason: string; repairHint?: string } {
  const node = input.primary.node;
  if (!evidence || (verdict.classification !== 'uncorroborated' && verdict.classification !== 'cluster-wide')) return verdict;
  if (evidence.state === 'cut-off')
    return verdict.classification === 'uncorroborated'
      ? {
          classification: 'probe-side',
          reason: `every CoreDNS pod fails ${fromNode(node)} and so does the probe's own network check (${evidence.detail}): the probe's node is cut off — not restarting; check ${networkOf(node)} or probe elsewhere (--node-selector)`,
        }
      : verdict;
  // Corroboration first (the engine probes again from another node when the verdict is uncorroborated):
  // a network path blocked only from this node also lets the connects through.
  if ((input.corroborating ?? []).length === 0) return verdict;
  const pods = new Set(suspects.map(peerOf));
  const replicas = input.workload.controller?.desired ?? input.workload.pods.length;
  if (pods.size === 1 && replicas === 1) {
    const repairHint = ': it is repairable — restarting it takes DNS to 0 Ready pods, so --repair needs --allow-single-replica';
    return { classification: 'pod-local', reason: `the only CoreDNS pod ${[...pods][0]} fails while the probe's network works (${evidence.detail})${repairHint}`, repairHint };
  }
  if (verdict.classification === 'cluster-wide') return verdict;
  return {
    classification: 'cluster-wide',
    reason: `every CoreDNS pod fails ${fromNode(node)} while the probe's network works (${evidence.detail}): cluster-wide trouble (Corefile, upstream, API) — not restarting unless full restarts are allowed; read the CoreDNS logs and the Corefile first`,
  };
}

/** A pod this many times slower than its peers' median (p50), and over the threshold, is sick on its own. */
export const MUCH_SLOWER = 5;

const isSlowOnly = (c: FailedCheck): boolean => Object.keys(c.outcomes).every((k) => k === 'slow');
const ms1 = (n: number) => `${Math.round(n * 10) / 10} ms`;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

/**
 * Every failing pod fails only by answering too slowly: CoreDNS answers, so this is no outage. A pod much
 * slower than its passing peers (MUCH_SLOWER × their median p50) is repairable; slowness the pods share
 * is the load, the upstream or the nodes, never a restart. Null when something else fails too.
 */
function slowVerdict(
  suspects: Observation[],
  services: Observation[],
  pods: Observation[],
  input: JudgeInput,
  thresholds: CheckThresholds,
): { reason: string; repairHint?: string; perTarget: Map<string, { classification: Classification; reason: string }>; repairable: Set<string> } | null {
  const own = (o: Observation) => o.failed.filter((c) => c.scope === 'internal');
  if (suspects.length === 0 || ![...suspects, ...services].every((o) => own(o).every(isSlowOnly))) return null;
  const p50 = new Map(input.primary.report.targets.map((t) => [t.targetId, t.p50Ms]));
  const limit = `${thresholds.latencyThresholdMs ?? thresholds.udpLatencyThresholdMs ?? 'the limit of'} ms`;
  const passing = pods.filter((o) => !o.internal && p50.get(o.target.id) != null);
  const perTarget = new Map<string, { classification: Classification; reason: string }>();
  const repairable = new Set<string>();
  const much: Observation[] = [];
  for (const o of suspects) {
    const mine = p50.get(o.target.id);
    const peers = passing.filter((p) => p.family === o.family && peerOf(p) !== peerOf(o)).map((p) => p50.get(p.target.id)!);
    const typical = peers.length > 0 ? median(peers) : null;
    if (mine != null && typical !== null && mine >= MUCH_SLOWER * Math.max(typical, 0.1)) {
      much.push(o);
      repairable.add(o.target.id);
      perTarget.set(o.target.id, { classification: 'slow', reason: `answers in ${ms1(mine)} (p50) while its peers answer in ${ms1(typical)}: slower than ${limit} and ${MUCH_SLOWER}× its peers` });
    } else perTarget.set(o.target.id, { classification: 'slow', reason: `answers slower than ${limit}${typical !== null ? `, not ${MUCH_SLOWER}× slower than its peers (${ms1(typical)})` : ', like every pod'} — not restarting` });
  }
  for (const o of services) perTarget.set(o.target.id, { classification: 'slow', reason: `the Service IP answers slower than ${limit}` });
  if (much.length > 0) {
    const names = [...new Set(much.map(peerOf))];
    const one = names.length === 1;
    const repairHint = ` — ${one ? 'it is' : 'they are'} repairable (--repair restarts ${one ? 'it' : 'them'} one at a time)`;
    const detail = much.map((o) => perTarget.get(o.target.id)!.reason.replace(/: slower than .*$/, '')).join('; ');
    return { reason: `${names.join(', ')} ${one ? 'answers' : 'answer'} much slower than ${one ? 'its' : 'their'} peers (${detail})${repairHint}`, repairHint, perTarget, repairable };
  }
  const slowest = Math.max(...suspects.map((o) => p50.get(o.target.id) ?? 0));
  const who = passing.length === 0 ? 'every CoreDNS pod answers' : `${peers(suspects)} ${new Set(suspects.map(peerOf)).size === 1 ? 'answers' : 'answer'}`;
  const reason = `${who} slower than ${limit} (p50 up to ${ms1(slowest)})${passing.length > 0 ? `, but not ${MUCH_SLOWER}× slower than ${passing.length === 1 ? 'its peer' : 'the peers'}` : ''}: the load, the upstream or the nodes, not one sick pod — not restarting; check CPU throttling of the CoreDNS pods, the upstream's latency and the cache`;
  return { reason, perTarget, repairable };
}

function classify(obs: Observation[], input: JudgeInput, thresholds: CheckThresholds, blind: string | null, evidence: NetworkEvidence | null): Classified {
  const notes: string[] = [];
  const perTarget = new Map<string, { classification: Classification; reason: string }>();
  const diagnoses = new Map<string, Finding[]>();
  const failing = obs.filter((o) => o.failed.length > 0);
  const set = (os: Observation[], classification: Classification, reason: (o: Observation) => string) =>
    os.forEach((o) => perTarget.set(o.target.id, { classification, reason: reason(o) }));
  const node = input.primary.node;

  if (blind) {
    const reason = `${probeOn(node)} cannot be trusted: ${blind} — not restarting anything; check ${networkOf(node)} or probe elsewhere (--node-selector)`;
    set(failing, 'probe-side', () => reason);
    return { classification: 'probe-side', reason, notes, perTarget, diagnoses };
  }
  if (failing.length === 0) return { classification: 'healthy', reason: 'every target passes every check', notes, perTarget, diagnoses };

  const pods = obs.filter((o) => o.target.kind === 'pod');
  const internalFailing = failing.filter((o) => o.internal);
  const notInternal = failing.filter((o) => !o.internal);
  const stubs = stubFailures(obs);
  const stubLine = new Map(stubs.map((st) => [st.zone, stubReason(st, obs)]));
  set(notInternal, 'upstream', (o) => `only names outside the cluster fail: ${firstReason(o)}; check the upstream resolvers`);
  set(
    notInternal.filter((o) => o.failed.some(isStub)),
    'stub',
    (o) => stubLine.get(o.failed.find(isStub)!.stub!.zone)!,
  );

  if (internalFailing.length === 0) {
    if (stubs.length > 0) {
      const upstream = upstreamNote(obs);
      if (upstream) notes.push(upstream);
      return { classification: 'stub', reason: stubs.map((st) => stubLine.get(st.zone)!).join('; '), notes, perTarget, diagnoses };
    }
    const reason = `only names outside the cluster fail, on ${notInternal.length} of ${obs.length} targets: the upstream resolver is at fault — restarting CoreDNS cannot help; check the resolvers CoreDNS forwards to`;
    return { classification: 'upstream', reason, notes, perTarget, diagnoses };
  }
  for (const st of stubs) notes.push(stubLine.get(st.zone)!);
  const upstream = upstreamNote(obs);
  if (upstream) notes.push(upstream);

  // Pods whose state already explains the failure: a restart cannot help them (rule 4).
  const explained = internalFailing.filter((o) => o.target.kind === 'pod' && unrepairableState(o.pod) !== null);
  const why = (o: Observation): string => {
    const findings = o.pod ? diagnose(input.evidence?.[o.pod.name] ?? { logs: '' }) : [];
    if (findings.length > 0) diagnoses.set(o.target.id, findings);
    return `${unrepairableState(o.pod)}${findings.length > 0 ? `; logs: ${findings[0]!.summary}` : ''}`;
  };
  set(explained, 'not-repairable', (o) => `restart cannot help: ${why(o)}`);

  // A family that fails on every pod while the other family passes somewhere: the network, not the pods.
  const families = [...new Set(pods.map((o) => o.family))];
  const downFamilies =
    families.length < 2
      ? []
      : families.filter((f) => pods.filter((o) => o.family === f).every((o) => o.internal) && pods.some((o) => o.family !== f && !o.internal));
  const familyDown = internalFailing.filter((o) => downFamilies.includes(o.family) && !explained.includes(o));
  const familyReason = downFamilies
    .map(
      (f) =>
        `${FAMILY[f]} fails on every CoreDNS pod while ${FAMILY[f === 'ipv4' ? 'ipv6' : 'ipv4']} passes (${firstReason(familyDown.find((o) => o.family === f) ?? familyDown[0]!, (c) => c.scope === 'internal')}): the ${FAMILY[f]} pod network or the probe node's ${FAMILY[f]} path, not the pods — not restarting; fix ${FAMILY[f]} routing or probe with --ip-family ${f === 'ipv4' ? 'ipv6' : 'ipv4'}`,
    )
    .join('; ');
  set(familyDown, 'ip-family', () => familyReason);

  const suspects = internalFailing.filter((o) => o.target.kind === 'pod' && !explained.includes(o) && !familyDown.includes(o));
  const services = internalFailing.filter((o) => o.target.kind === 'service' && !familyDown.includes(o));
  const done = (c: Classified): Classified => {
    if (familyReason && c.classification !== 'ip-family') c.notes.push(familyReason);
    return c;
  };

  const slow = slowVerdict(suspects, services, pods, input, thresholds);
  if (slow) {
    for (const [id, v] of slow.perTarget) perTarget.set(id, v);
    return done({ classification: 'slow', reason: slow.reason, ...(slow.repairHint && { repairHint: slow.repairHint }), notes, perTarget, diagnoses, slowRepairable: slow.repairable });
  }

  if (suspects.length === 0 && explained.length === 0) {
    if (pods.length === 0) {
      const reason = 'the Service IP fails and no CoreDNS pod was probed to compare — cannot tell where the fault is; check that the CoreDNS pods have IPs and are in the plan';
      set(services, 'inconclusive', () => reason);
      return { classification: 'inconclusive', reason, notes, perTarget, diagnoses };
    }
    if (services.length === 0) return { classification: 'ip-family', reason: familyReason, notes, perTarget, diagnoses };
    const reason = `the Service IP fails (${firstReason(services[0]!)}) while every CoreDNS pod answers: kube-proxy or the endpoints are at fault — restarting pods cannot help; check kube-proxy${node ? ` on node ${node}` : ''} and the Service's EndpointSlices`;
    set(services, 'service-only', () => reason);
    return done({ classification: 'service-only', reason, notes, perTarget, diagnoses });
  }

  if (suspects.length === 0) {
    const reason =
      explained.length === 1
        ? `${labels(explained)} fails and a restart cannot help: ${why(explained[0]!)} — fix what its state and logs say (kubectl describe pod, kubectl logs --previous)`
        : `${labels(explained)} fail and a restart cannot help: ${explained.map((o) => `${o.target.label} (${why(o)})`).join(', ')} — fix what their state and logs say (kubectl describe pod, kubectl logs --previous)`;
    set(services, 'not-repairable', () => `the Service IP fails too: it forwards to ${labels(explained)}`);
    return done({ classification: 'not-repairable', reason, notes, perTarget, diagnoses });
  }

  const views = otherViews(input, thresholds, notes);
  // Peers are other pods probed on the same address family that pass.
  const passingPeers = (o: Observation) => pods.filter((p) => p.family === o.family && !p.internal && peerOf(p) !== peerOf(o));
  const withPeers = suspects.filter((o) => passingPeers(o).length > 0);
  if (withPeers.length > 0) {
    // A pod that answers a probe on another node is reachable and serving: the path from here is at fault.
    const passesElsewhere = (o: Observation) => views.find((v) => !v.failsInternal(o.target.id));
    const disputed = withPeers.filter((o) => passesElsewhere(o));
    const sick = withPeers.filter((o) => !passesElsewhere(o));
    const lonely = suspects.filter((o) => !withPeers.includes(o));
    set(disputed, 'inconclusive', (o) => `fails ${fromNode(node)} but passes from node ${passesElsewhere(o)!.node}: the network path, not the pod — not restarting; check the network ${fromNode(node)}`);
    set(lonely, 'inconclusive', (o) => `fails on ${FAMILY[o.family]} with no peer passing ${FAMILY[o.family]} to compare — not restarting`);
    if (sick.length === 0) {
      const reason = `${labels(disputed)} ${disputed.length === 1 ? 'fails' : 'fail'} ${fromNode(node)} but ${disputed.length === 1 ? 'passes' : 'pass'} from other nodes: the network path, not the pods — not restarting; check the network ${fromNode(node)}`;
      set(services, 'inconclusive', () => reason);
      return done({ classification: 'inconclusive', reason, notes, perTarget, diagnoses });
    }
    const dual = families.length > 1;
    const famText = (o: Observation) => (dual ? `${FAMILY[o.family]} ` : '');
    set(sick, 'pod-local', (o) => `fails ${famText(o)}${checksText(o)} while peers pass ${famText(o)}from the same probe`);
    set(services, 'pod-local', () => `the Service IP fails too: it forwards to ${peers(sick)}`);
    const passing = [...new Set(sick.flatMap((o) => passingPeers(o).map(peerOf)))];
    const sickPods = [...new Set(sick.map(peerOf))];
    const sickFamilies = [...new Set(sick.map((o) => o.family))];
    const onFamily = dual ? ` ${sickFamilies.map((f) => FAMILY[f]).join(' and ')}` : '';
    // One name per pod; on dual-stack with the families it fails on: "coredns-c (IPv4, IPv6)".
    const subject = dual
      ? sickPods.map((name) => `${name} (${sick.filter((o) => peerOf(o) === name).map((o) => FAMILY[o.family]).join(', ')})`).join(', ')
      : labels(sick);
    const repairHint = ` — ${sickPods.length === 1 ? 'it is' : 'they are'} repairable (--repair restarts ${sickPods.length === 1 ? 'it' : 'them'} one at a time)`;
    const reason = `${subject} ${sickPods.length === 1 ? 'fails' : 'fail'} while ${passing.join(', ')} ${passing.length === 1 ? 'passes' : 'pass'}${onFamily} from the same probe${repairHint}`;
    return done({ classification: 'pod-local', reason, repairHint, notes, perTarget, diagnoses });
  }

  // Every pod fails the freshness canary alone (it survived the engine's second look): they answer, they are stale.
  const ownFailures = (o: Observation) => o.failed.filter((c) => c.scope === 'internal');
  if (suspects.every((o) => ownFailures(o).every((c) => c.queryId === FRESHNESS_QUERY_ID))) {
    const stale = [...new Set(suspects.map(peerOf))];
    const replicas = input.workload.controller?.desired ?? input.workload.pods.length;
    const only = stale.length === 1 && replicas === 1;
    const repairHint = only
      ? ': it is repairable — restarting it takes DNS to 0 Ready pods, so --repair needs --allow-single-replica'
      : ' — they are repairable (--repair restarts them one at a time, each verified before the next)';
    const who = only ? `the only CoreDNS pod ${stale[0]} does` : `every CoreDNS pod (${stale.join(', ')}) does`;
    const reason = `${who} not resolve the freshness canary Service, even on a second look, while answering every other check: ${only ? 'its' : 'their'} Kubernetes watch is stale${repairHint}`;
    set(suspects, 'pod-local', () => 'does not resolve the freshness canary Service while answering every other check: its Kubernetes watch is stale');
    set(services, 'pod-local', () => `the Service IP fails too: it forwards to ${peers(suspects)}`);
    return done({ classification: 'pod-local', reason, repairHint, notes, perTarget, diagnoses });
  }

  const dnsNodes = new Set(input.workload.pods.map((p) => p.node).filter(Boolean)).size;
  const verdict = withEvidence(corroborate(suspects, node, views, dnsNodes), suspects, input, evidence);
  set([...suspects, ...services], verdict.classification, () => verdict.reason);
  return done({ ...verdict, notes, perTarget, diagnoses });
}

/** Fails every check CoreDNS answers itself over one of the probed transports: it serves no client there. */
function outOfService(o: Observation, plan: CheckPlan, zones: Zones): boolean {
  const own = queriesOf(plan, o.target).filter((q) => scopeOf(q, zones).scope === 'internal');
  if (own.length === 0) return false;
  // A slow answer is an answer: only checks that got none (or a wrong one) take a pod out of service.
  const failed = new Set(o.failed.filter((c) => c.scope === 'internal' && !isSlowOnly(c)).map((c) => `${c.queryId}/${c.transport}`));
  return plan.transports.some((t) => own.every((q) => failed.has(`${q.id}/${t}`)));
}

/**
 * The cycle's verdict when some targets were not reached through the API: nothing reached is
 * inconclusive (nothing was judged); otherwise the reached targets' verdict, saying which were not.
 */
function withUnreached(c: Classified, reached: Observation[], unreached: Observation[], firstLine: string): Classified {
  if (unreached.length === 0) return c;
  if (reached.length === 0)
    return { ...c, classification: 'inconclusive', reason: `no target was reached through the API (${firstLine}) — nothing judged, nothing restarted; check the API server's path to the nodes (kubelet)` };
  const also = `${labels(unreached)} not reached through the API, unknown this cycle`;
  return { ...c, reason: c.classification === 'healthy' ? `every target reached passes every check; ${also}` : `${c.reason}; ${also}` };
}

/**
 * The cycle with the node-local caches' verdict: a failing cache is the classification when CoreDNS
 * itself is healthy (or what fails is only the Service IP that the failing cache answers); otherwise a note.
 * The cache's targets get their own classification either way.
 */
function withNodeLocal(c: Classified, cache: NodeLocalVerdict | null, obs: Observation[], node: string): Classified {
  const perTarget = new Map(c.perTarget);
  const here = cache?.failures.find((f) => f.node === node);
  for (const id of here?.targetIds ?? []) perTarget.set(id, { classification: 'node-local', reason: cache!.reason });
  // A cache target failing with the pods: the cache forwards to CoreDNS, whose verdict it shares.
  for (const o of obs.filter((x) => x.target.kind === 'node-local' && x.failed.length > 0 && !perTarget.has(x.target.id)))
    perTarget.set(o.target.id, { classification: c.classification, reason: 'NodeLocal DNSCache forwards to CoreDNS, which fails from this probe too' });
  if (!cache) return { ...c, perTarget };
  // Every failure of the primary probe is its own node's cache (the Service IP it binds): the cache it is.
  const failing = obs.filter((o) => o.target.kind !== 'node-local' && o.failed.length > 0).map((o) => o.target.id);
  const explained = failing.length > 0 && failing.every((id) => here?.targetIds.includes(id));
  if (c.classification === 'healthy' || explained) return { ...c, classification: 'node-local', reason: cache.reason, perTarget };
  return { ...c, notes: [...c.notes, cache.reason], perTarget };
}

/**
 * Probe nodes (other than the primary's) from which DNS is dead: the probe could not be trusted, or every
 * CoreDNS pod fails a check it answers itself. With the primary's view healthy, that is the node's path.
 */
function deadProbeNodes(input: JudgeInput, thresholds: CheckThresholds): { node: string; why: string }[] {
  const podIds = input.plan.targets.filter((t) => t.kind === 'pod').map((t) => t.id);
  return (input.corroborating ?? []).flatMap((run) => {
    // A probe the API could not fully reach (rule 12) says nothing about the node's DNS path.
    if (run.node === input.primary.node || unreachedTargets(run.report).size > 0) return [];
    const blind = probeBlindness(run.report);
    if (blind) return [{ node: run.node, why: blind }];
    const there = failuresByTarget(run.report, input.plan, thresholds, input.workload.zones);
    const failsOwn = (id: string) => (there.get(id) ?? []).some((c) => c.scope === 'internal' && !isSlowOnly(c));
    return podIds.length > 0 && podIds.every(failsOwn) ? [{ node: run.node, why: 'every CoreDNS pod fails from there' }] : [];
  });
}

/** Judges one cycle. See types.ts for the shapes and the meaning of each classification. */
export function judge(input: JudgeInput): Judgement {
  const config = withDefaults(DEFAULT_JUDGE_CONFIG, input.config);
  const thresholds: CheckThresholds = { failSamples: config.failSamples, latencyThresholdMs: config.latencyThresholdMs, udpLatencyThresholdMs: config.udpLatencyThresholdMs };
  const { plan, workload, primary } = input;
  const blind = probeBlindness(primary.report);
  const failures = failuresByTarget(primary.report, plan, thresholds, workload.zones);
  const obs: Observation[] = plan.targets.map((target) => {
    const failed = failures.get(target.id) ?? [];
    return { target, pod: findPod(target, workload.pods), failed, internal: failed.some((c) => c.scope === 'internal'), family: familyOf(target.address) };
  });
  const evidence = networkEvidence(primary.report, plan);
  // Rule 12: a target the API could not reach (its tunnel refused) is unknown this cycle, judged apart, never restarted.
  const unreached = blind ? new Map<string, string>() : unreachedTargets(primary.report);
  // NodeLocal DNSCache's addresses are judged per probe node (src/judge/nodelocal.ts), apart from CoreDNS.
  const coreDns = obs.filter((o) => o.target.kind !== 'node-local' && !unreached.has(o.target.id));
  const cutOff = obs.filter((o) => unreached.has(o.target.id));
  const classifiedCoreDns = withUnreached(classify(coreDns, input, thresholds, blind, evidence), coreDns, cutOff, [...unreached.values()][0] ?? '');
  const cache = nodeLocalVerdict(plan, workload, [primary, ...(input.corroborating ?? [])], thresholds);
  const fromProbe = withNodeLocal(classifiedCoreDns, cache, obs, primary.node);
  const dead = fromProbe.classification === 'healthy' ? deadProbeNodes(input, thresholds) : [];
  const fromNodes: Classified = dead.length
    ? {
        ...fromProbe,
        classification: 'probe-side',
        reason: `DNS fails from node${dead.length === 1 ? '' : 's'} ${dead.map((n) => `${n.node} (${n.why})`).join(', ')} while every CoreDNS pod passes from node ${primary.node}: ${dead.length === 1 ? "that node's" : "those nodes'"} network or DNS path (kube-proxy, CNI, a node-local cache), not CoreDNS — not restarting; check ${dead.length === 1 ? 'the node' : 'those nodes'}`,
      }
    : fromProbe;
  // An outage discovery named (src/discover/outage.ts) is the verdict whatever the probe saw, and no restart mends it.
  const classified = workload.outage ? { ...fromNodes, classification: 'outage' as const, reason: workload.outage.reason } : fromNodes;
  const summaries = new Map(primary.report.targets.map((s) => [s.targetId, s]));

  const targets = obs.map((o): TargetVerdict => {
    const key = targetKey(o.target, o.pod);
    const previous = input.previousFailures?.[key] ?? 0;
    const failing = o.failed.length > 0;
    const path = unreached.get(o.target.id);
    // A probe that cannot be trusted, or a target it could not reach, says nothing: counts stay where they were.
    const unknown = blind !== null || path !== undefined;
    const consecutiveFailures = unknown ? previous : failing ? previous + 1 : 0;
    const status = unknown
      ? 'unknown'
      : !failing
        ? 'pass'
        : consecutiveFailures >= config.confirmCycles
          ? 'fail'
          : 'pending-confirmation';
    const own =
      path !== undefined
        ? { classification: 'inconclusive' as const, reason: `not reached through the API — unknown this cycle, not restarted: ${path}` }
        : (classified.perTarget.get(o.target.id) ?? { classification: 'healthy' as const, reason: 'ok' });
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
      ...(path !== undefined && { unreached: path }),
      outOfService: !unknown && outOfService(o, plan, workload.zones),
    };
  });

  const perTarget = targets.flatMap((t): RepairCandidate[] =>
    !workload.outage &&
    t.kind === 'pod' &&
    t.pod &&
    t.status === 'fail' &&
    (t.classification === 'pod-local' || t.classification === 'cluster-wide' || (t.classification === 'slow' && classified.slowRepairable?.has(t.targetId) === true))
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
            scope: t.classification === 'cluster-wide' ? 'cluster-wide' : 'pod-local',
            reason: t.reason,
          },
        ]
      : [],
  );
  // A pod is one peer: its addresses' failures make one candidate (the first address's, with every failing check).
  const candidates: RepairCandidate[] = [];
  for (const c of perTarget) {
    const same = candidates.find((o) => o.pod === c.pod);
    if (!same) {
      candidates.push(c);
      continue;
    }
    const checks = targets.filter((t) => t.pod?.name === c.pod).flatMap((t) => t.failedChecks);
    same.signature = failureSignature(checks);
    same.failedChecks = checks.length;
    same.consecutiveFailures = Math.max(same.consecutiveFailures, c.consecutiveFailures);
  }

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
    ...(classified.repairHint && classified.reason.endsWith(classified.repairHint) && { repairHint: classified.repairHint }),
    notes: [...classified.notes, ...unprobed, ...pendingNote],
    targets,
    candidates,
    probeNode: primary.node,
  };
}
