// The check's result, in one stable documented shape (-o json|yaml), and the human table.
//
// CheckOutput (apiVersion coredns-sentinel/check/v1, kind CheckReport; schema/check-output.v1.json):
//   verdict     healthy | unhealthy | error
//   exitCode    as in src/common/exit-codes.ts
//   message     the one-line verdict (or the error line)
//   classification  the judge's: healthy, pod-local, not-repairable, upstream, service-only, node-local, probe-side,
//               cluster-wide, uncorroborated, slow, inconclusive; reason: why, one line
//   workload    namespace, service {name, clusterIPs, port}, clusterDomain, pods [{name, ip, node, phase, ready, restarts, …}]
//   plan        targets (count), queries [{id, name, type, external, source?}], transports, samples, timeoutMs
//   probes      [{pod, node, durationMs}] the probe pods that ran (first = primary)
//   targets     [{id, kind, label, address, node, udp, tcp, p50Ms, p99Ms, verdict, status, classification, reason,
//               consecutiveFailures, failing [{queryId, query, transport, external, reason}], diagnosis?,
//               queries? (the query ids asked when not all: a dual-stack pod's second address)}]
//   repair      with --repair: mode (repair | dry-run), actions [{pod, method, outcome, detail}], skipped
//               [{pod, reason}], escalations [{pod, evidence, isNew}], note (why nothing was tried), before
//   unprobed    [{pod, reason}] DNS pods without an IP
//   notes       things assumed or not readable
//   requests    API requests this run made
import { stringify } from 'yaml';
import type { CheckOutput, ExitCode } from '../contracts/generated/check-output.ts';
import type { CheckPlan } from '../probe/contract.ts';
import type { DnsWorkload } from '../discover/types.ts';
import type { Classification } from '../judge/types.ts';
import type { NodeView } from '../judge/nodes.ts';
import type { ClientViewResult } from '../probe/contract.ts';
import type { TargetResult } from './verdict.ts';
import type { RepairEntry, RepairOutcome } from '../repair/execute.ts';

export type { RepairEntry, RepairOutcome };

export const OUTPUT_API_VERSION: CheckOutput['apiVersion'] = 'coredns-sentinel/check/v1';
export const OUTPUT_KIND: CheckOutput['kind'] = 'CheckReport';


/** The CLI's output: the types generated from schema/check-output.v1.json. */
export type { CheckOutput };
export type RepairSection = NonNullable<CheckOutput['repair']>;

export interface CycleData {
  workload: DnsWorkload;
  plan: CheckPlan;
  probes: { pod: string; node: string; durationMs: number }[];
  targets: TargetResult[];
  requests: number;
  classification: Classification;
  reason: string;
  /** The judge's notes (upstream next to a sick pod, ignored probes, …). */
  notes: string[];
  mode: string;
  nodes?: NodeView[];
  clientView?: ClientViewResult & { node: string };
}

export function checkOutput(data: CycleData, verdict: { healthy: boolean; line: string }, exitCode: number): CheckOutput {
  const { workload, plan } = data;
  return {
    apiVersion: OUTPUT_API_VERSION,
    kind: OUTPUT_KIND,
    verdict: verdict.healthy ? 'healthy' : 'unhealthy',
    // Codes and modes come typed wider than the schema's enums (EXIT's values, the prober's name); the
    // e2e suites validate every -o json against the schema (test/schema/validate.ts).
    exitCode: exitCode as ExitCode,
    message: verdict.line,
    classification: data.classification,
    reason: data.reason,
    mode: data.mode as CheckOutput['mode'],
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
      queries: plan.queries.map((q) => ({ id: q.id, name: q.name, type: q.type, external: q.external === true, ...(q.source && { source: q.source }) })),
      transports: plan.transports,
      samples: plan.samples,
      timeoutMs: plan.timeoutMs,
    },
    probes: data.probes,
    ...(data.nodes ? { nodes: data.nodes } : {}),
    ...(data.clientView ? { clientView: data.clientView } : {}),
    targets: data.targets,
    unprobed: workload.pods.filter((p) => !p.ip).map((p) => ({ pod: p.name, reason: `no IP (${p.phase}${p.waitingReason ? `, ${p.waitingReason}` : ''})` })),
    notes: [...(workload.notes ?? []), ...data.notes],
    requests: data.requests,
  };
}

export function errorOutput(message: string, exitCode: number, notes: string[] = []): CheckOutput {
  return { apiVersion: OUTPUT_API_VERSION, kind: OUTPUT_KIND, verdict: 'error', exitCode: exitCode as ExitCode, message, notes };
}

const ms = (v: number | null) => (v === null ? '-' : `${v < 10 ? v.toFixed(2) : v.toFixed(1)}ms`);

export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n');
}

const OUTCOME_WORD: Record<RepairOutcome, string> = { done: 'done', blocked: 'BLOCKED', failed: 'FAILED', 'dry-run': 'would do' };

