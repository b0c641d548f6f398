// The prober for --mode (docs/modes.md): probe-pod (src/engine/prober.ts), port-forward, direct,
// in-cluster (src/modes), or auto — decided once from SelfSubjectAccessReviews and, when nothing from
// the pod network is allowed, a reachability test of the discovered pod IPs (src/modes/auto.ts).
import type { KubeClient } from '../kube/index.ts';
import { decideMode, decisionLine, needsReachability, type ModeFacts } from '../modes/auto.ts';
import { portForwardChecks, probePodChecks, type Scope } from '../modes/access.ts';
import { directProber } from '../modes/direct.ts';
import { ModeError } from '../modes/errors.ts';
import { portForwardProber } from '../modes/portforward.ts';
import type { ConcreteMode } from '../modes/types.ts';
import { DEFAULTS } from '../common/defaults.ts';
import type { DnsWorkload } from '../discover/types.ts';
import { accessScope, discoverDns, routability } from './discover.ts';
import type { Progress } from '../report/index.ts';
import type { CycleContext } from './context.ts';
import { UsageError } from './errors.ts';
import { probePodProber, type Prober } from './prober.ts';

export interface ChosenProber {
  prober: Prober;
  /** With --mode auto: the one line saying which mode and why (also a note of the report). */
  line?: string;
  /** The workload auto discovered to decide (the first cycle reuses it instead of discovering again). */
  workload?: DnsWorkload;
}

/**
 * Auto's access questions, as few as decide (each is an API request): none in a pod; else the two
 * decisive verbs of a probe pod (create pods, create pods/exec — the manifest grants the rest with
 * them), which concern the probe namespace only; only when those are refused, the tunnel's get and
 * create in the namespace where discovery found the DNS pods. Reading the workload is not asked:
 * discovery, which every mode needs, fails with the missing rule named.
 */
export async function accessFacts(
  client: Pick<KubeClient, 'reviewAccess' | 'inCluster'>,
  probeScope: Scope,
  workloadScope: () => Promise<Scope>,
): Promise<Pick<ModeFacts, 'inCluster' | 'read' | 'probePod' | 'portForward'>> {
  const known = { inCluster: client.inCluster, read: true };
  if (client.inCluster) return { ...known, probePod: false, portForward: false };
  const decisive = probePodChecks(probeScope).filter((c) => c.verb === 'create');
  const probePod = (await client.reviewAccess(decisive)).every(Boolean);
  if (probePod) return { ...known, probePod, portForward: false };
  const portForward = (await client.reviewAccess(portForwardChecks(await workloadScope()))).every(Boolean);
  return { ...known, probePod, portForward };
}

function concrete(mode: ConcreteMode, ctx: CycleContext, progress: Progress, signal?: AbortSignal): Prober {
  const s = ctx.settings;
  switch (mode) {
    case 'probe-pod':
      return probePodProber(ctx, progress, signal);
    case 'port-forward':
      return portForwardProber(ctx.client);
    case 'direct':
      return directProber({ mode: 'direct', dnsAddresses: s.dnsAddresses, reachTimeoutMs: DEFAULTS.modes.reachTimeoutMs });
    case 'in-cluster':
      if (!ctx.client.inCluster)
        throw new UsageError('--mode in-cluster: no in-cluster config here (KUBERNETES_SERVICE_HOST/PORT and the ServiceAccount token of a pod) — run it in a pod, or use --mode direct');
      return directProber({ mode: 'in-cluster', dnsAddresses: s.dnsAddresses, reachTimeoutMs: DEFAULTS.modes.reachTimeoutMs });
  }
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

/**
 * The prober for ctx.settings.mode; auto decides here (throws ModeError when no mode can run), after
 * discovering the workload when the decision depends on it (the tunnel's namespace, the pods' ports).
 */
export async function chooseProber(ctx: CycleContext, progress: Progress, signal?: AbortSignal): Promise<ChosenProber> {
  const s = ctx.settings;
  if (s.mode !== 'auto') return { prober: concrete(s.mode, ctx, progress, signal) };
  let workload: DnsWorkload | undefined;
  const discovered = async () => (workload ??= await discoverDns(ctx));
  const access = await accessFacts(ctx.client, accessScope(ctx), async () => accessScope(ctx, await discovered()));
  const base = { ...access, dnsAddresses: s.dnsAddresses.length };
  const routable = needsReachability(base) ? await routability(await discovered()) : undefined;
  const decision = decideMode({ ...base, ...(routable ? { podsRoutable: routable.pods, serviceRoutable: routable.service } : {}) });
  if (!decision.mode) throw new ModeError(`no mode can run here: ${decision.why}`, decision.fix);
  const line = decisionLine(decision);
  return { prober: withNote(concrete(decision.mode, ctx, progress, signal), line), line, ...(workload ? { workload } : {}) };
}
