// watch and doctor take check's own Option objects (so a flag means the same everywhere and never
// drifts), less those that do not apply to them: commander then refuses those with exit 2 instead of
// accepting and ignoring them (`doctor --repair` did).
import type { Command, Option } from 'commander';

export interface LeftOut {
  /** Long flags, e.g. --all-contexts. */
  flags: readonly string[];
  /** Whole help topics, by heading. */
  groups?: readonly string[];
}

export function addSharedOptions(to: Command, from: Command, leftOut: LeftOut): Command {
  for (const option of from.options as Option[]) {
    if (option.long && leftOut.flags.includes(option.long)) continue;
    if (option.helpGroupHeading && leftOut.groups?.includes(option.helpGroupHeading)) continue;
    to.addOption(option);
  }
  return to;
}
