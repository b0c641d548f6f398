// The probe stages of a cycle: discover → plan → probe (through a Prober), and the probes a judgement
// asks for (another node when the primary probe cannot be trusted, a corroborating probe when every pod
// fails). Each returns a new ProbedCycle with its notes in the workload's notes; nothing is mutated.
import { KubeError, interruptibleClient, type KNode } from '../kube/index.ts';
import { unprobeableOutage } from '../discover/outage.ts';
import { discoverSample } from '../discover/sample.ts';
import type { DnsWorkload } from '../discover/types.ts';
import { buildPlan, planNotes, resolvePlanOptions, servesCluster } from '../plan/index.ts';
import { LIMITS, validatePlan, type CheckPlan } from '../probe/contract.ts';
import { planSizeProblem } from '../probepod/limits.ts';
import type { PinnedNode } from '../probepod/spec.ts';
import { ProbePodError, type ProbeRunResult } from '../probepod/lifecycle.ts';
import { probeBlindness } from '../judge/checks.ts';
import type { Judgement } from '../judge/types.ts';
import { FRESHNESS_QUERY_ID } from '../freshness/canary.ts';
import { Interrupted, throwIfAborted } from '../common/abort.ts';
import type { Logger } from '../common/logger.ts';
import { DEFAULTS } from '../common/defaults.ts';
import type { Progress } from '../report/index.ts';
import type { Prober } from '../modes/types.ts';
import type { CycleContext } from './context.ts';
import { discoverDns } from './discover.ts';
import { UsageError } from '../common/errors.ts';
import { withFreshness } from './freshness.ts';
import { pinNodes, probeableNodes, probeEveryNode, tolerationNote, type NodeRuns } from './nodes.ts';

export interface StageTimings {
  discoverMs: number;
  planMs: number;
  createMs: number;
  startMs: number;
  execMs: number;
  deleteMs: number;
  totalMs: number;
}

/** What one probe round saw, before judging. */
export interface ProbedCycle {
  workload: DnsWorkload;
  plan: CheckPlan;
  /** The first is the primary probe; the others corroborate. */
  runs: ProbeRunResult[];
  timings: StageTimings;
}

/** What a probe round needs. */
export interface RoundDeps {
  ctx: CycleContext;
  prober: Prober;
  progress: Progress;
  log: Logger;
  /** SIGINT/SIGTERM: until the probe starts, a signal ends the round at once (nothing was created). */
  signal?: AbortSignal;
  /** The workload already discovered (auto's mode decision needed it): the round reuses it. */
  discovered?: DnsWorkload;
}

/** Nodes for --probe-nodes N: the DNS pods' nodes, so a corroborating probe sees the same pods from elsewhere. */
export function probeNodes(workload: DnsWorkload, count: number): string[] {
  if (count <= 1) return [];
  return [...new Set(workload.pods.map((p) => p.node).filter(Boolean))].sort().slice(0, count);
}

/**
 * The nodes the probe pods are pinned to, with the taints each must tolerate: one node list when
 * pinned (--probe-nodes N > 1 or all), none for the default single unpinned probe.
 */
async function pinnedNodes(listNodes: () => Promise<KNode[]>, count: number | 'all', workload: DnsWorkload): Promise<{ nodes: PinnedNode[]; notes: string[] }> {
  if (count === 'all') return probeableNodes(await listNodes());
  const names = probeNodes(workload, count);
  const few = count > 1 && names.length < count ? [`--probe-nodes ${count}: only ${names.length} distinct DNS pod nodes to probe from`] : [];
  if (names.length === 0) return { nodes: [], notes: few };
  const pinned = pinNodes(names, await listNodes());
  const tolerated = tolerationNote(pinned);
  return { nodes: pinned, notes: [...few, ...(tolerated ? [tolerated] : [])] };
}

/**
 * Discover, plan and probe; throws KubeError/DiscoverError/ProbePodError, or UsageError for a plan the
 * probe cannot run — all before anything in the cluster is changed (the probe pod's watch sweeps stale
 * probe pods, so the sweep comes after the plan is known to be runnable).
 */
