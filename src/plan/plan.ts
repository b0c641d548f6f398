// The check plan: which addresses to query (Service IPs and every pod IP) and what each answer must be.
// Pure: the workload and options in, a CheckPlan (src/probe/contract.ts) out.
import { PLAN_SCHEMA, type CheckPlan, type ConnectCheck, type Query, type Target, type Transport } from '../probe/contract.ts';
import type { DnsWorkload } from '../discover/types.ts';
import type { CheckSpec, PlanConfig } from './config.ts';
import { answeredByCoreDNS, CHECK_GROUPS, derivedQueries, forwardsRoot, invalidNameNotes, partialSourceNotes, servesCluster, sourceOf, type CheckGroup } from './derived.ts';
import { conformanceQueries } from './sample.ts';
import type { SampleObjects } from '../discover/sample.ts';
import { reverseName } from './reverse.ts';
import { nodeLocalTargets } from './nodelocal.ts';
import { DEFAULTS } from '../common/defaults.ts';

export { reverseName };

export const IP_FAMILIES = ['ipv4', 'ipv6', 'both'] as const;
export type IpFamily = (typeof IP_FAMILIES)[number];

export interface PlanOptions {
  samples: number;
  timeoutMs: number;
  transports: Transport[];
  /** Name outside the cluster that must resolve through the upstream; null for air-gapped clusters. */
  externalName: string | null;
  extraChecks: CheckSpec[];
  concurrency: number;
  /** Groups of default and derived checks left out (--no-default-checks, per group). */
  disabled: CheckGroup[];
  /** Address families probed on dual-stack pods and Services (--ip-family). */
  ipFamily: IpFamily;
  /** At most this many stub, zone and hosts checks (a large zone file is sampled: src/plan/derived.ts). */
  maxDerived: number;
  /**
   * At most this many default and derived checks per pod across its addresses: the stub, zone and hosts
   * checks take what the cluster and external checks (and a second family's one check) leave, up to maxDerived.
   */
  maxChecks: number;
  /** Conformance sample: at most this many Services of each kind (--sample-services); 0 = off. */
  sampleServices: number;
}

export const PLAN_DEFAULTS: PlanOptions = {
  ...DEFAULTS.plan,
  transports: [...DEFAULTS.plan.transports],
  extraChecks: [],
  disabled: [],
  ipFamily: 'both',
  // Derived checks take what the cluster and external checks leave (a small zone is checked whole).
  maxDerived: 7,
  // 3 pods and the Service × 8 checks × 3 samples = 96 queries per transport, single- or dual-stack.
  maxChecks: 8,
  sampleServices: 0,
};

/** Inside the cluster domain, and a Service nobody names this way: must answer NXDOMAIN. */
export const ABSENT_NAME_PREFIX = 'coredns-sentinel-absent.default.svc';


const family = (ip: string) => (ip.includes(':') ? 'ipv6' : 'ipv4');

export function targetsOf(workload: DnsWorkload, ipFamily: IpFamily = 'both'): Target[] {
  const { service } = workload;
  const wanted = (ip: string) => ipFamily === 'both' || family(ip) === ipFamily;
  const services: Target[] = service.clusterIPs.filter(wanted).map((ip, i) => ({
    id: i === 0 ? 'service' : `service-${family(ip)}`,
    address: ip,
    port: service.port,
    ...(service.tcpPort !== undefined && service.tcpPort !== service.port && { tcpPort: service.tcpPort }),
    kind: 'service',
    label: i === 0 ? `service ${service.name}` : `service ${service.name} (${family(ip)})`,
  }));
  // Each pod on the port the Service really routes to (src/discover/ports.ts: OpenShift's 53 → 5353).
  const pods: Target[] = workload.pods.flatMap((pod) =>
    pod.ips.filter(wanted).map((ip, i) => ({
      id: i === 0 ? `pod/${pod.name}` : `pod/${pod.name}/${family(ip)}`,
      address: ip,
      port: pod.ports?.udp ?? service.port,
      ...(pod.ports && pod.ports.tcp !== pod.ports.udp && { tcpPort: pod.ports.tcp }),
      kind: 'pod' as const,
      label: i === 0 ? pod.name : `${pod.name} (${family(ip)})`,
    })),
  );
  return [...services, ...pods, ...nodeLocalTargets(workload).filter((t) => wanted(t.address))];
}

