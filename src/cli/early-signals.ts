// Signals that arrive before a command installs its own handling (loading the CLI takes seconds on a
// busy machine): nothing in the cluster was touched yet, so the process exits 130 at once instead of
// dying by the signal. Installed first by the launcher dist/cli.js (src/cli/launcher.ts), before Node
// parses the bundle, and again (a no-op then) by src/cli/main.ts when run from source; src/cli/check.ts
// takes over with interruptible().
import { EXIT } from '../common/exit-codes.ts';

// The launcher and the bundle each carry a copy of this module: the handler lives on the process so
// that endEarlySignals() in the bundle removes the one the launcher installed.
const KEY = Symbol.for('coredns-sentinel.early-signals');
const holder = process as unknown as { [KEY]?: () => never };

/** Exit 130 on SIGINT/SIGTERM until a command handles them; once per process. */
export function installEarlySignals(): void {
  if (holder[KEY]) return;
  const onEarlySignal = (): never => process.exit(EXIT.interrupted);
  holder[KEY] = onEarlySignal;
  process.on('SIGINT', onEarlySignal);
  process.on('SIGTERM', onEarlySignal);
}

installEarlySignals();

/** A command now handles SIGINT/SIGTERM itself. */
export function endEarlySignals(): void {
  const onEarlySignal = holder[KEY];
  if (!onEarlySignal) return;
  process.off('SIGINT', onEarlySignal);
  process.off('SIGTERM', onEarlySignal);
  delete holder[KEY];
}
