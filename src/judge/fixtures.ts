// Test fixtures for the judge and the repair policy: small builders for plans, probe reports and
// workloads, so a table row reads like the situation it describes. Used by *.test.ts only.
import type { DnsPod, DnsWorkload, Zones } from '../discover/types.ts';
import {
  PLAN_SCHEMA,
  queriesOf,
  REPORT_SCHEMA,
  type CheckPlan,
  type CheckResult,
  type Outcome,
  type ProbeReport,
  type Query,
  type Sample,
  type Transport,
} from '../probe/contract.ts';

export const SERVICE_IP = '10.96.0.10';

/** Pod names used across tests; pod i has IP 10.244.0.(i+2) and runs on node-(i % 3). */
export const podName = (i: number): string => `coredns-${String.fromCharCode(97 + (i % 26))}${i >= 26 ? i : ''}`;

export function pod(i: number, overrides: Partial<DnsPod> = {}): DnsPod {
  const ip = `10.244.${Math.floor(i / 250)}.${(i % 250) + 2}`;
  return {
    name: podName(i),
    namespace: 'kube-system',
    ip,
    ips: [ip],
    node: `node-${i % 3}`,
    phase: 'Running',
    ready: true,
    restartCount: 0,
    terminating: false,
    deployment: 'coredns',
    startTime: '2025-01-01T00:00:00Z',
    uid: `uid-${podName(i)}`,
    ...overrides,
  };
}

/** Pod i with an IPv6 address too (fd00::(i+2)). */
export const dualPod = (i: number, overrides: Partial<DnsPod> = {}): DnsPod => {
  const p = pod(i, overrides);
  return { ...p, ips: [p.ip, `fd00::${(i % 250) + 2}`] };
};

export const SERVICE_IP6 = 'fd00:96::a';

export function workload(pods: DnsPod[], replicas = pods.length, zones: Zones = { clusterDomain: 'cluster.local', stubDomains: [], fromCorefile: true }): DnsWorkload {
  const dual = pods.some((p) => p.ips.length > 1);
  return {
    namespace: 'kube-system',
    labelSelector: 'k8s-app=kube-dns',
    service: { name: 'kube-dns', namespace: 'kube-system', clusterIPs: dual ? [SERVICE_IP, SERVICE_IP6] : [SERVICE_IP], port: 53 },
    pods,
    zones,
    kubernetesServiceIP: '10.96.0.1',
    controller: { kind: 'Deployment', name: 'coredns', desired: replicas, ready: pods.filter((p) => p.ready).length },
  };
}

/** n Running, Ready pods of Deployment coredns. */
export const pods = (n: number): DnsPod[] => Array.from({ length: n }, (_, i) => pod(i));

export const QUERIES: Query[] = [
  { id: 'api', name: 'kubernetes.default.svc.cluster.local', type: 'A', expect: { include: ['10.96.0.1'] } },
  { id: 'dns-srv', name: '_dns._udp.kube-dns.kube-system.svc.cluster.local', type: 'SRV', expect: { nonEmpty: true } },
  { id: 'ext', name: 'example.com', type: 'A', expect: { nonEmpty: true }, external: true },
];

/**
 * A plan probing the Service (unless service: false) and every address of every given pod, over UDP and
 * TCP; a pod's second address is target "pod:NAME/ipv6", labelled "NAME (ipv6)" as src/plan/plan.ts does.
 * connects: the kubernetes Service connect of the network evidence. secondFamily: the query ids the IPv6
 * addresses are asked (as src/plan/plan.ts plans a dual-stack cycle); omitted = every query.
 */
export function plan(ps: DnsPod[], opts: { service?: boolean; samples?: number; queries?: Query[]; connects?: boolean; secondFamily?: string[] } = {}): CheckPlan {
  const dual = ps.some((p) => p.ips.length > 1);
  const service =
    opts.service === false
      ? []
      : [
          { id: 'svc', address: SERVICE_IP, port: 53, kind: 'service' as const, label: 'service kube-dns' },
          ...(dual ? [{ id: 'svc/ipv6', address: SERVICE_IP6, port: 53, kind: 'service' as const, label: 'service kube-dns (ipv6)' }] : []),
        ];
  const podTargets = ps.flatMap((p) =>
    p.ips.map((ip, i) => ({ id: i === 0 ? `pod:${p.name}` : `pod:${p.name}/ipv6`, address: ip, port: 53, kind: 'pod' as const, label: i === 0 ? p.name : `${p.name} (ipv6)` })),
  );
  const second = opts.secondFamily;
  return {
    schema: PLAN_SCHEMA,
    targets: [...service, ...podTargets].map((t) => (second && t.address.includes(':') ? { ...t, queries: second } : t)),
    ...(opts.connects && { connects: [{ id: 'kubernetes-service', address: '10.96.0.1', port: 443, label: 'kubernetes Service 10.96.0.1:443' }] }),
    queries: opts.queries ?? QUERIES,
    transports: ['udp', 'tcp'],
    samples: opts.samples ?? 3,
    timeoutMs: 2000,
    concurrency: 64,
  };
}

