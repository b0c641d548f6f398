// The freshness canary around one probe round (src/freshness/canary.ts): sweep old canaries, create
// this round's, add its check to the plan, probe, delete it. A canary that cannot be created (RBAC,
// quota) costs a note, never the cycle. What it has to say comes back as notes, with the runs.
import { KubeError } from '../kube/index.ts';
import { CANARY_TTL_MS, canaryName, canaryQuery, createCanary, judgeableFreshness, noPodSawCanary, SECOND_LOOK_DELAY_MS, secondLookPlan, sweepCanaries, withSecondLook, type Canary } from '../freshness/canary.ts';
import { Interrupted, raceAbort, sleep } from '../common/abort.ts';
import { lineOf } from '../common/errors.ts';
import type { CheckPlan } from '../probe/contract.ts';
import { ProbePodError, type ProbeRunResult } from '../probepod/lifecycle.ts';
import type { Logger } from '../common/logger.ts';
import type { CycleContext } from './context.ts';
import type { NodeRuns } from './nodes.ts';

export async function withFreshness(
  ctx: CycleContext,
  plan: CheckPlan,
  clusterDomain: string,
  log: Logger,
  probe: (plan: CheckPlan) => Promise<NodeRuns>,
  signal?: AbortSignal,
): Promise<NodeRuns & { plan: CheckPlan }> {
  const namespace = ctx.probeNamespace;
  const withoutCanary = async (err: unknown) => {
    const probed = await probe(plan);
    return { plan, runs: probed.runs, notes: [`freshness not checked: ${lineOf(err)} (or pass --no-freshness)`, ...probed.notes] };
  };
  let swept: string[] = [];
  try {
    swept = await raceAbort(sweepCanaries(ctx.client, namespace), signal);
  } catch (err) {
    if (err instanceof Interrupted) throw new Interrupted('interrupted before the freshness canary was created: nothing was created in the cluster');
    // The canary's rule grants list, create and delete together: a refused list means the create would be refused too.
    if (err instanceof KubeError && err.kind === 'forbidden') return withoutCanary(err);
    log.info(`could not sweep old freshness canaries in namespace ${namespace}: ${lineOf(err)}`);
  }
  if (swept.length) log.info(`deleted ${swept.length} old freshness canary Service(s): ${swept.join(', ')}`);
  const name = canaryName();
  /** Deletes the canary by name; says what became of it. */
  const remove = async (): Promise<string> => {
    try {
      await ctx.client.deleteService(namespace, name);
      return `freshness canary ${name} deleted`;
    } catch (err) {
      log.warn(`could not delete freshness canary ${namespace}/${name}: ${lineOf(err)} — the next run from this machine or \`coredns-sentinel cleanup\` here removes it once this run has ended (from elsewhere: when ${CANARY_TTL_MS / 60_000} min old); \`cleanup --all\` at once`);
      return `freshness canary ${name} NOT deleted (${lineOf(err)})`;
    }
  };
  const creating = createCanary(ctx.client, namespace, name);
  let canary;
  try {
    canary = await raceAbort(creating, signal);
  } catch (err) {
    if (!(err instanceof Interrupted)) return withoutCanary(err);
    // The create may still land: delete by name once it has settled.
    await creating.catch(() => undefined);
    throw new Interrupted(`interrupted before the probe pod was created: ${await remove()}`);
  }
  const withCanary = { ...plan, queries: [...plan.queries, canaryQuery(canary, clusterDomain)] };
  let first: NodeRuns;
  let looked: SecondLook;
  try {
    first = await probe(withCanary);
    looked = await secondLook(withCanary, first.runs, canary, probe, signal);
  } catch (err) {
    const removed = await remove();
    // An interruption says what was cleaned up: the probe's part, then the canary's.
    throw err instanceof Interrupted ? new Interrupted(`${err.message}; ${removed}`) : err;
  }
  await remove();
  const notes = [...first.notes, ...looked.notes];
  if (looked.runs) return { plan: withCanary, runs: looked.runs, notes };
  const judged = first.runs.map((r) => judgeableFreshness(withCanary, r.report));
  const freshnessNotes = [...new Set(judged.flatMap((j) => (j.note ? [j.note] : [])))];
  return { plan: withCanary, runs: first.runs.map((r, i) => ({ ...r, report: judged[i]!.report })), notes: [...notes, ...freshnessNotes] };
}

/** The second look's runs (absent: judge the first look) and what it has to say. */
interface SecondLook {
  runs?: ProbeRunResult[];
  notes: string[];
}

/**
 * No pod answered the canary: ask every pod once more, SECOND_LOOK_DELAY_MS later (one more probe pod).
 * What the second look sees stands: pods that answer it now are fresh, and a canary no pod resolves
 * even then means every pod is stale (src/judge). No runs when there was nothing to look at again, or
 * the second look could not run (then the first look is judged as before, with its note).
 */
async function secondLook(
  plan: CheckPlan,
  runs: ProbeRunResult[],
  canary: Canary,
  probe: (plan: CheckPlan) => Promise<NodeRuns>,
  signal?: AbortSignal,
): Promise<SecondLook> {
  if (!runs.some((r) => noPodSawCanary(plan, r.report))) return { notes: [] };
  await sleep(SECOND_LOOK_DELAY_MS, signal);
  let again: NodeRuns;
  try {
    again = await probe(secondLookPlan(plan));
  } catch (err) {
    if (!(err instanceof ProbePodError || err instanceof KubeError)) throw err;
    return { notes: [`freshness: the second look at canary ${canary.name} could not run: ${err.line}`] };
  }
  const seconds = SECOND_LOOK_DELAY_MS / 1000;
  const merged = runs.map((r) => {
    const second = again.runs.find((a) => a.node === r.node) ?? again.runs[0]!;
    return { ...r, report: withSecondLook(r.report, second.report) };
  });
  const stillNone = merged.some((r) => noPodSawCanary(plan, r.report));
  const said = stillNone
    ? `freshness: no CoreDNS pod resolved canary Service ${canary.namespace}/${canary.name} on a second look ${seconds} s later — every pod is stale`
    : `freshness: no CoreDNS pod resolved canary Service ${canary.namespace}/${canary.name} at first; judged on a second look ${seconds} s later (one more probe pod)`;
  return { runs: merged, notes: [...again.notes, said] };
}
