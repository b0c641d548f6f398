// Command-line arguments of the probe: where the plan comes from, size-checked before decoding.
import fs from 'node:fs';
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

export function parseArgs(args: readonly string[]): Source {
  const sources: Source[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--version') {
      sources.push({ kind: 'version' });
      continue;
    }
    const match = /^--(plan|plan-base64|plan-file)(?:=(.*))?$/s.exec(arg);
    if (!match) throw new PlanInvalid(`unknown argument ${JSON.stringify(arg.slice(0, 40))}; ${USAGE}`);
    const value = match[2] ?? args[++i];
    if (value === undefined) throw new PlanInvalid(`--${match[1]} needs a value; ${USAGE}`);
    sources.push({ kind: match[1] as 'plan' | 'plan-base64' | 'plan-file', value });
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
