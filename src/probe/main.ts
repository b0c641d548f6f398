// The probe CLI that runs inside the probe pod: reads a plan from argv or a file (never stdin: exec
// servers older than 1.30 cannot half-close it), runs it, prints exactly one JSON ProbeReport.
// Bundled to dist/probe.cjs; it must also work when that source is evaluated with `node -e`, so it
// uses neither import.meta nor __dirname.
import os from 'node:os';
import { PROBE_EXIT, REPORT_SCHEMA, parsePlan } from './contract.ts';
import { parseArgs, planText, userArgs } from './args.ts';
import type { CheckPlan, ProbeError, ProbeReport } from './contract.ts';
import { runPlan } from './run.ts';
import { writeReport } from './write.ts';
import { PROBE_VERSION } from './version.ts';

function failureReport(error: ProbeError): ProbeReport {
  return {
    schema: REPORT_SCHEMA,
    probeVersion: PROBE_VERSION,
    hostname: os.hostname(),
    startedAt: new Date().toISOString(),
    durationMs: 0,
    results: [],
    targets: [],
    error,
  };
}

let finished = false;

function finish(report: ProbeReport, code: number): void {
  if (finished) return;
  finished = true;
  writeReport(report, (text) => process.stdout.write(text));
  if (report.error) {
    const what = report.error.kind === 'plan-invalid' ? 'plan invalid' : 'internal error';
    process.stderr.write(`probe: ${what}: ${report.error.message.replace(/\s+/g, ' ')}\n`);
  }
  process.exitCode = code;
}

function failInternal(err: unknown): void {
  const message = err instanceof Error ? err.message : String(err);
  finish(failureReport({ kind: 'internal', message }), PROBE_EXIT.internal);
  // Something is broken: do not wait for handles that may never close.
  setTimeout(() => process.exit(PROBE_EXIT.internal), 100).unref();
}

async function main(): Promise<void> {
  let plan: CheckPlan;
  try {
    const source = parseArgs(userArgs(process.argv, process.execArgv));
    if (source.kind === 'version') {
      process.stdout.write(`${PROBE_VERSION}\n`);
      return;
    }
    plan = parsePlan(planText(source));
  } catch (err) {
    finish(failureReport({ kind: 'plan-invalid', message: (err as Error).message }), PROBE_EXIT.planInvalid);
    return;
  }
  finish(await runPlan(plan), PROBE_EXIT.ran);
}

process.on('uncaughtException', failInternal);
process.on('unhandledRejection', failInternal);
main().catch(failInternal);
