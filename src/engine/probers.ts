// The prober for --mode (docs/modes.md): one of the modes of src/modes/registry.ts, or auto — decided
// once from SelfSubjectAccessReviews and, when nothing from the pod network is allowed, a reachability
// test of the discovered pod IPs (src/modes/auto.ts).
import { interruptibleClient, type KubeClient } from '../kube/index.ts';
import { Interrupted } from '../common/abort.ts';
import { decideMode, decisionLine, needsReachability } from '../modes/auto.ts';
import type { Scope } from '../modes/access.ts';
import { ModeError } from '../modes/errors.ts';
import { MODE_REGISTRY, modeEntry, type ModeDeps, type ModeFacts } from '../modes/registry.ts';
import type { ConcreteMode, Prober } from '../modes/types.ts';
import { DEFAULTS } from '../common/defaults.ts';
import type { DnsWorkload } from '../discover/types.ts';
import { accessScope, discoverDns, routability } from './discover.ts';
import type { Progress } from '../report/index.ts';
import type { CycleContext } from './context.ts';
import { UsageError } from '../common/errors.ts';
import { probePodSettings } from './probepod-settings.ts';

export interface ChosenProber {
  prober: Prober;
  /** With --mode auto: the one line saying which mode and why (also a note of the report). */
  line?: string;
  /** The workload auto discovered to decide (the first cycle reuses it instead of discovering again). */
  workload?: DnsWorkload;
}

/**
 * Auto's access questions, as few as decide (each is an API request): none in a pod; else, mode by mode
 * in the registry's order, only its decisive verbs (a probe pod's: create pods and pods/exec, in the probe
 * namespace), stopping at the first mode allowed; the tunnel's are asked in the namespace where discovery
 * found the DNS pods, so the workload is discovered only when they are asked. Reading the workload is
 * not asked: discovery, which every mode needs, fails with the missing rule named.
 */
export async function accessFacts(client: Pick<KubeClient, 'reviewAccess' | 'inCluster'>, probeScope: Scope, workloadScope: () => Promise<Scope>): Promise<Pick<ModeFacts, 'inCluster' | 'read' | 'allowed'>> {
  const allowed: ModeFacts['allowed'] = {};
  if (!client.inCluster) {
    for (const mode of MODE_REGISTRY) {
      if (mode.decisive(probeScope).length === 0) continue;
      // A probe pod's questions concern only the probe namespace: no discovery needed for them.
      const scope = mode.decisive(probeScope).every((c) => c.namespace === probeScope.probeNamespace) ? probeScope : await workloadScope();
      allowed[mode.name] = (await client.reviewAccess(mode.decisive(scope))).every(Boolean);
      if (allowed[mode.name]) break;
    }
  }
  return { inCluster: client.inCluster, read: true, allowed };
}

/** What every prober may need from this cycle's context. */
export function modeDeps(ctx: CycleContext, progress: Progress, signal?: AbortSignal): ModeDeps {
  const s = ctx.settings;
  return {
    client: ctx.client,
    probePod: probePodSettings(ctx, { onStage: (stage, detail) => progress.stage(stage, detail), ...(signal ? { signal } : {}) }),
    dnsAddresses: s.dnsAddresses,
    reachTimeoutMs: DEFAULTS.modes.reachTimeoutMs,
  };
}

function concrete(mode: ConcreteMode, ctx: CycleContext, progress: Progress, signal?: AbortSignal): Prober {
  const entry = modeEntry(mode);
  const unusable = entry.unusable?.(ctx.client.inCluster);
  if (unusable) throw new UsageError(unusable);
  return entry.create(modeDeps(ctx, progress, signal));
}

/** The auto line becomes the first note of the report. */
function withNote(p: Prober, line: string): Prober {
  return {
    ...p,
    prepare: async (plan, workload) => {
      const scoped = p.prepare ? await p.prepare(plan, workload) : { plan, notes: [] };
      return { plan: scoped.plan, notes: [line, ...scoped.notes] };
    },
  };
}

const nothingCreated = (err: unknown): never => {
  throw err instanceof Interrupted ? new Interrupted('interrupted while choosing the mode: nothing was created in the cluster') : err;
};

/**
 * The prober for ctx.settings.mode; auto decides here (throws ModeError when no mode can run), after
 * discovering the workload when the decision depends on it (the tunnel's namespace, the pods' ports).
 * A signal ends the decision at once (its requests stop: src/kube/interruptible.ts).
 */
export async function chooseProber(ctx: CycleContext, progress: Progress, signal?: AbortSignal): Promise<ChosenProber> {
  const s = ctx.settings;
  if (s.mode !== 'auto') return { prober: concrete(s.mode, ctx, progress, signal) };
  const asking = interruptibleClient(ctx.client, signal);
  let workload: DnsWorkload | undefined;
  const discovered = async () => (workload ??= await discoverDns(ctx, asking));
  const decided = async () => {
    const access = await accessFacts(asking, accessScope(ctx), async () => accessScope(ctx, await discovered()));
    const base = { ...access, dnsAddresses: s.dnsAddresses.length };
    return { base, routable: needsReachability(base) ? await routability(await discovered()) : undefined };
  };
  const { base, routable } = await decided().catch(nothingCreated);
  const decision = decideMode({ ...base, ...(routable ? { podsRoutable: routable.pods, serviceRoutable: routable.service } : {}) });
  if (!decision.mode) throw new ModeError(`no mode can run here: ${decision.why}`, decision.fix);
  const line = decisionLine(decision);
  return { prober: withNote(concrete(decision.mode, ctx, progress, signal), line), line, ...(workload ? { workload } : {}) };
}
