// The user's YAML config file (apiVersion coredns-sentinel/config/v1; every key in docs/config.md):
// extra checks and plan defaults. Pure: text in, typed config or one ConfigError line out (naming the
// file and the key). The document is checked with the validation kit (src/probe/validate.ts), then
// normalized; durations use the flags' syntax (src/common/duration.ts).
import { isIP } from 'node:net';
import { parse } from 'yaml';
import { boundedDuration, parseDurationMs } from '../common/duration.ts';
import { SentinelError } from '../common/errors.ts';
import { EXIT } from '../common/exit-codes.ts';
import { LIMITS, RCODES, RECORD_TYPES, TRANSPORTS, type Expectation, type RecordType, type Transport } from '../probe/contract.ts';
import * as v from '../probe/validate.ts';
import { CHECK_GROUPS, type CheckGroup } from './derived.ts';

export const CONFIG_API_VERSION = 'coredns-sentinel/config/v1';

/** One extra check; the plan turns it into a Query. */
export interface CheckSpec {
  name: string;
  type: RecordType;
  expect: Expectation;
  /** Default: true when the name is outside the cluster domain. */
  external?: boolean;
}

export interface PlanConfig {
  samples?: number;
  timeoutMs?: number;
  transports?: Transport[];
  /** null: no external check (air-gapped clusters). */
  externalName?: string | null;
  checks: CheckSpec[];
  /** Derived and default check groups turned off (`disable:`; `defaultChecks: false` turns off all). */
  disable?: CheckGroup[];
}

/** A config file that cannot be used (exit 2). */
export class ConfigError extends SentinelError {
  constructor(message: string) {
    super(message, { exitCode: EXIT.usage });
    this.name = 'ConfigError';
  }
}

const DNS_NAME = /^(?=.{1,253}\.?$)[A-Za-z0-9_*]([A-Za-z0-9_-]{0,62})(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,62}))*\.?$/;
/** Room left in the probe's query limit for the default checks. */
const MAX_CHECKS = LIMITS.queries - 20;
const CHECK_STRING = '"NAME TYPE [VALUE ...]"';

// ---------------------------------------------------------------------------------------------
// The document's rules, as validators of the kit.

const dnsName = v.str({ max: 254, pattern: DNS_NAME, what: 'a DNS name' });

/** One of `values`, in any case (YAML authors write `type: a`). */
const anyCase = (values: readonly string[]): v.Validator<string> =>
  v.custom((x) => (typeof x === 'string' && values.some((k) => k.toLowerCase() === x.toLowerCase()) ? null : `must be one of ${values.join(', ')}, got ${v.preview(x)}`));

const recordType = anyCase(RECORD_TYPES);
const rcode = anyCase(RCODES);

/** A duration in the flags' syntax (a bare number is seconds) between the bounds. */
const duration = (minMs: number, maxMs: number): v.Validator<string | number> =>
  v.custom((x) => {
    if (typeof x !== 'string' && typeof x !== 'number') return `must be a duration such as 500ms or 2s, got ${v.preview(x)}`;
    const r = boundedDuration(String(x), minMs, maxMs);
    return 'problem' in r ? r.problem : null;
  });

/** The milliseconds of a value `duration` accepted. */
const durationMs = (x: string | number): number => parseDurationMs(String(x)) ?? 0;

/** An expected answer a real record of `type` can have: an address of the right family, a name. */
function answer(type: RecordType): v.Validator<string> {
  return v.custom((x) => {
    if (typeof x !== 'string' || x.length === 0) return `must be a non-empty string, got ${v.preview(x)}`;
    const value = x.replace(/\.$/, '');
    const why =
      type === 'A' && isIP(value) !== 4 ? 'not an IPv4 address'
      : type === 'AAAA' && isIP(value) !== 6 ? 'not an IPv6 address'
      // A zone index (fe80::1%eth0) names an interface of one host; no AAAA record carries one.
      : type === 'AAAA' && value.includes('%') ? 'an IPv6 address with a zone index'
      : (type === 'CNAME' || type === 'PTR') && !DNS_NAME.test(value) ? 'not a DNS name'
      : undefined;
    return why ? `is ${v.preview(x)}, which can never be an answer of a ${type} record (${why})` : null;
  });
}

