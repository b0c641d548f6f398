// `doctor`: can coredns-sentinel run here, and what would each mode need (docs/modes.md)? The check
// command's flags (namespace, selector, probe namespace and image, --dns-address …), the facts from the
// engine, printed as text or -o json|yaml. Exit 0 when at least one mode can run, 3 when none can
// (naming the first thing to fix), 2 for bad flags.
import { Command } from 'commander';
import { addSharedOptions, type LeftOut } from './shared-options.ts';
import { stringify } from 'yaml';
import { failureOf, gatherDoctor, prepareCycle } from '../engine/index.ts';
import { renderDoctor } from '../modes/doctor.ts';
import { validateCheckFlags, type RawCheckFlags } from './options.ts';
import { say, tellFailure } from './write.ts';
import { createLogger } from '../report/index.ts';

export async function doctor(raw: RawCheckFlags): Promise<number> {
  try {
    const settings = validateCheckFlags(raw);
    const report = await gatherDoctor(prepareCycle(settings, createLogger(settings.logFormat, settings.logLevel)));
    if (settings.output === 'json') process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else if (settings.output === 'yaml') process.stdout.write(stringify(report));
    else say(renderDoctor(report));
    if (report.firstFix) tellFailure({ line: report.firstFix, exitCode: report.exitCode }, raw.logFormat);
    return report.exitCode;
  } catch (error) {
    const failure = failureOf(error);
    tellFailure(failure, raw.logFormat);
    return failure.exitCode;
  }
}

/** The check command's flags that apply to it (so -n, -l, --probe-image, --mode's --dns-address mean the same here). */
export function doctorCommand(check: Command, leftOut: LeftOut): Command {
  const cmd = new Command('doctor').description('can this tool run here? API, DNS workload, per mode the permissions granted or missing (and the manifest to apply), routability, the probe image, what auto would pick');
  return addSharedOptions(cmd, check, leftOut).action(async (raw: RawCheckFlags) => {
    process.exitCode = await doctor(raw);
  });
}