export async function probeRound(d: RoundDeps): Promise<ProbedCycle> {
  const { ctx, log, progress } = d;
  const s = ctx.settings;
  const started = Date.now();
  // Until the probe starts, a signal ends the round at once: nothing has been created yet.
  const reading = interruptibleClient(ctx.client, d.signal);
  const beforeProbe = <T>(stage: string, work: Promise<T>): Promise<T> =>
    work.catch((err: unknown) => {
      throw err instanceof Interrupted ? new Interrupted(`interrupted during ${stage}: nothing was created in the cluster`) : err;
    });
  const d0 = s.discover;
  progress.stage('discover', d0.namespace || d0.selector || d0.service ? `${d0.selector ?? 'the DNS pods'} in namespace ${d0.namespace ?? '(found)'}` : 'finding the cluster DNS');
  let t = Date.now();
  const discovered = d.discovered ?? (await beforeProbe('discovery', discoverDns(ctx, reading)));
  const discoverMs = Date.now() - t;
  // Notes are in the report; on stderr only at --log-level info.
  for (const note of discovered.notes ?? []) log.info(note);
  // Nothing to probe and discovery named why (a headless StatefulSet scaled to 0): exit 1 with the outage.
  const unprobeable = unprobeableOutage(discovered);
  if (unprobeable) throw unprobeable;

  progress.stage('plan', `${discovered.pods.length} pods, cluster domain ${discovered.zones.clusterDomain}`);
  t = Date.now();
  const planOptions = resolvePlanOptions(s.plan, ctx.config);
  // --sample-services: two cluster-wide lists, only when asked for (manifests/rbac-sample.yaml).
  const sample = planOptions.sampleServices > 0 ? await beforeProbe('planning', discoverSample(reading)) : undefined;
  const planned = buildPlan(discovered, planOptions, sample);
  const leftOut = planNotes(discovered, planOptions, planned);
  // --client-view: the probe also looks up a short name as an application would (src/probe/clientview.ts).
  const built = s.clientView ? { ...planned, clientView: { ...DEFAULTS.clientView } } : planned;
  const planMs = Date.now() - t;
  log.debug('plan built', { targets: built.targets.length, queries: built.queries.length });
  if (built.queries.length === 0)
    throw new UsageError('no checks left to run: every check group is off (--no-default-checks, --skip-checks or the config file) and the config file adds none — add checks, or turn groups back on');
  // The freshness canary's query must fit too.
  // A Corefile without a kubernetes plugin answers no Service name: no canary could ever resolve.
  const freshness = s.freshness && servesCluster(discovered.zones);
  const roomForCanary = freshness && built.queries.length >= LIMITS.queries ? `plan has ${built.queries.length} queries and the freshness check needs one more (at most ${LIMITS.queries})` : null;
  const unrunnable = validatePlan(built) ?? roomForCanary ?? planSizeProblem(built);
  if (unrunnable) throw new UsageError(`the check plan cannot run: ${unrunnable} — pass fewer checks (--config), --samples or --transports`);
  // The mode fits the plan to what it reaches (src/modes/registry.ts); what it leaves out becomes report notes.
  const scoped = d.prober.prepare ? await beforeProbe('planning', d.prober.prepare(built, discovered)) : undefined;
  const fitted = scoped?.plan ?? built;
  for (const note of scoped?.notes ?? []) log.info(note);

  const count = s.probeNodes;
  const everyNode = count === 'all';
  const pinned = await beforeProbe('planning', pinnedNodes(() => reading.listNodes(), count, discovered));
  throwIfAborted(d.signal, 'interrupted during planning: nothing was created in the cluster');
  const { nodes } = pinned;
  // Probes on several nodes run one by one, so a node whose probe cannot run leaves a note, not an error.
  const probe = async (p: CheckPlan): Promise<NodeRuns> =>
    everyNode || (d.prober.perNode && nodes.length > 1) ? probeEveryNode(d.prober, p, nodes) : { runs: await d.prober.run(p, nodes), notes: [] };
  const { plan, runs, notes: probing } = freshness ? await withFreshness(ctx, fitted, discovered.zones.clusterDomain, log, probe, d.signal) : { plan: fitted, ...(await probe(fitted)) };
  // The probe pod's watch swept stale probe pods (src/probepod/lifecycle.ts); a failed sweep is worth a
  // warning only when the round goes on: a run that fails prints its one error line.
  const sweep = runs[0]!.sweep;
  if (sweep?.deleted.length) log.info(`deleted ${sweep.deleted.length} stale probe pod(s): ${sweep.deleted.join(', ')}`);
  if (sweep?.failure) log.warn(`could not sweep stale probe pods in namespace ${ctx.probeNamespace}: ${sweep.failure}`);
  // The mode's notes first: auto's one line says how this report was made. Probe pods on several nodes
  // may say the same (each fell back to the same image): once is enough.
  const before = [...(scoped?.notes ?? []), ...(discovered.notes ?? []), ...leftOut, ...pinned.notes, ...probing];
  const notes = [...before, ...new Set(runs.flatMap((r) => r.notes ?? []).filter((note) => !before.includes(note)))];
  const { createMs, startMs, execMs, deleteMs } = runs[0]!.timings;
  return { workload: { ...discovered, notes }, plan, runs, timings: { discoverMs, planMs, createMs, startMs, execMs, deleteMs, totalMs: Date.now() - started } };
}

