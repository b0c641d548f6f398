// Text from the cluster (a Corefile's forwarder, a DNS pod's log, an API error message, an object's
// name) reaches the user's terminal and the Events this tool writes. Its control characters must not
// act there: ESC [ 2 J would clear the screen, a CR overwrite a line, a bidi override reorder what is
// read. Every human output and every Event message passes through printable() once, where it leaves
// the program; the JSON and YAML documents keep the data as it is (their encoders escape C0 controls).

/** C0 controls but newline, DEL, C1 controls (\p{Cc}), and the bidi embeddings, overrides and isolates. */
const CONTROL = /(?!\n)[\p{Cc}\u202a-\u202e\u2066-\u2069]/gu;
const CONTROL_OR_NEWLINE = /[\p{Cc}\u202a-\u202e\u2066-\u2069]/gu;

const visible = (ch: string): string => {
  const code = ch.codePointAt(0)!;
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
};

/**
 * `text` with each control character written as a visible escape (ESC → \x1b). Newlines stay, unless
 * `oneLine` (an Event message, a single line of a table). Pure.
 */
export function printable(text: string, opts: { oneLine?: boolean } = {}): string {
  return text.replace(opts.oneLine ? CONTROL_OR_NEWLINE : CONTROL, visible);
}
