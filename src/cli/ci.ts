// The CI side of `check`: -o junit and --junit FILE (src/report/junit.ts), --pushgateway URL with
// --pushgateway-job and --pushgateway-label (src/report/pushgateway.ts, the metrics of
// src/watch/metrics.ts), and --exit-zero. Validated with the other flags (one line, exit 2, nothing
// done); applied once the reports exist, for one cluster or several (docs/ci.md).
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Command, Option } from 'commander';
import { UsageError } from '../engine/index.ts';
import { EXIT } from '../common/exit-codes.ts';
import { renderJUnit, type JUnitCluster } from '../report/junit.ts';
import { DEFAULT_PUSH_JOB, parsePushTarget, pushMetrics, PushError, type PushTarget } from '../report/pushgateway.ts';
import { createMetrics, cycleRecord } from '../watch/metrics.ts';
import { tellFailure } from './write.ts';

export interface RawCiFlags {
  output: string;
  junit?: string;
  pushgateway?: string;
  pushgatewayJob: string;
  pushgatewayLabel: string[];
  exitZero?: boolean;
  logFormat?: string;
}

export interface CiSettings {
  /** -o junit: the JUnit document is the report on stdout. */
  junitStdout: boolean;
  junitFile?: string;
  push?: PushTarget;
  exitZero: boolean;
  /** --log-format: a failed write or push is an error record like the run's own (write.ts tellFailure). */
  logFormat?: string;
}

const collect = (value: string, previous: string[]) => [...previous, value];

/** Adds the CI flags to `check` (not to watch, which serves its metrics and runs until stopped). */
export function addCiOptions(cmd: Command): Command {
  const output = cmd.options.find((o) => o.long === '--output');
  if (output?.argChoices) output.choices([...output.argChoices, 'junit']);
  return cmd
    .optionsGroup('CI (docs/ci.md):')
    .option('--junit <file>', 'also write the report as JUnit XML to FILE (one suite per cluster, one case per target × check)')
    .option('--pushgateway <url>', 'push this run\'s metrics (the watch metrics) to a Prometheus Pushgateway, e.g. http://pushgateway:9091')
    .option('--pushgateway-job <name>', 'with --pushgateway: the job label of the group', DEFAULT_PUSH_JOB)
    .addOption(new Option('--pushgateway-label <k=v>', 'with --pushgateway: a grouping label (repeatable); several contexts add context=NAME').argParser(collect).default([]))
    .option('--exit-zero', 'exit 0 whenever the cluster was judged (not for 2, 3, 4, 130): for pipelines that only want the report');
}

/** Checks the CI flags; the other check flags see -o junit as the table (never printed). */
export function ciSettings(raw: RawCiFlags): { ci: CiSettings; output: string } {
  const ci: CiSettings = { junitStdout: raw.output === 'junit', exitZero: raw.exitZero === true, ...(raw.logFormat !== undefined && { logFormat: raw.logFormat }) };
  if (raw.junit !== undefined) {
    const dir = dirname(raw.junit);
    if (!raw.junit.trim() || !existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`--junit ${raw.junit}: its directory ${dir} does not exist`);
    // Found now, not after the whole check: the write would fail with EISDIR.
    if (existsSync(raw.junit) && statSync(raw.junit).isDirectory()) throw new UsageError(`--junit ${raw.junit} is a directory: pass a file name, e.g. ${join(raw.junit, 'coredns-sentinel.xml')}`);
    ci.junitFile = raw.junit;
  }
  if (raw.pushgateway !== undefined) {
    const push = parsePushTarget(raw.pushgateway, raw.pushgatewayJob, raw.pushgatewayLabel);
    if ('problem' in push) throw new UsageError(push.problem);
    ci.push = push;
  } else if (raw.pushgatewayLabel.length || raw.pushgatewayJob !== DEFAULT_PUSH_JOB) {
    throw new UsageError('--pushgateway-job and --pushgateway-label need --pushgateway URL');
  }
  return { ci, output: ci.junitStdout ? 'table' : raw.output };
}

/** The exit code --exit-zero leaves: 0 for a judged cluster (healthy, unhealthy, escalated, locked). */
export function exitCodeWith(ci: Pick<CiSettings, 'exitZero'>, exitCode: number): number {
  const judged: number[] = [EXIT.healthy, EXIT.unhealthy, EXIT.manualIntervention, EXIT.locked];
  return ci.exitZero && judged.includes(exitCode) ? EXIT.healthy : exitCode;
}

/**
 * After the reports exist: print (the JUnit document with -o junit, else `print`), write --junit,
 * push each cluster's metrics. A failed write or push is one `error:` line; a failed write exits 2 (the
 * pipeline would miss its file), a failed push keeps the check's code (the CoreDNSSentinelStale alert
 * notices missing pushes). Returns the exit code.
 */
export async function deliver(ci: CiSettings, clusters: JUnitCluster[], exitCode: number, print: () => void, requestTimeoutMs: number): Promise<number> {
  let code = exitCodeWith(ci, exitCode);
  if (ci.junitStdout) process.stdout.write(renderJUnit(clusters));
  else print();
  if (ci.junitFile) {
    try {
      writeFileSync(ci.junitFile, renderJUnit(clusters));
    } catch (err) {
      code = EXIT.usage;
      tellFailure({ line: `cannot write --junit ${ci.junitFile} (${(err as NodeJS.ErrnoException).code ?? 'error'}): pass a writable path`, exitCode: code }, ci.logFormat);
    }
  }
  if (ci.push) {
    const endedAt = Date.now();
    for (const c of clusters) {
      const metrics = createMetrics();
      metrics.recordCycle(cycleRecord(c.report, (c.durationMs ?? 0) / 1000, endedAt));
      const labels: [string, string][] = clusters.length > 1 ? [...ci.push.labels, ['context', c.context]] : ci.push.labels;
      try {
        await pushMetrics(metrics.registry, { ...ci.push, labels }, requestTimeoutMs);
      } catch (err) {
        if (!(err instanceof PushError)) throw err;
        tellFailure({ line: err.line, exitCode: code }, ci.logFormat);
      }
    }
  }
  return code;
}
