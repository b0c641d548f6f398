// `check`: validate the flags, complete them into a cycle context, run the engine's cycle once, print
// the report and return its exit code. Nothing else happens here.
import { failureOf, prepareCycle, probePodProber, runCycle, runFleet, worstExitCode, type CheckSettings, type OutputFormat } from '../engine/index.ts';
import type { Logger } from '../common/logger.ts';
import { createLogger, errorOutput, fleetOutput, progress, render, renderFleet, type CheckOutput } from '../report/index.ts';
import { EXIT } from '../report/exit-codes.ts';
import { validateCheckFlags, type RawCheckFlags } from './options.ts';

/** Prints the outcome; returns the exit code. Errors: one line on stderr (and the error shape with -o json|yaml). */
export function printOutcome(outcome: { output: CheckOutput } | { error: unknown }, format: OutputFormat): number {
  if ('output' in outcome) {
    process.stdout.write(render(outcome.output, format));
    return outcome.output.exitCode;
  }
  const { exitCode, line } = failureOf(outcome.error);
  process.stderr.write(`error: ${line}\n`);
  if (format !== 'table') process.stdout.write(render(errorOutput(line, exitCode), format));
  return exitCode;
}

const interrupted = () => {
  process.stderr.write('\ninterrupted: probe pod deleted\n');
  process.exit(EXIT.interrupted);
};

/** Several clusters: the fleet report, the worst exit code. */
async function checkFleet(settings: CheckSettings, log: Logger): Promise<number> {
  // One progress line cannot follow several clusters at once.
  const quiet = { stage: () => {}, done: () => {} };
  const clusters = await runFleet(settings, { log, progress: quiet, onInterrupted: interrupted });
  const exitCode = worstExitCode(clusters.map((c) => c.output.exitCode));
  process.stdout.write(renderFleet(fleetOutput(clusters, exitCode), settings.output));
  return exitCode;
}

export async function check(raw: RawCheckFlags): Promise<number> {
  let format: OutputFormat = raw.output === 'json' || raw.output === 'yaml' ? raw.output : 'table';
  try {
    const settings = validateCheckFlags(raw);
    format = settings.output;
    const log = createLogger(settings.logFormat, settings.logLevel);
    if (settings.fleet) return await checkFleet(settings, log);
    const ctx = prepareCycle(settings);
    const shown = progress();
    const prober = probePodProber(ctx, shown, interrupted);
    const cycle = await runCycle({ ctx, prober, progress: shown, log });
    return printOutcome({ output: cycle.output }, format);
  } catch (error) {
    return printOutcome({ error }, format);
  }
}
