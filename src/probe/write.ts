// The probe's one line of output.
import type { ProbeReport } from './contract.ts';

/**
 * The report as one JSON line, written a piece at a time (stdout is a pipe: writes are synchronous on
 * Linux), so that the whole text of a large report never sits in memory at once.
 */
export function writeReport(report: ProbeReport, write: (text: string) => void): void {
  const { results, ...rest } = report;
  let chunk = `${JSON.stringify(rest).slice(0, -1)},"results":[`;
  for (const [i, r] of results.entries()) {
    chunk += (i ? ',' : '') + JSON.stringify(r);
    if (chunk.length >= 64 * 1024) {
      write(chunk);
      chunk = '';
    }
  }
  write(`${chunk}]}\n`);
}
