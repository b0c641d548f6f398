// `watch`: the engine's cycle (src/engine/cycle.ts: probe, judge, and with --repair, repair) in a loop,
// with Prometheus metrics on /metrics and a liveness /healthz. Same flags as `check` (copied from its
// command, so they never drift) plus --interval, --metrics-addr, --max-cycles and --no-process-metrics.
// Documented in docs/watch.md.
//
// Stopping: SIGINT/SIGTERM cut the cycle in progress short through the engine's AbortSignal (probe pod
// deleted, a started restart concluded, history completed, Lease released), close the metrics server and
// exit 130; between cycles they exit 0. A second signal exits 130 at once. With --max-cycles N it exits
// with the last cycle's exit code, like `check`.
import { Command } from 'commander';
import { DEFAULTS, formatDuration } from '../common/defaults.ts';
import type { Logger } from '../common/logger.ts';
import { chooseProber, failureOf, newCycleState, prepareCycle, runCycle, type ChosenProber, type Prober, UsageError, type CheckSettings, type CycleContext, type CycleState, type OutputFormat } from '../engine/index.ts';
import { createLogger, errorOutput, render, renderTable, type CheckOutput } from '../report/index.ts';
import { createMetrics, cycleRecord, type CycleRecord, type SentinelMetrics } from '../watch/metrics.ts';
import { runLoop } from '../watch/loop.ts';
import { loopHealth, parseListenAddress, startMetricsServer, type ListenAddress, type MetricsServer } from '../watch/server.ts';
import { EXIT } from '../common/exit-codes.ts';
import { parseDuration, validateCheckFlags, type RawCheckFlags } from './options.ts';
import { interruptible } from './check.ts';
import { addSharedOptions } from './shared-options.ts';
import { print, tell, tellFailure } from './write.ts';

export interface RawWatchFlags extends RawCheckFlags {
  interval: string;
  metricsAddr: string;
  maxCycles?: string;
  processMetrics: boolean;
}

export interface WatchOptions {
  check: CheckSettings;
  intervalMs: number;
  metricsAddr: ListenAddress;
  maxCycles?: number;
  processMetrics: boolean;
}

export const WATCH_DEFAULTS = { interval: formatDuration(DEFAULTS.watch.intervalMs), metricsAddr: DEFAULTS.watch.metricsAddr } as const;

export function validateWatchFlags(raw: RawWatchFlags): WatchOptions {
  const check = validateCheckFlags(raw);
  if (check.fleet) throw new UsageError('watch checks one cluster: pass at most one --context (run one watch per cluster)');
  const intervalMs = parseDuration(raw.interval, '--interval');
  const metricsAddr = parseListenAddress(raw.metricsAddr);
  if (!metricsAddr) throw new UsageError(`--metrics-addr must be host:port, [ipv6]:port or :port, got "${raw.metricsAddr}"`);
  let maxCycles: number | undefined;
  if (raw.maxCycles !== undefined) {
    maxCycles = Number(raw.maxCycles);
    if (!/^\d+$/.test(raw.maxCycles.trim()) || maxCycles < 1 || maxCycles > 1_000_000) throw new UsageError(`--max-cycles must be an integer from 1 to 1000000, got "${raw.maxCycles}"`);
  }
  return { check, intervalMs, metricsAddr, ...(maxCycles ? { maxCycles } : {}), processMetrics: raw.processMetrics };
}

/** One cycle's outcome: what the metrics get, what is printed, and the exit code `check` would give. */
interface CycleOutcome {
  record: CycleRecord;
  output: CheckOutput;
  exitCode: number;
}

const NO_PROGRESS = { stage: () => {}, done: () => {} };

async function oneCycle(ctx: CycleContext, state: CycleState, log: Logger, signal: AbortSignal, proberOf: () => Promise<Prober>): Promise<CycleOutcome> {
  const started = Date.now();
  const seconds = () => (Date.now() - started) / 1000;
  try {
    const cycle = await runCycle({ ctx, prober: await proberOf(), progress: NO_PROGRESS, log, state, signal });
    const { output } = cycle;
    // The same reading of a report as check's --pushgateway (restarts, escalations, the budget gauge).
    const record = cycleRecord(output, seconds(), Date.now());
    return { record, output, exitCode: cycle.exitCode };
  } catch (err) {
    // Whatever failed after a signal (a request cut short, a retry given up) ends as the interruption.
    const failed = failureOf(err);
    const { exitCode, line } = signal.aborted ? { exitCode: EXIT.interrupted, line: failed.exitCode === EXIT.interrupted ? failed.line : `interrupted: ${failed.line}` } : failed;
    return { record: { result: 'error', durationSeconds: seconds(), endedAt: Date.now() }, output: errorOutput(line, exitCode), exitCode };
  }
}

/**
 * Per cycle: json → one line, yaml → one document, table → the verdict line, followed by the table
 * (without its verdict line) when the cycle is unhealthy or repaired something.
 */
