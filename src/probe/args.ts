// Command-line arguments of the probe (node:util parseArgs): where the plan comes from, size-checked
// before decoding.
import fs from 'node:fs';
import { parseArgs as utilParseArgs } from 'node:util';
import { LIMITS } from './contract.ts';

const USAGE = 'usage: probe --plan JSON | --plan-base64 BASE64 | --plan-file PATH | --version';

/** The plan (or the way it was given) is unusable: exit 2. */
export class PlanInvalid extends Error {}

/** The user's arguments: after the script path, or right after node's options under `node -e`. */
export function userArgs(argv: readonly string[], execArgv: readonly string[]): string[] {
  const evaluated = execArgv.some((a) => /^(-e|-p|--eval|--print)(=|$)/.test(a));
  return argv.slice(evaluated ? 1 : 2);
}

export type Source = { kind: 'plan' | 'plan-base64' | 'plan-file'; value: string } | { kind: 'version' };

const OPTIONS = {
  plan: { type: 'string' },
  'plan-base64': { type: 'string' },
  'plan-file': { type: 'string' },
  version: { type: 'boolean' },
} as const;

type OptionName = keyof typeof OPTIONS;
const isOption = (name: string): name is OptionName => Object.hasOwn(OPTIONS, name);

/**
 * The probe's arguments through node:util parseArgs. Its tokens are read rather than its strict-mode
 * errors so that every mistake gets the probe's own one line with the usage.
 */
export function parseArgs(args: readonly string[]): Source {
  const { tokens } = utilParseArgs({ args: [...args], options: OPTIONS, strict: false, allowPositionals: true, tokens: true });
  const sources: Source[] = [];
  for (const token of tokens) {
    if (token.kind === 'option-terminator') continue;
    if (token.kind === 'positional') throw new PlanInvalid(`unknown argument ${JSON.stringify(token.value.slice(0, 40))}; ${USAGE}`);
    if (!isOption(token.name)) throw new PlanInvalid(`unknown argument ${JSON.stringify(token.rawName.slice(0, 40))}; ${USAGE}`);
    const name = token.name;
    if (name === 'version') {
      if (token.value !== undefined) throw new PlanInvalid(`--version takes no value; ${USAGE}`);
      sources.push({ kind: 'version' });
      continue;
    }
    if (token.value === undefined) throw new PlanInvalid(`--${name} needs a value; ${USAGE}`);
    sources.push({ kind: name, value: token.value });
  }
  if (sources.length !== 1) throw new PlanInvalid(`give exactly one of --plan, --plan-base64, --plan-file; ${USAGE}`);
  return sources[0] as Source;
}

/** The plan's JSON text, size-checked before anything is decoded or read. */
export function planText(source: Exclude<Source, { kind: 'version' }>): string {
  switch (source.kind) {
    case 'plan':
      return source.value;
    case 'plan-base64': {
      const encoded = source.value.trim();
      if (encoded.length > Math.ceil(LIMITS.planBytes / 3) * 4) throw new PlanInvalid(`plan is larger than ${LIMITS.planBytes} bytes`);
      if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(encoded)) throw new PlanInvalid('--plan-base64 is not base64 text');
      return Buffer.from(encoded, 'base64').toString('utf8');
    }
    case 'plan-file': {
      let size: number;
      try {
        size = fs.statSync(source.value).size;
      } catch (err) {
        throw new PlanInvalid(`cannot read plan file ${source.value}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
      }
      if (size > LIMITS.planBytes) throw new PlanInvalid(`plan is larger than ${LIMITS.planBytes} bytes`);
      return fs.readFileSync(source.value, 'utf8');
    }
  }
}
