// A mode that cannot run here (no access, nothing reachable): one line naming what to fix (exit 3).
import { SentinelError } from '../common/errors.ts';
import { EXIT } from '../common/exit-codes.ts';

export class ModeError extends SentinelError {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message, { exitCode: EXIT.cluster, line: `${message} — ${hint}` });
    this.name = 'ModeError';
  }
}
