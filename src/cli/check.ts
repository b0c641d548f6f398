// `check`: validate the flags, complete them into a cycle context, run the engine's cycle once, print
// the report and return its exit code. Nothing else happens here.
import { setMaxListeners } from 'node:events';
import { chooseProber, failureOf, prepareCycle, runCycle, runFleet, worstExitCode, type CheckSettings, type OutputFormat } from '../engine/index.ts';
import type { Logger } from '../common/logger.ts';
import { DEFAULTS } from '../common/defaults.ts';
import { createLogger, errorOutput, fleetOutput, progress, render, renderFleet, type CheckOutput } from '../report/index.ts';
import { EXIT } from '../common/exit-codes.ts';
import { endEarlySignals } from './early-signals.ts';
import { Interrupted } from '../common/abort.ts';
import { validateCheckFlags, type RawCheckFlags } from './options.ts';
import { print, tellFailure } from './write.ts';
import { ciSettings, deliver, type CiSettings, type RawCiFlags } from './ci.ts';

/**
 * Prints the outcome; returns the exit code. Errors: one line on stderr, as --log-format says (and the
 * error shape with -o json|yaml).
 */
export function printOutcome(outcome: { output: CheckOutput } | { error: unknown }, format: OutputFormat, logFormat: string | undefined): number {
  if ('output' in outcome) {
    print(render(outcome.output, format), format);
    return outcome.output.exitCode;
  }
  const failure = failureOf(outcome.error);
  tellFailure(failure, logFormat);
  if (format !== 'table') print(render(errorOutput(failure.line, failure.exitCode), format), format);
  return failure.exitCode;
}

/** Longest the cleanup after a first signal may take before the process exits anyway. */
const CLEANUP_GRACE_MS = (requestTimeoutMs: number) => 2 * requestTimeoutMs + 5_000;

export interface Interruptible {
  signal: AbortSignal;
  /** The first signal's name, once one arrived. */
  readonly received: NodeJS.Signals | undefined;
  dispose(): void;
}

/**
 * SIGINT/SIGTERM → one AbortSignal through the engine, which deletes probe pods, concludes a started
 * restart with an Event, completes the history and releases the Lease before it returns. A second signal
 * exits 130 at once; so does a cleanup that overruns `graceMs`.
 */
export function interruptible(graceMs: number, onFirst: (signal: NodeJS.Signals) => void = () => {}): Interruptible {
  const controller = new AbortController();
  // Every cluster of a fleet and every probe pod of --probe-nodes all listens to it at once: no leak warning.
  setMaxListeners(0, controller.signal);
  let received: NodeJS.Signals | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    if (received) {
      process.stderr.write(`\n${sig} again: exiting at once\n`);
      process.exit(EXIT.interrupted);
    }
    received = sig;
    onFirst(sig);
    setTimeout(() => {
      process.stderr.write(`\ncleanup after ${sig} took longer than ${Math.round(graceMs / 1000)} s: exiting\n`);
      process.exit(EXIT.interrupted);
    }, graceMs).unref();
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // Only now: removing a signal's last listener closes Node's handle for it, and a signal received while
  // the bundle loaded but not yet dispatched (Node 24 loads it without turning the event loop) is lost.
  endEarlySignals();
  return {
    signal: controller.signal,
    get received() {
      return received;
    },
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/** Several clusters: the fleet report, the worst exit code. */
async function checkFleet(settings: CheckSettings, log: Logger, ci: CiSettings): Promise<number> {
  // One progress line cannot follow several clusters at once.
  const quiet = { stage: () => {}, done: () => {} };
  const stop = interruptible(CLEANUP_GRACE_MS(settings.requestTimeoutMs));
  const clusters = await runFleet(settings, { log, progress: quiet, signal: stop.signal }).finally(() => stop.dispose());
  const exitCode = worstExitCode(clusters.map((c) => c.output.exitCode));
  const reports = clusters.map((c) => ({ context: c.context, durationMs: c.durationMs, report: c.output }));
  return deliver(ci, reports, exitCode, () => print(renderFleet(fleetOutput(clusters, exitCode), settings.output), settings.output), settings.requestTimeoutMs);
}

export async function check(raw: RawCheckFlags & RawCiFlags): Promise<number> {
  let format: OutputFormat = raw.output === 'json' || raw.output === 'yaml' ? raw.output : 'table';
  let ci: CiSettings | undefined;
  // Until the kubeconfig is read: a run that cannot read it names no context.
  let context = 'current-context';
  let requestTimeoutMs: number = DEFAULTS.requestTimeoutMs;
  const started = Date.now();
  try {
    const split = ciSettings(raw);
    const settings = validateCheckFlags({ ...raw, output: split.output });
    ci = split.ci;
    context = settings.context ?? context;
    requestTimeoutMs = settings.requestTimeoutMs;
    format = settings.output;
    const log = createLogger(settings.logFormat, settings.logLevel);
    if (settings.fleet) return await checkFleet(settings, log, ci);
    const ctx = prepareCycle(settings, log);
    context = ctx.contextName;
    const shown = progress();
    const stop = interruptible(CLEANUP_GRACE_MS(settings.requestTimeoutMs), (sig) => process.stderr.write(`\n${sig}: cleaning up (probe pod, repair in progress, Lease); send it again to exit at once\n`));
    try {
      // With --mode auto, the report's first note says which mode and why.
      const { prober, workload } = await chooseProber(ctx, shown, stop.signal);
      const cycle = await runCycle({ ctx, prober, progress: shown, log, signal: stop.signal, ...(workload ? { discovered: workload } : {}) });
      const report = { context, durationMs: Date.now() - started, report: cycle.output };
      return await deliver(ci, [report], cycle.output.exitCode, () => printOutcome({ output: cycle.output }, format, raw.logFormat), settings.requestTimeoutMs);
    } catch (err) {
      // Whatever failed after a signal (a request cut short, a retry given up) ends as the interruption.
      throw stop.signal.aborted && !(err instanceof Interrupted) ? new Interrupted(`interrupted: ${failureOf(err).line}`) : err;
    } finally {
      stop.dispose();
    }
  } catch (error) {
    // Bad flags (exit 2) did nothing: no JUnit file, no push.
    if (!ci) return printOutcome({ error }, format, raw.logFormat);
    const failure = failureOf(error);
    const { exitCode, line } = failure;
    if (ci.junitStdout) tellFailure(failure, raw.logFormat);
    const report = { context, durationMs: Date.now() - started, report: errorOutput(line, exitCode) };
    return deliver(ci, [report], exitCode, () => printOutcome({ error }, format, raw.logFormat), requestTimeoutMs);
  }
}