/** The Repair section: what was done, blocked or skipped and why, and what needs a human. */
export function renderRepair(r: RepairSection): string {
  const lines = [`Repair${r.mode === 'dry-run' ? ' (dry run: nothing was changed)' : ''}:`];
  if (r.before) lines.push(`  before repair: ${r.before.classification}: ${r.before.reason}`);
  if (r.note) lines.push(`  ${r.note}`);
  // A dry run's "blocked" is foreseen: the budget would refuse the eviction now.
  const word = (o: RepairOutcome) => (r.mode === 'dry-run' && o === 'blocked' ? 'would be BLOCKED' : OUTCOME_WORD[o]);
  for (const a of r.actions) lines.push(`  ${word(a.outcome)}: ${a.method} ${a.pod}: ${a.detail}`);
  for (const s of r.skipped) lines.push(`  skipped ${s.pod}: ${s.reason}`);
  for (const e of r.escalations) {
    lines.push(`  ESCALATION${e.isNew ? '' : ' (raised earlier)'}: ${e.pod}: manual intervention required`);
    for (const line of e.evidence) lines.push(`    ${line}`);
  }
  if (lines.length === 1) lines.push('  nothing to repair');
  return `${lines.join('\n')}\n`;
}

/**
 * Failing checks grouped by reason, for the table (the JSON keeps each one): a hung pod reads
 * "5 checks udp+tcp: 3/3 samples failed: timeout after 2000 ms", a wrong record names its check.
 */
export function failingSummary(failing: TargetResult['failing']): string {
  const byReason = new Map<string, { queries: Set<string>; transports: Set<string> }>();
  for (const f of failing) {
    const group = byReason.get(f.reason) ?? { queries: new Set<string>(), transports: new Set<string>() };
    group.queries.add(f.query);
    group.transports.add(f.transport);
    byReason.set(f.reason, group);
  }
  return [...byReason]
    .map(([reason, { queries, transports }]) => {
      const what = queries.size === 1 ? [...queries][0] : `${queries.size} checks`;
      return `${what} ${[...transports].sort().reverse().join('+')}: ${reason}`;
    })
    .join('; ');
}

/** --client-view: what a lookup costs an application, and how the A+AAAA bursts were answered. */
function clientViewLines(out: CheckOutput): string {
  const v = out.clientView;
  if (!v) return '';
  const label = new Map((out.targets ?? []).map((t) => [t.id, t.label]));
  const { lookup, resolvConf } = v;
  const head = `client view from node ${v.node || '-'}: ${lookup.name} → ${lookup.answeredAs ?? 'not found'}: ${lookup.glibcQueries} queries with glibc, ${lookup.muslQueries} with musl (ndots:${resolvConf.ndots}, ${resolvConf.search.length} search domains)`;
  const bursts = v.bursts.map((b) => `  ${label.get(b.targetId) ?? b.targetId}: ${b.firstTry}/${b.queries} answered at once, ${b.afterRetry} after a retry, ${b.lost} never`);
  return `\n${[head, ...bursts].join('\n')}\n`;
}

/** With several probe nodes: one row per node, one column per target (its label), pass or fail. */
function nodeMatrix(out: CheckOutput): string {
  if (!out.nodes || !out.targets) return '';
  const label = new Map(out.targets.map((t) => [t.id, t.label]));
  const ids = out.nodes[0]?.targets.map((t) => t.id) ?? [];
  const rows = [['NODE VIEW', ...ids.map((id) => label.get(id) ?? id)]];
  for (const v of out.nodes) rows.push([v.node || '-', ...v.targets.map((t) => t.verdict)]);
  return `\n${table(rows)}\n`;
}

/** The human view: one row per target, diagnoses, notes, the repair section, then the verdict line. */
export function renderTable(out: CheckOutput): string {
  if (!out.targets) return `${out.message}\n`;
  const rows = [['TARGET', 'NODE', 'IP', 'UDP', 'TCP', 'P50', 'P99', 'FAILING CHECKS']];
  for (const t of out.targets) {
    // A target not reached through the API has no failing checks: its row says why it is unknown.
    const failing = t.udp === 'unknown' || t.tcp === 'unknown' ? t.reason : failingSummary(t.failing);
    const pending = t.status === 'pending-confirmation' ? ' (awaiting confirmation)' : '';
    const at = t.address.includes(':') ? `[${t.address}]:${t.port}` : `${t.address}:${t.port}`;
    rows.push([t.label, t.node || '-', at, t.udp, t.tcp, ms(t.p50Ms), ms(t.p99Ms), failing ? failing + pending : '-']);
  }
  for (const u of out.unprobed ?? []) rows.push([u.pod, '-', '-', 'n/a', 'n/a', '-', '-', `not probed: ${u.reason}`]);
  const diagnoses = out.targets.flatMap((t) => (t.diagnosis ?? []).map((d) => `diagnosis ${t.label}: ${d.summary}\n  ${d.evidence}\n`)).join('');
  const notes = out.notes.map((n) => `note: ${n}\n`).join('');
  const repair = out.repair ? `\n${renderRepair(out.repair)}` : '';
  return `${table(rows)}\n${nodeMatrix(out)}${clientViewLines(out)}${diagnoses}${notes}${repair}\n${out.message}\n`;
}

export function render(out: CheckOutput, format: 'table' | 'json' | 'yaml'): string {
  if (format === 'json') return `${JSON.stringify(out, null, 2)}\n`;
  if (format === 'yaml') return stringify(out);
  return renderTable(out);
}