/** The kubernetes plugin's checks: the API Service's A, SRV and PTR, and a name that must not exist. */
export function clusterQueries(workload: DnsWorkload): Query[] {
  const domain = workload.zones.clusterDomain;
  const kubernetesName = `kubernetes.default.svc.${domain}`;
  const ip = workload.kubernetesServiceIP;
  const queries: Query[] = [
    ip
      ? { id: 'kubernetes-a', name: kubernetesName, type: ip.includes(':') ? 'AAAA' : 'A', expect: { equal: [ip] } }
      : { id: 'kubernetes-a', name: kubernetesName, type: 'A', expect: { nonEmpty: true } },
    { id: 'kubernetes-srv', name: `_https._tcp.${kubernetesName}`, type: 'SRV', expect: { include: [`443 ${kubernetesName}`] } },
  ];
  if (ip) queries.push({ id: 'kubernetes-ptr', name: reverseName(ip), type: 'PTR', expect: { include: [kubernetesName] } });
  queries.push({ id: 'nxdomain', name: `${ABSENT_NAME_PREFIX}.${domain}`, type: 'A', expect: { rcodes: ['NXDOMAIN'] } });
  return queries;
}

/** The default checks the Corefile calls for: cluster checks where a kubernetes plugin serves the zone, the external name where `.` is forwarded. */
export function defaultQueries(workload: DnsWorkload, externalName: string | null, disabled: readonly CheckGroup[] = []): Query[] {
  const on = (g: CheckGroup) => !disabled.includes(g);
  const queries = on('cluster') && servesCluster(workload.zones) ? clusterQueries(workload) : [];
  if (externalName && on('external') && forwardsRoot(workload.zones))
    queries.push({ id: 'external', name: externalName, type: 'A', expect: { nonEmpty: true }, external: true });
  return queries;
}

/** The user's checks; a name CoreDNS answers itself (cluster, file or hosts zone) is internal unless the check says otherwise. */
export function extraQueries(workload: DnsWorkload, checks: CheckSpec[]): Query[] {
  return checks.map((c, i) => ({
    id: `custom-${i + 1}`,
    name: c.name,
    type: c.type,
    expect: c.expect,
    external: c.external ?? !answeredByCoreDNS(sourceOf(c.name, workload.zones)),
    source: 'config file',
  }));
}

/** What the command line set; undefined = not given. */
export interface PlanFlags {
  samples?: number;
  timeoutMs?: number;
  transports?: Transport[];
  externalName?: string;
  /** --no-external */
  external?: boolean;
  /** --no-default-checks (every group) */
  defaultChecks?: boolean;
  /** Groups turned off one by one (config file `disable:`). */
  disable?: CheckGroup[];
  ipFamily?: IpFamily;
  sampleServices?: number;
  /** --cluster-domain: discovery applies it to the zones read from the Corefile (src/discover/corefile.ts). */
  clusterDomain?: string;
}

/** Check group names from a flag or the config file; throws one line naming the unknown one. */
export function parseCheckGroups(value: string | string[], at: string): CheckGroup[] {
  const list = (typeof value === 'string' ? value.split(',') : value).map((g) => g.trim().toLowerCase()).filter(Boolean);
  const bad = list.find((g) => !CHECK_GROUPS.includes(g as CheckGroup));
  if (bad !== undefined) throw new Error(`${at}: unknown check group "${bad}" (known: ${CHECK_GROUPS.join(', ')})`);
  return [...new Set(list as CheckGroup[])];
}

