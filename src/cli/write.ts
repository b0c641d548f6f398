// The CLI's human output leaves through here, its cluster text made printable (src/common/printable.ts):
// tables, verdict lines, `error:` lines. JSON and YAML documents are written as they are.
import { printable } from '../common/printable.ts';
import type { Failure } from '../common/errors.ts';

/** Human text to stdout. */
export const say = (text: string): void => void process.stdout.write(printable(text));

/** Human text to stderr. */
export const tell = (text: string): void => void process.stderr.write(printable(text));

/**
 * The run's error: `error: <line>` on stderr, or with --log-format json one record shaped as the logs'
 * (level, message, timestamp) with its exit code and the failed request, so stderr stays JSON lines.
 */
export function tellFailure(failure: Failure, logFormat: string | undefined): void {
  if (logFormat !== 'json') return tell(`error: ${failure.line}\n`);
  const { line, exitCode, request } = failure;
  process.stderr.write(`${JSON.stringify({ level: 'error', message: line, exitCode, ...(request && { request }), timestamp: new Date().toISOString() })}\n`);
}

/** A document (json, yaml, junit) to stdout, as it is; table output as human text. */
export const print = (text: string, format: string): void => (format === 'table' ? say(text) : void process.stdout.write(text));
