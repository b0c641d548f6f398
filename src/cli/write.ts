// The CLI's human output leaves through here, its cluster text made printable (src/common/printable.ts):
// tables, verdict lines, `error:` lines. JSON and YAML documents are written as they are.
import { printable } from '../common/printable.ts';

/** Human text to stdout. */
export const say = (text: string): void => void process.stdout.write(printable(text));

/** Human text to stderr. */
export const tell = (text: string): void => void process.stderr.write(printable(text));

/** A document (json, yaml, junit) to stdout, as it is; table output as human text. */
export const print = (text: string, format: string): void => (format === 'table' ? say(text) : void process.stdout.write(text));
