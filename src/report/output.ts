// The check's result, in one stable documented shape (-o json|yaml), and the human table.
//
// CheckOutput (apiVersion coredns-sentinel/check/v1):
//   verdict     healthy | unhealthy | error
//   exitCode    as in src/cli/exit-codes.ts
//   message     the one-line verdict (or the error line)
//   workload    namespace, service {name, clusterIPs, port}, clusterDomain, pods [{name, ip, node, phase, ready, restarts, …}]
//   plan        targets (count), queries [{id, name, type, external}], transports, samples, timeoutMs
//   probes      [{pod, node, durationMs}] the probe pods that ran (first = primary)
//   targets     [{id, kind, label, address, node, udp, tcp, p50Ms, p99Ms, verdict, failing [{queryId, query, transport, external, reason}]}]
//   unprobed    [{pod, reason}] DNS pods without an IP
//   notes       things assumed or not readable
//   requests    API requests this run made
import { stringify } from 'yaml';
import type { CheckPlan } from '../probe/contract.ts';
import type { DnsWorkload } from '../discover/types.ts';
import type { TargetResult } from './verdict.ts';

export const OUTPUT_API_VERSION = 'coredns-sentinel/check/v1';

export interface CheckOutput {
  apiVersion: typeof OUTPUT_API_VERSION;
  verdict: 'healthy' | 'unhealthy' | 'error';
  exitCode: number;
  message: string;
  workload?: {
    namespace: string;
    service: { name: string; clusterIPs: string[]; port: number };
    clusterDomain: string;
    pods: { name: string; ip: string; node: string; phase: string; ready: boolean; restarts: number; waitingReason?: string; terminating: boolean }[];
  };
  plan?: { targets: number; queries: { id: string; name: string; type: string; external: boolean }[]; transports: string[]; samples: number; timeoutMs: number };
  probes?: { pod: string; node: string; durationMs: number }[];
  targets?: TargetResult[];
  unprobed?: { pod: string; reason: string }[];
  notes: string[];
  requests?: number;
}

export interface CycleData {
  workload: DnsWorkload;
  plan: CheckPlan;
  probes: { pod: string; node: string; durationMs: number }[];
  targets: TargetResult[];
  requests: number;
}

export function checkOutput(data: CycleData, verdict: { healthy: boolean; line: string }, exitCode: number): CheckOutput {
  const { workload, plan } = data;
  return {
    apiVersion: OUTPUT_API_VERSION,
    verdict: verdict.healthy ? 'healthy' : 'unhealthy',
    exitCode,
    message: verdict.line,
    workload: {
      namespace: workload.namespace,
      service: { name: workload.service.name, clusterIPs: workload.service.clusterIPs, port: workload.service.port },
      clusterDomain: workload.zones.clusterDomain,
      pods: workload.pods.map((p) => ({
        name: p.name,
        ip: p.ip,
        node: p.node,
        phase: p.phase,
        ready: p.ready,
        restarts: p.restartCount,
        ...(p.waitingReason ? { waitingReason: p.waitingReason } : {}),
        terminating: p.terminating,
      })),
    },
    plan: {
      targets: plan.targets.length,
      queries: plan.queries.map((q) => ({ id: q.id, name: q.name, type: q.type, external: q.external === true })),
      transports: plan.transports,
      samples: plan.samples,
      timeoutMs: plan.timeoutMs,
    },
    probes: data.probes,
    targets: data.targets,
    unprobed: workload.pods.filter((p) => !p.ip).map((p) => ({ pod: p.name, reason: `no IP (${p.phase}${p.waitingReason ? `, ${p.waitingReason}` : ''})` })),
    notes: workload.notes ?? [],
    requests: data.requests,
  };
}

export function errorOutput(message: string, exitCode: number, notes: string[] = []): CheckOutput {
  return { apiVersion: OUTPUT_API_VERSION, verdict: 'error', exitCode, message, notes };
}

const ms = (v: number | null) => (v === null ? '-' : `${v < 10 ? v.toFixed(2) : v.toFixed(1)}ms`);

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n');
}

/** The human view: one row per target, then notes, then the verdict line. */
export function renderTable(out: CheckOutput): string {
  if (!out.targets) return `${out.message}\n`;
  const rows = [['TARGET', 'NODE', 'IP', 'UDP', 'TCP', 'P50', 'P99', 'FAILING CHECKS']];
  for (const t of out.targets) {
    const failing = t.failing.map((f) => `${f.query} ${f.transport}: ${f.reason}`).join('; ');
    rows.push([t.label, t.node || '-', t.address, t.udp, t.tcp, ms(t.p50Ms), ms(t.p99Ms), failing || '-']);
  }
  for (const u of out.unprobed ?? []) rows.push([u.pod, '-', '-', 'n/a', 'n/a', '-', '-', `not probed: ${u.reason}`]);
  const notes = out.notes.map((n) => `note: ${n}\n`).join('');
  return `${table(rows)}\n${notes}\n${out.message}\n`;
}

export function render(out: CheckOutput, format: 'table' | 'json' | 'yaml'): string {
  if (format === 'json') return `${JSON.stringify(out, null, 2)}\n`;
  if (format === 'yaml') return stringify(out);
  return renderTable(out);
}
