// What any run can throw, mapped to the documented exit code and one line (README "Exit codes").
import { KubeError } from '../kube/index.ts';
import { DiscoverError } from '../discover/discover.ts';
import { OutageError } from '../discover/outage.ts';
import { ConfigError } from '../plan/index.ts';
import { ProbePodError } from '../probepod/lifecycle.ts';
import { LockedError } from '../repair/lock.ts';
import { ModeError } from '../modes/errors.ts';
import { EXIT } from '../report/exit-codes.ts';
import { Interrupted } from '../common/abort.ts';

/** Bad flags or inputs, found before anything in the cluster is touched (exit 2). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The exit code and one line for anything a run can throw. */
export function failureOf(err: unknown): { exitCode: number; line: string } {
  if (err instanceof UsageError || err instanceof ConfigError) return { exitCode: EXIT.usage, line: err.message };
  if (err instanceof KubeError) return { exitCode: err.kind === 'config' ? EXIT.usage : EXIT.cluster, line: err.line };
  if (err instanceof DiscoverError) return { exitCode: EXIT.cluster, line: err.line };
  if (err instanceof OutageError) return { exitCode: EXIT.unhealthy, line: err.line };
  if (err instanceof ProbePodError) return { exitCode: EXIT.probe, line: err.line };
  if (err instanceof LockedError) return { exitCode: EXIT.locked, line: err.line };
  if (err instanceof ModeError) return { exitCode: EXIT.cluster, line: err.line };
  if (err instanceof Interrupted) return { exitCode: EXIT.interrupted, line: err.line };
  return { exitCode: EXIT.cluster, line: `unexpected error: ${(err as Error)?.message ?? String(err)} (please report this)` };
}
