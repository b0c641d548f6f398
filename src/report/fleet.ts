// The report of a run over several clusters (kind FleetReport): one row per cluster in the table —
// verdict, classification, failing pods, mode, duration — then each cluster that is not healthy in
// full; in JSON/YAML every cluster's CheckReport whole. The exit code is the worst of all (the engine's).
import { stringify } from 'yaml';
import type { FleetOutput } from '../contracts/generated/fleet-output.ts';
import { OUTPUT_API_VERSION, renderTable, table, type CheckOutput } from './output.ts';

export const FLEET_KIND: FleetOutput['kind'] = 'FleetReport';

export interface FleetCluster {
  context: string;
  durationMs: number;
  output: CheckOutput;
}

/** The output over several contexts: the type generated from schema/fleet-output.v1.json. */
export type { FleetOutput };

const failingPods = (o: CheckOutput) => (o.targets ?? []).filter((t) => t.kind === 'pod' && t.verdict === 'fail').map((t) => t.label);

export function fleetOutput(clusters: FleetCluster[], exitCode: number): FleetOutput {
  const unhealthy = clusters.filter((c) => c.output.verdict !== 'healthy');
  const message = unhealthy.length === 0
    ? `DNS healthy in all ${clusters.length} clusters`
    : `DNS not healthy in ${unhealthy.length} of ${clusters.length} clusters: ${unhealthy.map((c) => c.context).join(', ')}`;
  return { apiVersion: OUTPUT_API_VERSION, kind: FLEET_KIND, exitCode: exitCode as FleetOutput['exitCode'], message, clusters: clusters.map((c) => ({ context: c.context, durationMs: c.durationMs, report: c.output })) };
}

/** Longest error text in the CLASSIFICATION cell: the column is padded to its widest cell. */
export const FLEET_ERROR_CELL = 40;

const shortened = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 2)} …`);

export function renderFleetTable(f: FleetOutput): string {
  const rows = [['CONTEXT', 'VERDICT', 'CLASSIFICATION', 'FAILING PODS', 'MODE', 'DURATION', 'EXIT']];
  for (const c of f.clusters) {
    const r = c.report;
    const pods = failingPods(r);
    rows.push([c.context, r.verdict, r.classification ?? (r.verdict === 'error' ? shortened(r.message, FLEET_ERROR_CELL) : '-'), pods.length ? pods.join(',') : '-', r.mode ?? '-', `${(c.durationMs / 1000).toFixed(1)}s`, String(r.exitCode)]);
  }
  // Unhealthy clusters in full; errors whole, as their one line.
  const details = f.clusters
    .filter((c) => c.report.verdict === 'unhealthy' || c.report.verdict === 'error')
    .map((c) => `\n--- ${c.context} ---\n${c.report.verdict === 'error' ? `error: ${c.report.message}\n` : renderTable(c.report)}`)
    .join('');
  return `${table(rows)}\n${details}\n${f.message}\n`;
}

export function renderFleet(f: FleetOutput, format: 'table' | 'json' | 'yaml'): string {
  if (format === 'json') return `${JSON.stringify(f, null, 2)}\n`;
  if (format === 'yaml') return stringify(f);
  return renderFleetTable(f);
}