/**
 * Which results go wrong: target is a pod name or "svc" (omitted = every target), query an id
 * (omitted = every query, "internal" = every non-external one), transport (omitted = both).
 * `failed` samples (default all) get `outcome`; `latencyMs` sets every sample's latency.
 */
export interface Fault {
  target?: string;
  /** Only targets of this address family. */
  family?: 'ipv4' | 'ipv6';
  query?: string;
  transport?: Transport;
  outcome: Outcome;
  failed?: number;
  latencyMs?: number;
}

const matches = (f: Fault, p: CheckPlan, r: { targetId: string; queryId: string; transport: Transport }): boolean => {
  const target = p.targets.find((t) => t.id === r.targetId)!;
  const query = p.queries.find((q) => q.id === r.queryId)!;
  const targetOk = f.target === undefined || f.target === target.label || f.target === target.id;
  const queryOk = f.query === undefined || f.query === query.id || (f.query === 'internal' && !query.external);
  const familyOk = f.family === undefined || (f.family === 'ipv6') === target.address.includes(':');
  return targetOk && familyOk && queryOk && (f.transport === undefined || f.transport === r.transport);
};

function sample(outcome: Outcome, latencyMs: number): Sample {
  const answered = !['timeout', 'refused', 'unreachable', 'io', 'path'].includes(outcome);
  return {
    outcome,
    rcode: answered ? 'NOERROR' : null,
    answers: [],
    latencyMs: answered ? latencyMs : null,
    ...(outcome !== 'ok' && { detail: `${outcome} detail` }),
  };
}

/** The probe's report for `p` with the given faults applied (the last matching fault wins); network: the connects' outcome. */
export function report(p: CheckPlan, faults: Fault[] = [], hostname = 'probe-1', network: 'works' | 'cut-off' = 'works'): ProbeReport {
  const results: CheckResult[] = [];
  for (const t of p.targets)
    for (const q of queriesOf(p, t))
      for (const transport of p.transports) {
        const key = { targetId: t.id, queryId: q.id, transport };
        const fault = [...faults].reverse().find((f) => matches(f, p, key));
        const failed = fault && fault.outcome !== 'ok' ? (fault.failed ?? p.samples) : 0;
        const samples = Array.from({ length: p.samples }, (_, i) =>
          sample(i < failed ? fault!.outcome : 'ok', fault?.latencyMs ?? 1.5),
        );
        results.push({
          ...key,
          samples,
          verdict: failed > 0 ? 'fail' : 'pass',
          reason: failed > 0 ? `${failed}/${p.samples} samples failed: ${fault!.outcome} detail` : 'ok',
        });
      }
  return {
    schema: REPORT_SCHEMA,
    probeVersion: 'test',
    hostname,
    startedAt: '2025-01-01T00:00:00Z',
    durationMs: 10,
    results,
    // As the probe summarizes: p50 and p99 of the answered samples (null when none was answered).
    targets: p.targets.map((t) => {
      const answered = results.filter((r) => r.targetId === t.id).flatMap((r) => r.samples.flatMap((x) => (x.latencyMs === null ? [] : [x.latencyMs]))).sort((a, b) => a - b);
      const at = (q: number) => (answered.length ? answered[Math.min(answered.length - 1, Math.floor(q * answered.length))]! : null);
      return { targetId: t.id, checks: queriesOf(p, t).length * p.transports.length, failedChecks: 0, p50Ms: at(0.5), p99Ms: at(0.99) };
    }),
    ...(p.connects && {
      connects: p.connects.map((c) => (network === 'works' ? { id: c.id, ok: true, latencyMs: 0.8 } : { id: c.id, ok: false, latencyMs: null, detail: 'timeout after 2000 ms' })),
    }),
  };
}