export function renderCycle(n: number, out: CheckOutput, format: OutputFormat, at: Date): string {
  if (format === 'json') return `${JSON.stringify(out)}\n`;
  if (format === 'yaml') return `---\n${render(out, 'yaml')}`;
  const line = `${at.toISOString()} cycle ${n}: ${out.message}\n`;
  const acted = (out.repair?.actions.length ?? 0) + (out.repair?.escalations.length ?? 0) > 0;
  return out.verdict === 'unhealthy' || acted ? `${line}${renderTable(out).replace(/\n[^\n]*\n$/, '\n')}` : line;
}

async function listen(address: ListenAddress, metrics: SentinelMetrics, staleAfterMs: number, lastProgressAt: () => number): Promise<MetricsServer> {
  try {
    return await startMetricsServer(address, metrics.registry, () => loopHealth(lastProgressAt(), staleAfterMs, Date.now()));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new UsageError(`cannot serve metrics on ${address.host}:${address.port} (${code}): pass another --metrics-addr`);
  }
}

export async function watch(raw: RawWatchFlags): Promise<number> {
  let options: WatchOptions;
  let log: Logger;
  let ctx: CycleContext;
  try {
    options = validateWatchFlags(raw);
    log = createLogger(options.check.logFormat, options.check.logLevel);
    ctx = prepareCycle(options.check, log);
  } catch (err) {
    const failure = failureOf(err);
    tellFailure(failure, raw.logFormat);
    return failure.exitCode;
  }
  const { check } = options;
  const metrics = createMetrics({ processMetrics: options.processMetrics });
  // Without --repair the judge's history (--confirm-cycles) lives here, from cycle to cycle.
  const state: CycleState = newCycleState();
  let lastProgressAt = Date.now();
  // Two missed intervals plus a worst-case cycle (probe pod start, a generous exec budget, repairs).
  const staleAfterMs = 2 * options.intervalMs + check.podTimeoutMs + 5 * 60_000;
  let server: MetricsServer;
  try {
    server = await listen(options.metricsAddr, metrics, staleAfterMs, () => lastProgressAt);
  } catch (err) {
    tellFailure(failureOf(err), check.logFormat);
    return EXIT.usage;
  }
  log.info(`serving metrics on ${server.url}/metrics, a cycle every ${options.intervalMs / 1000}s`);

  const stop = interruptible(2 * check.requestTimeoutMs + 5_000, (sig) => log.info(`${sig}: stopping (the cycle in progress cleans up first)`));
  let cutShort = false;
  // The mode is chosen once (auto's access reviews are not repeated every cycle), again after a failed choice.
  let chosen: ChosenProber | undefined;
  const proberOf = async () => {
    if (!chosen) {
      chosen = await chooseProber(ctx, NO_PROGRESS, stop.signal);
      if (chosen.line) tell(`${chosen.line}\n`);
    }
    return chosen.prober;
  };

  try {
    const summary = await runLoop(
      { intervalMs: options.intervalMs, ...(options.maxCycles ? { maxCycles: options.maxCycles } : {}) },
      async (n) => {
        const outcome = await oneCycle(ctx, state, log, stop.signal, proberOf);
        if (outcome.exitCode === EXIT.interrupted) {
          cutShort = true;
          tellFailure({ line: `${outcome.output.message.startsWith('interrupted') ? '' : 'interrupted: '}${outcome.output.message}`, exitCode: EXIT.interrupted }, check.logFormat);
          if (outcome.output.repair) print(renderCycle(n, outcome.output, check.output, new Date(outcome.record.endedAt)), check.output);
          return outcome;
        }
        metrics.recordCycle(outcome.record);
        lastProgressAt = Date.now();
        if (outcome.record.result === 'error') log.error(`cycle ${n}: ${outcome.output.message}`);
        print(renderCycle(n, outcome.output, check.output, new Date(outcome.record.endedAt)), check.output);
        return outcome;
      },
      (outcome) => outcome.record.result === 'error',
      stop.signal,
    );
    if (cutShort) return EXIT.interrupted;
    return summary.stopped || !summary.last ? EXIT.healthy : summary.last.exitCode;
  } finally {
    stop.dispose();
    await server.close();
  }
}

/** The watch command: check's own options (shared Option objects, one cluster) plus the loop's. */
export function watchCommand(check: Command, fleetFlags: readonly string[]): Command {
  const cmd = new Command('watch').description('run the check every --interval, serve Prometheus metrics, log each cycle; stop with SIGINT/SIGTERM');
  addSharedOptions(cmd, check, { flags: fleetFlags });
  return cmd
    .optionsGroup('Watch (docs/watch.md):')
    .option('--interval <duration>', 'time between cycle starts, at least 1s', WATCH_DEFAULTS.interval)
    .option('--metrics-addr <host:port>', 'where to serve /metrics and /healthz (:port = every interface)', WATCH_DEFAULTS.metricsAddr)
    .option('--max-cycles <n>', 'stop after N cycles and exit with the last cycle\'s code (tests, CI)')
    .option('--no-process-metrics', 'leave out the process_* metrics (CPU, memory, event loop)')
    .action(async (raw: RawWatchFlags) => {
      process.exitCode = await watch(raw);
      // Requests abandoned by an interrupted cycle (a watch, an exec stream) must not hold the exit.
      if (process.exitCode === EXIT.interrupted) process.exit(EXIT.interrupted);
    });
}
