// Signals that arrive before a command installs its own handling (loading the CLI takes seconds on a
// busy machine): nothing in the cluster was touched yet, so the process exits 130 at once instead of
// dying by the signal. Imported first by src/cli/main.ts; src/cli/check.ts takes over with interruptible().
import { EXIT } from '../report/exit-codes.ts';

const onEarlySignal = (): never => process.exit(EXIT.interrupted);
process.on('SIGINT', onEarlySignal);
process.on('SIGTERM', onEarlySignal);

/** A command now handles SIGINT/SIGTERM itself. */
export function endEarlySignals(): void {
  process.off('SIGINT', onEarlySignal);
  process.off('SIGTERM', onEarlySignal);
}
