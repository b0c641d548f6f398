import assert from 'node:assert/strict';
import { printable } from './printable.ts';

describe('printable: control characters of cluster content made visible', () => {
  const rows: [string, string, string][] = [
    ['ESC [2J (clears the screen)', 'forward . 10.0.0.1\x1b[2J', 'forward . 10.0.0.1\\x1b[2J'],
    ['CR (overwrites the line)', 'ok\rFAIL', 'ok\\x0dFAIL'],
    ['BEL, NUL, backspace, tab', 'a\x07b\x00c\x08d\te', 'a\\x07b\\x00c\\x08d\\x09e'],
    ['DEL and C1 CSI', 'x\x7fy\u009b31m', 'x\\x7fy\\x9b31m'],
    ['bidi override and isolate', 'pod\u202egnp.exe\u2066', 'pod\\u202egnp.exe\\u2066'],
    ['plain text, Unicode letters and newlines stay', 'DNS unhealthy — pod-local: coredns-a\nnext line é', 'DNS unhealthy — pod-local: coredns-a\nnext line é'],
  ];
  for (const [what, text, shown] of rows) it(what, () => assert.equal(printable(text), shown));

  it('oneLine escapes newlines too (an Event message, a table cell)', () => assert.equal(printable('a\nb\r\n', { oneLine: true }), 'a\\x0ab\\x0d\\x0a'));
});
