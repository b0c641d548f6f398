// The prober for --mode (docs/modes.md): probe-pod (src/engine/prober.ts), port-forward, direct,
// in-cluster (src/modes), or auto — decided once from SelfSubjectAccessReviews and, when nothing from
// the pod network is allowed, a reachability test of the pod IPs (src/modes/auto.ts).
import type { KubeClient } from '../kube/index.ts';
import { decideMode, decisionLine, needsReachability, type ModeFacts } from '../modes/auto.ts';
import { portForwardChecks, probePodChecks, type Scope } from '../modes/access.ts';
import { directProber } from '../modes/direct.ts';
import { ModeError } from '../modes/errors.ts';
import { portForwardProber } from '../modes/portforward.ts';
import { anyReachable } from '../modes/reach.ts';
import type { ConcreteMode } from '../modes/types.ts';
import { DEFAULTS } from '../common/defaults.ts';
import type { Progress } from '../report/index.ts';
import type { CycleContext } from './context.ts';
import { UsageError } from './errors.ts';
import { probePodProber, type Prober } from './prober.ts';

export interface ChosenProber {
  prober: Prober;
  /** With --mode auto: the one line saying which mode and why (also a note of the report). */
  line?: string;
}

const scopeOf = (ctx: CycleContext): Scope => ({ namespace: ctx.settings.namespace, service: ctx.settings.service, probeNamespace: ctx.probeNamespace });

/**
 * Auto's access questions, as few as decide (each is an API request): none in a pod; else the two
 * decisive verbs of a probe pod (create pods, create pods/exec — the manifest grants the rest with
 * them); only when those are refused, the tunnel's get and create. Reading the workload is not asked:
 * discovery, which every mode needs, fails with the missing rule named.
 */
export async function accessFacts(client: Pick<KubeClient, 'reviewAccess' | 'inCluster'>, scope: Scope): Promise<Pick<ModeFacts, 'inCluster' | 'read' | 'probePod' | 'portForward'>> {
  const known = { inCluster: client.inCluster, read: true };
  if (client.inCluster) return { ...known, probePod: false, portForward: false };
  const decisive = probePodChecks(scope).filter((c) => c.verb === 'create');
  const probePod = (await client.reviewAccess(decisive)).every(Boolean);
  if (probePod) return { ...known, probePod, portForward: false };
  const portForward = (await client.reviewAccess(portForwardChecks(scope))).every(Boolean);
  return { ...known, probePod, portForward };
}

/** Does anything answer from here: the DNS pods' IPs, and the Service IP, on the Service's port. */
export async function routability(client: Pick<KubeClient, 'getService' | 'listPods'>, s: { namespace: string; service: string; selector: string }): Promise<{ pods: boolean; service: boolean }> {
  const [service, pods] = await Promise.all([client.getService(s.namespace, s.service).catch(() => undefined), client.listPods(s.namespace, s.selector)]);
  const port = service?.ports.find((p) => p.protocol === 'UDP')?.port ?? service?.ports[0]?.port ?? 53;
  const timeout = DEFAULTS.modes.reachTimeoutMs;
  const [podsOk, serviceOk] = await Promise.all([
    anyReachable(pods.flatMap((p) => p.podIPs).map((address) => ({ address, port })), timeout),
    anyReachable((service?.clusterIPs ?? []).map((address) => ({ address, port })), timeout),
  ]);
  return { pods: podsOk, service: serviceOk };
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

/** The prober for ctx.settings.mode; auto decides here (throws ModeError when no mode can run). */
export async function chooseProber(ctx: CycleContext, progress: Progress, signal?: AbortSignal): Promise<ChosenProber> {
  const s = ctx.settings;
  if (s.mode !== 'auto') return { prober: concrete(s.mode, ctx, progress, signal) };
  const access = await accessFacts(ctx.client, scopeOf(ctx));
  const base = { ...access, dnsAddresses: s.dnsAddresses.length };
  const routable = needsReachability(base) ? await routability(ctx.client, s) : undefined;
  const decision = decideMode({ ...base, ...(routable ? { podsRoutable: routable.pods, serviceRoutable: routable.service } : {}) });
  if (!decision.mode) throw new ModeError(`no mode can run here: ${decision.why}`, decision.fix);
  const line = decisionLine(decision);
  return { prober: withNote(concrete(decision.mode, ctx, progress, signal), line), line };
}
