// The one error type: every failure a run can end with carries its exit code (README "Exit codes") and
// one line for users — what failed, the request that failed when one did, what to do next. A leaf
// module, so kube, the stages and the engine all throw it; the CLI only prints `line` and exits.
import { EXIT, type ExitCode } from './exit-codes.ts';

/** The API request that failed: named in the line and in --log-format json's fatal record. */
export interface FailedRequest {
  verb: string;
  resource: string;
  namespace?: string;
  name?: string;
}

export interface Failure {
  exitCode: number;
  /** Already one line (newlines folded). */
  line: string;
  request?: FailedRequest;
}

const oneLine = (text: string) => text.replace(/\s*[\r\n]+\s*/g, ' ').trim();

export class SentinelError extends Error implements Failure {
  readonly exitCode: ExitCode;
  readonly line: string;
  readonly request?: FailedRequest;

  /** `line` defaults to the message; each subclass words it (request first, hint last). */
  constructor(message: string, failure: { exitCode: ExitCode; line?: string; request?: FailedRequest | undefined }) {
    super(message);
    this.name = 'SentinelError';
    this.exitCode = failure.exitCode;
    this.line = oneLine(failure.line ?? message);
    if (failure.request) this.request = failure.request;
  }
}

/** Bad flags or inputs, found before anything in the cluster is touched (exit 2). */
export class UsageError extends SentinelError {
  constructor(message: string) {
    super(message, { exitCode: EXIT.usage });
    this.name = 'UsageError';
  }
}

/** The exit code, line and request of anything a run can throw; a non-SentinelError is a bug (exit 3). */
export function failureOf(err: unknown): Failure {
  if (err instanceof SentinelError) return { exitCode: err.exitCode, line: err.line, ...(err.request && { request: err.request }) };
  return { exitCode: EXIT.cluster, line: `unexpected error: ${(err as Error)?.message ?? String(err)} (please report this)` };
}

/** The line of an error that a note or warning carries (the run goes on). */
export const lineOf = (err: unknown): string => (err instanceof SentinelError ? err.line : err instanceof Error ? err.message : String(err));
