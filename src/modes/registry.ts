// Every deployment mode, one entry each: its name, the prober it makes, the RBAC manifest granting it,
// the access questions it needs beyond reading the workload, when auto picks it and what it then cannot
// check, and what doctor says it is missing. Adding a mode is adding an entry (and its name to
// CONCRETE_MODES). Pure but for `create`, which only builds the prober.
import type { AccessCheck, KubeClient } from '../kube/index.ts';
import { portForwardChecks, probePodChecks, type Scope } from './access.ts';
import { directProber } from './direct.ts';
import { portForwardProber } from './portforward.ts';
import { probePodProber, type ProbePodSettings } from './probepod.ts';
import type { ConcreteMode, DnsAddress, Prober } from './types.ts';

/** What auto and doctor know: access answers per mode, routability, the flags. */
export interface ModeFacts {
  /** Running in a pod with its ServiceAccount (in-cluster config). */
  inCluster: boolean;
  /** The DNS workload can be read (every mode needs it). */
  read: boolean;
  /** Per mode with access questions: all of them allowed (doctor: and its probe really ran). Unasked = false. */
  allowed: Partial<Record<ConcreteMode, boolean>>;
  /** From the reachability test; undefined when it was not needed. */
  podsRoutable?: boolean;
  serviceRoutable?: boolean;
  /** --dns-address endpoints given. */
  dnsAddresses: number;
}

/** Auto's view of one mode: it can run, how complete it is (lower is better), why, what it cannot check. */
export interface AutoCandidate {
  rank: number;
  why: string;
  cannot: string[];
}

/** What a prober needs from the engine. */
export interface ModeDeps {
  client: KubeClient;
  probePod: ProbePodSettings;
  dnsAddresses: DnsAddress[];
  reachTimeoutMs: number;
}

export interface ModeEntry {
  name: ConcreteMode;
  /** The RBAC to apply for it: a file, or a kustomization directory. */
  manifest: string;
  /** Access questions beyond reading the workload (doctor asks them all). */
  access(scope: Scope): AccessCheck[];
  /** The subset that decides (auto asks only these: each is an API request). */
  decisive(scope: Scope): AccessCheck[];
  /** When auto may pick it; its completeness rank. */
  auto(f: ModeFacts): AutoCandidate | undefined;
  /** Doctor: what, beyond RBAC and reading the workload, keeps it from running here. */
  doctorMissing(f: ModeFacts & { probeImage: { ok: boolean; line: string } }): string[];
  /** Why it cannot be used in this process at all (a usage error), or undefined. */
  unusable?(inCluster: boolean): string | undefined;
  create(deps: ModeDeps): Prober;
}

const NO_POD = 'no permission to create and exec into a probe pod';

/**
 * Completeness, in auto's order: per-pod UDP+TCP from the pod network (in-cluster in a pod, else a probe
 * pod), per-pod UDP+TCP from here (direct with routable pods), per-pod TCP through tunnels, the Service alone.
 */
export const MODE_REGISTRY: readonly ModeEntry[] = [
  {
    name: 'probe-pod',
    manifest: 'manifests/rbac-check.yaml',
    access: probePodChecks,
    decisive: (scope) => probePodChecks(scope).filter((c) => c.verb === 'create'),
    auto: (f) => (f.allowed['probe-pod'] ? { rank: 1, why: 'allowed to create and exec into a probe pod: per-pod UDP and TCP from the pod network', cannot: [] } : undefined),
    doctorMissing: (f) => (f.allowed['probe-pod'] && !f.probeImage.ok ? [`the probe pod: ${f.probeImage.line}`] : []),
    create: (d) => probePodProber(d.client, d.probePod),
  },
  {
    name: 'port-forward',
    manifest: 'manifests/rbac-portforward.yaml',
    access: portForwardChecks,
    decisive: portForwardChecks,
    auto: (f) =>
      f.allowed['port-forward']
        ? {
            rank: 3,
            why: `${NO_POD}; pods/portforward allowed and pod IPs not routable from here: per-pod checks over TCP through tunnels`,
            cannot: ['UDP (pods/portforward carries TCP only)', 'the Service IP (a tunnel reaches a pod, not the Service)'],
          }
        : undefined,
    doctorMissing: () => [],
    create: (d) => portForwardProber(d.client),
  },
  {
    name: 'direct',
    manifest: 'manifests/rbac-direct.yaml',
    access: () => [],
    decisive: () => [],
    auto: (f) => {
      if (f.podsRoutable)
        return { rank: 2, why: `${NO_POD}; pod IPs are routable from here: per-pod UDP and TCP from this process`, cannot: f.serviceRoutable || f.dnsAddresses ? [] : ['the Service IP (not routable from here)'] };
      if (f.serviceRoutable || f.dnsAddresses)
        return { rank: 4, why: `${NO_POD}, no pods/portforward, pod IPs not routable: checking the Service ${f.dnsAddresses ? 'through --dns-address' : 'IP'} from here`, cannot: ['each CoreDNS pod on its own (pod IPs not routable)'] };
      return undefined;
    },
    doctorMissing: (f) => (f.podsRoutable === false && !f.serviceRoutable && !f.dnsAddresses ? ['pod IPs and the Service IP are not routable from here (or pass --dns-address)'] : []),
    create: (d) => directProber({ mode: 'direct', dnsAddresses: d.dnsAddresses, reachTimeoutMs: d.reachTimeoutMs }),
  },
  {
    name: 'in-cluster',
    manifest: 'manifests/deploy/overlays/check-only',
    access: () => [],
    decisive: () => [],
    auto: (f) => (f.inCluster ? { rank: 0, why: 'running in a pod: probing from this process, already in the pod network', cannot: [] } : undefined),
    doctorMissing: (f) => (f.inCluster ? [] : ['not running in a pod (no in-cluster config)']),
    unusable: (inCluster) =>
      inCluster ? undefined : '--mode in-cluster: no in-cluster config here (KUBERNETES_SERVICE_HOST/PORT and the ServiceAccount token of a pod) — run it in a pod, or use --mode direct',
    create: (d) => directProber({ mode: 'in-cluster', dnsAddresses: d.dnsAddresses, reachTimeoutMs: d.reachTimeoutMs }),
  },
];

export const modeEntry = (name: ConcreteMode): ModeEntry => MODE_REGISTRY.find((m) => m.name === name)!;

/** Each mode's RBAC manifest. */
export const MANIFESTS = Object.fromEntries(MODE_REGISTRY.map((m) => [m.name, m.manifest])) as Record<ConcreteMode, string>;
