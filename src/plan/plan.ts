// The check plan: which addresses to query (Service IPs and every pod IP) and what each answer must be.
// Pure: the workload and options in, a CheckPlan (src/probe/contract.ts) out.
import { PLAN_SCHEMA, type CheckPlan, type Query, type Target, type Transport } from '../probe/contract.ts';
import type { DnsWorkload } from '../discover/types.ts';
import type { CheckSpec, PlanConfig } from './config.ts';
import { DEFAULTS } from '../common/defaults.ts';

export interface PlanOptions {
  samples: number;
  timeoutMs: number;
  transports: Transport[];
  /** Name outside the cluster that must resolve through the upstream; null for air-gapped clusters. */
  externalName: string | null;
  extraChecks: CheckSpec[];
  concurrency: number;
}

export const PLAN_DEFAULTS: PlanOptions = { ...DEFAULTS.plan, transports: [...DEFAULTS.plan.transports], extraChecks: [] };

/** Inside the cluster domain, and a Service nobody names this way: must answer NXDOMAIN. */
export const ABSENT_NAME_PREFIX = 'coredns-sentinel-absent.default.svc';

/** The reverse-lookup name of an IPv4 or IPv6 address. */
export function reverseName(ip: string): string {
  if (!ip.includes(':')) return `${ip.split('.').reverse().join('.')}.in-addr.arpa`;
  const [head = '', tail = ''] = ip.split('::');
  const groups = (s: string) => (s ? s.split(':') : []);
  const missing = 8 - groups(head).length - groups(tail).length;
  const full = [...groups(head), ...Array<string>(ip.includes('::') ? missing : 0).fill('0'), ...groups(tail)];
  const nibbles = full.map((g) => g.padStart(4, '0')).join('');
  return `${[...nibbles.toLowerCase()].reverse().join('.')}.ip6.arpa`;
}

const inZone = (name: string, zone: string) => name === zone || name.endsWith(`.${zone}`);

export function targetsOf(workload: DnsWorkload): Target[] {
  const { service } = workload;
  const family = (ip: string) => (ip.includes(':') ? 'ipv6' : 'ipv4');
  const services: Target[] = service.clusterIPs.map((ip, i) => ({
    id: i === 0 ? 'service' : `service-${family(ip)}`,
    address: ip,
    port: service.port,
    kind: 'service',
    label: i === 0 ? `service ${service.name}` : `service ${service.name} (${family(ip)})`,
  }));
  // The pods listen on the Service's targetPort; CoreDNS serves the same port on both as deployed.
  const pods: Target[] = workload.pods.flatMap((pod) =>
    pod.ips.map((ip, i) => ({
      id: i === 0 ? `pod/${pod.name}` : `pod/${pod.name}/${family(ip)}`,
      address: ip,
      port: service.port,
      kind: 'pod' as const,
      label: i === 0 ? pod.name : `${pod.name} (${family(ip)})`,
    })),
  );
  return [...services, ...pods];
}

export function defaultQueries(workload: DnsWorkload, externalName: string | null): Query[] {
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
  if (externalName) queries.push({ id: 'external', name: externalName, type: 'A', expect: { nonEmpty: true }, external: true });
  return queries;
}

export function extraQueries(workload: DnsWorkload, checks: CheckSpec[]): Query[] {
  return checks.map((c, i) => ({
    id: `custom-${i + 1}`,
    name: c.name,
    type: c.type,
    expect: c.expect,
    external: c.external ?? !inZone(c.name, workload.zones.clusterDomain),
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
  };
}

export function buildPlan(workload: DnsWorkload, options: PlanOptions): CheckPlan {
  return {
    schema: PLAN_SCHEMA,
    targets: targetsOf(workload),
    queries: [...defaultQueries(workload, options.externalName), ...extraQueries(workload, options.extraChecks)],
    transports: options.transports,
    samples: options.samples,
    timeoutMs: options.timeoutMs,
    concurrency: options.concurrency,
  };
}