const answers = (type: RecordType) => v.optional(v.oneOrList(answer(type), { min: 1, max: LIMITS.expectValues }));

const typeOf = (x: unknown): RecordType => (typeof x === 'string' ? x.toUpperCase() : 'A') as RecordType;

const checkObject = v.then(
  v.object(
    {
      name: dnsName,
      type: v.optional(recordType),
      rcodes: v.optional(v.oneOrList(rcode, { min: 1 })),
      nonEmpty: v.optional(v.bool),
      include: v.optional(v.oneOrList(v.str(), { min: 1 })),
      equal: v.optional(v.oneOrList(v.str(), { min: 1 })),
      maxLatency: v.optional(duration(1, LIMITS.timeoutMs)),
      external: v.optional(v.bool),
    },
    { listKnown: true },
  ),
  // The answers' rules depend on the type.
  (c) => v.object({ include: answers(typeOf(c.type)), equal: answers(typeOf(c.type)) }, { open: true }),
);
type CheckObject = v.Infer<typeof checkObject>;

/** "NAME TYPE [VALUE …]" as the mapping it stands for: values are `include`, the single value NXDOMAIN `rcodes`. */
function checkStringParts(text: string): Record<string, unknown> | undefined {
  const [name, type, ...values] = text.trim().split(/\s+/);
  if (!name || !type) return undefined;
  if (values.length === 1 && values[0]!.toUpperCase() === 'NXDOMAIN') return { name, type, rcodes: ['NXDOMAIN'] };
  return { name, type, ...(values.length > 0 && { include: values }) };
}

const checkString = v.custom<string>((x) =>
  typeof x === 'string' && checkStringParts(x) === undefined ? `must be ${CHECK_STRING}, got ${v.preview(x)}` : null);

const check: v.Validator<string | CheckObject> = (x, at) => {
  if (typeof x === 'string') return checkString(x, at) ?? checkObject(checkStringParts(x), at);
  if (v.isObject(x)) return checkObject(x, at);
  return `${at} must be ${CHECK_STRING} or a mapping with name and type, got ${v.preview(x)}`;
};

const checkList = v.list(check);
const checks: v.Validator<(string | CheckObject)[]> = (x, at) =>
  Array.isArray(x) && x.length > MAX_CHECKS
    ? `${at} must have at most ${MAX_CHECKS} checks (the probe runs at most ${LIMITS.queries} queries per plan), got ${x.length}`
    : checkList(x, at);

/** A list, or the flags' comma form "udp,tcp". */
const splitTransports = (x: unknown): unknown => (typeof x === 'string' ? x.split(',').map((s) => s.trim()) : x);
const transportList = v.list(v.oneOf(TRANSPORTS), { min: 1 });
const transports: v.Validator<string | Transport[]> = (x, at) => transportList(splitTransports(x), at);

const groupList = v.list(anyCase(CHECK_GROUPS));
const groups: v.Validator<string[]> = (x, at) =>
  Array.isArray(x) ? groupList(x, at) : `${at} must be a list of check groups (${CHECK_GROUPS.join(', ')}), got ${v.preview(x)}`;

const apiVersion = v.custom<string>((x) =>
  x === CONFIG_API_VERSION ? null
  : x === undefined ? `missing: add "apiVersion: ${CONFIG_API_VERSION}"`
  : `${v.preview(x)} is not supported (this version reads ${CONFIG_API_VERSION})`);

const document = v.object(
  {
    apiVersion,
    samples: v.optional(v.int(1, LIMITS.samples)),
    timeout: v.optional(duration(1, LIMITS.timeoutMs)),
    transports: v.optional(transports),
    externalName: v.optional(dnsName),
    external: v.optional(v.bool),
    checks: v.optional(checks),
    disable: v.optional(groups),
    defaultChecks: v.optional(v.bool),
  },
  { listKnown: true, see: 'docs/config.md' },
);

// ---------------------------------------------------------------------------------------------
// Normalizing what the rules accepted.

const bareName = (name: string): string => name.replace(/\.$/, '').toLowerCase();
const listOf = <T>(x: T | T[]): T[] => (Array.isArray(x) ? x : [x]);
const answerValues = (type: RecordType, x: string | string[]): string[] => listOf(x).map((a) => (type === 'TXT' ? a : bareName(a)));