/** Flags win over the config file, which wins over the defaults. */
export function resolvePlanOptions(flags: PlanFlags, config: PlanConfig | undefined): PlanOptions {
  const externalName =
    flags.external === false ? null : (flags.externalName ?? (config?.externalName === undefined ? PLAN_DEFAULTS.externalName : config.externalName));
  return {
    samples: flags.samples ?? config?.samples ?? PLAN_DEFAULTS.samples,
    timeoutMs: flags.timeoutMs ?? config?.timeoutMs ?? PLAN_DEFAULTS.timeoutMs,
    transports: flags.transports ?? config?.transports ?? PLAN_DEFAULTS.transports,
    externalName,
    extraChecks: config?.checks ?? [],
    concurrency: PLAN_DEFAULTS.concurrency,
    disabled: flags.defaultChecks === false ? [...CHECK_GROUPS] : (flags.disable ?? config?.disable ?? PLAN_DEFAULTS.disabled),
    ipFamily: flags.ipFamily ?? PLAN_DEFAULTS.ipFamily,
    maxDerived: PLAN_DEFAULTS.maxDerived,
    maxChecks: PLAN_DEFAULTS.maxChecks,
    sampleServices: flags.sampleServices ?? PLAN_DEFAULTS.sampleServices,
  };
}

/** Network evidence: the kubernetes Service answers TCP on 443 from a probe whose network works (src/probe/connect.ts). */
export function kubernetesConnect(ip: string): ConnectCheck {
  const where = ip.includes(':') ? `[${ip}]:443` : `${ip}:443`;
  return { id: 'kubernetes-service', address: ip, port: 443, label: `kubernetes Service ${where}` };
}

/**
 * The Service's and pods' addresses of the second family on a dual-stack plan: the family of neither the
 * Service's primary ClusterIP nor (without a Service) the first pod address. Node-local caches keep every check.
 */
function secondFamilyTargets(targets: Target[]): Target[] {
  const probed = targets.filter((t) => t.kind !== 'node-local');
  const primary = probed[0] && family(probed[0].address);
  return probed.filter((t) => family(t.address) !== primary);
}

/**
 * The one check a second-family address is asked: one CoreDNS answers itself, so that a failure is the path's
 * or the pod's, never an upstream's. Every other check tests CoreDNS's data, which is the same whichever of a
 * pod's addresses asks; the primary family asks them all.
 */
function reachabilityQuery(queries: Query[]): Query | undefined {
  return queries.find((q) => q.external !== true) ?? queries[0];
}

/** What the plan leaves out and why: names that are no valid DNS name, zones and hosts sources not checked whole. */
export function planNotes(workload: DnsWorkload, options: PlanOptions, plan: CheckPlan): string[] {
  return [
    ...invalidNameNotes(workload.zones, new Set(CHECK_GROUPS.filter((g) => !options.disabled.includes(g)))),
    ...partialSourceNotes(workload.zones, plan.queries),
  ];
}

/** The plan for one cycle; `sample` holds the Services and EndpointSlices read for --sample-services. */
export function buildPlan(workload: DnsWorkload, options: PlanOptions, sample?: SampleObjects): CheckPlan {
  const groups = new Set(CHECK_GROUPS.filter((g) => !options.disabled.includes(g)));
  const targets = targetsOf(workload, options.ipFamily);
  const second = new Set(secondFamilyTargets(targets));
  const defaults = defaultQueries(workload, options.externalName, options.disabled);
  const room = Math.min(options.maxDerived, options.maxChecks - defaults.length - (second.size > 0 ? 1 : 0));
  const queries = [
    ...defaults,
    ...derivedQueries(workload.zones, groups, Math.max(0, room)),
    ...(sample && options.sampleServices > 0 ? conformanceQueries(sample, workload.zones.clusterDomain, options.sampleServices) : []),
    ...extraQueries(workload, options.extraChecks),
  ];
  const reach = reachabilityQuery(queries);
  return {
    schema: PLAN_SCHEMA,
    targets: targets.map((t) => (reach && second.has(t) ? { ...t, queries: [reach.id] } : t)),
    queries,
    transports: options.transports,
    ...(workload.kubernetesServiceIP && { connects: [kubernetesConnect(workload.kubernetesServiceIP)] }),
    samples: options.samples,
    timeoutMs: options.timeoutMs,
    concurrency: options.concurrency,
  };
}