/**
 * The round without the targets of terminating pods: they left the Service's endpoints and are being
 * replaced, so their failures say nothing about DNS now (a replaced hung pod keeps failing until its
 * grace period ends). They stay in the workload, where they count as unavailable. Pure.
 */
export function withoutTerminating(p: ProbedCycle): ProbedCycle {
  const leaving = new Set(p.workload.pods.filter((pod) => pod.terminating).flatMap((pod) => pod.ips));
  const targetIds = new Set(p.plan.targets.filter((t) => t.kind === 'pod' && leaving.has(t.address)).map((t) => t.id));
  if (targetIds.size === 0) return p;
  const keep = <T extends { targetId: string }>(xs: T[]) => xs.filter((x) => !targetIds.has(x.targetId));
  return {
    ...p,
    plan: { ...p.plan, targets: p.plan.targets.filter((t) => !targetIds.has(t.id)) },
    runs: p.runs.map((r) => ({ ...r, report: { ...r.report, results: keep(r.report.results), targets: keep(r.report.targets) } })),
  };
}
/**
 * The plan for a probe after the round: without the freshness canary, which is deleted by then (every
 * pod would fail it, and a failing canary everywhere reads as every pod stale).
 */
const afterRound = (plan: CheckPlan): CheckPlan => ({ ...plan, queries: plan.queries.filter((q) => q.id !== FRESHNESS_QUERY_ID) });

/** Another node with a DNS pod than the primary probe's, for a second probe. */
const otherDnsNode = (probed: ProbedCycle): string | undefined =>
  [...new Set(probed.workload.pods.map((p) => p.node))].filter((n) => n && n !== probed.runs[0]!.node).sort()[0];

/**
 * The primary probe cannot be trusted (its node has no network, its own connect fails): probe once from
 * another DNS pod's node, and judge from there when that probe can be trusted — a node without network
 * must not keep a hung pod from its repair. The first node is named in a note either way.
 */
export async function probeElsewhere(d: RoundDeps, probed: ProbedCycle, judgement: Judgement): Promise<ProbedCycle> {
  // --node-selector says where probes run: never elsewhere.
  if (judgement.classification !== 'probe-side' || probed.runs.length > 1 || Object.keys(d.ctx.settings.nodeSelector).length > 0) return probed;
  const first = probed.runs[0]!;
  const other = otherDnsNode(probed);
  if (!other) return probed;
  d.log.info(`the probe on node ${first.node} cannot be trusted: probing again from node ${other}`);
  const noted = (note: string) => ({ ...probed, workload: { ...probed.workload, notes: [...(probed.workload.notes ?? []), note] } });
  try {
    const [second] = await d.prober.run(afterRound(probed.plan), pinNodes([other], await d.ctx.client.listNodes()));
    if (!second || probeBlindness(second.report)) return noted(`a second probe on node ${other} could not be trusted either: ${second ? probeBlindness(second.report) : 'it returned nothing'}`);
    return { ...noted(`the probe on node ${first.node} could not be trusted (${judgement.reason}); judged from a second probe on node ${other}`), runs: [second] };
  } catch (err) {
    if (!(err instanceof ProbePodError || err instanceof KubeError)) throw err;
    return noted(`a second probe on node ${other} failed: ${err.line}`);
  }
}

/** Rule 2: every pod fails from the only probe → probe again from another DNS pod node before concluding (check and --repair alike). */
export async function corroborate(d: RoundDeps, probed: ProbedCycle, judgement: Judgement): Promise<ProbedCycle> {
  if (judgement.classification !== 'uncorroborated' || probed.runs.length > 1) return probed;
  const primaryNode = probed.runs[0]!.node;
  const other = otherDnsNode(probed);
  // No DNS pod lives elsewhere (one replica, or all on the probe's node): let the scheduler place it; the
  // judge ignores a corroborating probe that lands on the primary's node.
  d.log.info(`every CoreDNS pod fails from ${primaryNode ? `node ${primaryNode}` : 'this process'}: corroborating from ${other ? `node ${other}` : 'another probe pod'}`);
  try {
    const pinned = other ? pinNodes([other], await d.ctx.client.listNodes()) : [];
    const runs = await d.prober.run(afterRound(probed.plan), pinned);
    const tolerated = tolerationNote(pinned);
    return { ...probed, runs: [...probed.runs, ...runs], ...(tolerated && { workload: { ...probed.workload, notes: [...(probed.workload.notes ?? []), tolerated] } }) };
  } catch (err) {
    if (!(err instanceof ProbePodError || err instanceof KubeError)) throw err;
    const note = `corroborating probe${other ? ` on node ${other}` : ''} could not run, so it is no evidence either way: ${err.line}`;
    return { ...probed, workload: { ...probed.workload, notes: [...(probed.workload.notes ?? []), note] } };
  }
}