function toCheckSpec(c: CheckObject): CheckSpec {
  const type = typeOf(c.type);
  const expect: Expectation = {};
  if (c.rcodes !== undefined) expect.rcodes = listOf(c.rcodes).map((r) => r.toUpperCase());
  if (c.nonEmpty !== undefined) expect.nonEmpty = c.nonEmpty;
  if (c.include !== undefined) expect.include = answerValues(type, c.include);
  if (c.equal !== undefined) expect.equal = answerValues(type, c.equal);
  if (c.maxLatency !== undefined) expect.maxLatencyMs = durationMs(c.maxLatency);
  if (Object.keys(expect).length === 0) expect.nonEmpty = true;
  return { name: bareName(c.name), type, expect, ...(c.external !== undefined && { external: c.external }) };
}

/** "NAME TYPE [VALUE …]": values must be among the answers; the single value NXDOMAIN means must not exist. */
export function parseCheckString(text: string, at: string): CheckSpec {
  const problem = check(text, at);
  if (problem) throw new ConfigError(problem);
  return toCheckSpec(checkStringParts(text) as CheckObject);
}

/** Nesting a config never needs (it has 4 levels), checked before the parser recurses into it. */
export const MAX_CONFIG_NESTING = 32;

/** The deepest nesting of flow collections ([ and {, outside quotes and comments) or block indentation, roughly. Pure. */
export function nestingDepth(text: string): number {
  let deepest = 0;
  let depth = 0;
  let skip = '';
  for (const ch of text) {
    if (skip) {
      if (ch === skip || ch === '\n') skip = '';
    } else if (ch === '"' || ch === "'") skip = ch;
    else if (ch === '#') skip = '\n';
    else if (ch === '[' || ch === '{') deepest = Math.max(deepest, ++depth);
    else if (ch === ']' || ch === '}') depth = Math.max(0, depth - 1);
  }
  // Block collections: one level per indentation step of at least one column ("- " lists nest by 2).
  for (const line of text.split('\n')) deepest = Math.max(deepest, Math.floor((/^[ -]*/.exec(line)?.[0].length ?? 0) / 2));
  return deepest;
}

/** Parses the config file's text; errors are one line starting with the file name. */
export function parsePlanConfig(text: string, file: string): PlanConfig {
  const fail = (problem: string): never => {
    throw new ConfigError(`${file}: ${problem}`);
  };
  const tooDeep = `nested more than ${MAX_CONFIG_NESTING} levels deep (a config needs 4: see docs/config.md)`;
  if (nestingDepth(text) > MAX_CONFIG_NESTING) return fail(tooDeep);
  let doc: unknown;
  try {
    doc = parse(text, { prettyErrors: false });
  } catch (err) {
    // The parser recurses: whatever nesting slipped past the scan ends here, never as a stack overflow.
    if (err instanceof RangeError) return fail(tooDeep);
    return fail(`not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (doc === null || doc === undefined) return { checks: [] };
  if (!v.isObject(doc)) return fail(`must be a YAML mapping starting with apiVersion: ${CONFIG_API_VERSION} (see docs/config.md)`);
  const problem = document(doc, '');
  if (problem) return fail(problem);
  const d = doc as v.Infer<typeof document>;
  const config: PlanConfig = { checks: (d.checks ?? []).map((c) => (typeof c === 'string' ? toCheckSpec(checkStringParts(c) as CheckObject) : toCheckSpec(c))) };
  if (d.samples !== undefined) config.samples = d.samples;
  if (d.timeout !== undefined) config.timeoutMs = durationMs(d.timeout);
  if (d.transports !== undefined) config.transports = [...new Set(splitTransports(d.transports) as Transport[])];
  if (d.external === false) config.externalName = null;
  else if (d.externalName !== undefined) config.externalName = bareName(d.externalName);
  if (d.defaultChecks === false) config.disable = [...CHECK_GROUPS];
  else if (d.disable !== undefined) config.disable = [...new Set(d.disable.map((g) => g.toLowerCase() as CheckGroup))];
  return config;
}
