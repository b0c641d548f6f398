// Module hooks for test/e2e/early-signals.test.ts (node --import): when the launcher dist/cli.js asks
// for the CLI bundle dist/cli-main.js, write the marker file (the launcher's signal handling is in place
// by then) and hold the load for holdMs, as a machine slow to parse the bundle would.
import { writeFileSync } from 'node:fs';

let options = { marker: '', holdMs: 0 };

export function initialize(data) {
  options = data;
}

export async function load(url, context, nextLoad) {
  if (url.endsWith('/dist/cli-main.js')) {
    writeFileSync(options.marker, '');
    await new Promise((resolve) => setTimeout(resolve, options.holdMs));
  }
  return nextLoad(url, context);
}
