// The user's YAML config file (apiVersion coredns-sentinel/config/v1; every key in docs/config.md):
// extra checks and plan defaults. Pure: text in, typed config or one ConfigError line out (naming the
// file and the key). The document is checked against its schema (schema/config.v1.json, compiled), then
// normalized; durations use the flags' syntax (src/common/duration.ts).
import { isIP } from 'node:net';
import { parse } from 'yaml';
import { boundedDuration, parseDurationMs } from '../common/duration.ts';
import { SentinelError } from '../common/errors.ts';
import { EXIT } from '../common/exit-codes.ts';
import { LIMITS, RCODES, RECORD_TYPES, type Expectation, type RecordType, type Transport } from '../probe/contract.ts';
import type { CheckObject, ConfigDocument } from '../contracts/generated/config.ts';
import { checkObject as checkObjectSchema, checkString as checkStringSchema, config as configSchemaValidator } from '../contracts/generated/config.validate.ts';
import { isObject, preview, problemOf, type Compiled, type Words } from '../contracts/validate.ts';
import configSchema from '../../schema/config.v1.json' with { type: 'json' };
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
const CHECK_STRING = '"NAME TYPE [VALUE ...]"';

// ---------------------------------------------------------------------------------------------
// The document's rules: schema/config.v1.json compiled (src/contracts/generated), then what it cannot
// say: durations within their bounds, answers a record of the check's type can have, a check string's parts.

const KNOWN_KEYS = Object.keys(configSchema.properties);
const CHECK_KEYS = Object.keys(configSchema.$defs.checkObject.properties);

/** The schema's patterns and alternatives, in words (src/contracts/validate.ts). */
const WORDS: Words = {
  '/$defs/dnsName/pattern': 'a DNS name',
  '/$defs/recordType/pattern': `one of ${RECORD_TYPES.join(', ')}`,
  '/$defs/rcode/pattern': `one of ${RCODES.join(', ')}`,
  '/$defs/checkGroup/pattern': `one of ${CHECK_GROUPS.join(', ')}`,
  '/$defs/checkString/pattern': CHECK_STRING,
  '/properties/checks/items/anyOf': `${CHECK_STRING} or a mapping with name and type`,
  '/properties/transports/anyOf/1/pattern': 'a list of udp and tcp, or "udp,tcp"',
  '/properties/transports/anyOf': 'a list of udp and tcp, or "udp,tcp"',
  '/$defs/duration/anyOf': 'a duration such as 500ms or 2s',
  '/$defs/answers/anyOf': 'an expected answer or a list of them',
};

/** The schema's first problem, with the known keys beside an unknown one. */
function schemaProblem(validate: Compiled, doc: unknown, at: string): string | null {
  const problem = problemOf(validate, doc, at, WORDS);
  if (!problem || !/unknown field "[^"]*"$/.test(problem)) return problem;
  return /^unknown field/.test(problem) ? `${problem} (known: ${KNOWN_KEYS.join(', ')}; see docs/config.md)` : `${problem} (known: ${CHECK_KEYS.join(', ')})`;
}

/** A duration in the flags' syntax (a bare number is seconds) between the bounds; the schema said string or number. */
function durationProblem(x: string | number | undefined, at: string, minMs: number, maxMs: number): string | null {
  if (x === undefined) return null;
  const r = boundedDuration(String(x), minMs, maxMs);
  return 'problem' in r ? `${at} ${r.problem}` : null;
}

/** The milliseconds of a value durationProblem accepted. */
const durationMs = (x: string | number): number => parseDurationMs(String(x)) ?? 0;

/** Why `x` can never be an answer of a `type` record (an address of the wrong family, no name), or null. */
function answerProblem(type: RecordType, x: string): string | null {
  const value = x.replace(/\.$/, '');
  const why =
    type === 'A' && isIP(value) !== 4 ? 'not an IPv4 address'
    : type === 'AAAA' && isIP(value) !== 6 ? 'not an IPv6 address'
    // A zone index (fe80::1%eth0) names an interface of one host; no AAAA record carries one.
    : type === 'AAAA' && value.includes('%') ? 'an IPv6 address with a zone index'
    : (type === 'CNAME' || type === 'PTR') && !DNS_NAME.test(value) ? 'not a DNS name'
    : undefined;
  return why ? `is ${preview(x)}, which can never be an answer of a ${type} record (${why})` : null;
}

const typeOf = (x: string | undefined): RecordType => (x ?? 'A').toUpperCase() as RecordType;

/** What the schema cannot say of a check: its answers against its type, its latency bound. */
function checkProblem(c: CheckObject, at: string): string | null {
  for (const key of ['include', 'equal'] as const) {
    const value = c[key];
    if (value === undefined) continue;
    const list = listOf(value);
    for (const [i, x] of list.entries()) {
      const problem = answerProblem(typeOf(c.type), x);
      if (problem) return `${at}.${key}${Array.isArray(value) ? `[${i}]` : ''} ${problem}`;
    }
  }
  return durationProblem(c.maxLatency, `${at}.maxLatency`, 1, LIMITS.timeoutMs);
}

/** "NAME TYPE [VALUE …]" as the mapping it stands for: values are `include`, the single value NXDOMAIN `rcodes`. */
function checkStringParts(text: string): CheckObject {
  const [name = '', type, ...values] = text.trim().split(/\s+/);
  if (values.length === 1 && values[0]!.toUpperCase() === 'NXDOMAIN') return { name, type, rcodes: ['NXDOMAIN'] };
  return { name, ...(type !== undefined && { type }), ...(values.length > 0 && { include: values }) };
}

/** A check as written (a string or a mapping) checked whole, as the mapping it stands for. */
function readCheck(x: unknown, at: string): { check: CheckObject } | { problem: string } {
  if (typeof x === 'string') {
    const problem = schemaProblem(checkStringSchema as Compiled, x, at);
    if (problem) return { problem };
  }
  const check = typeof x === 'string' ? checkStringParts(x) : (x as CheckObject);
  const problem = schemaProblem(checkObjectSchema as Compiled, check, at) ?? checkProblem(check, at);
  return problem ? { problem } : { check };
}

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
  const read = readCheck(text, at);
  if ('problem' in read) throw new ConfigError(read.problem);
  return toCheckSpec(read.check);
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
  if (!isObject(doc)) return fail(`must be a YAML mapping starting with apiVersion: ${CONFIG_API_VERSION} (see docs/config.md)`);
  // The usual mistake first, in words that say what to write.
  if (doc.apiVersion === undefined) return fail(`apiVersion missing: add "apiVersion: ${CONFIG_API_VERSION}"`);
  if (doc.apiVersion !== CONFIG_API_VERSION) return fail(`apiVersion ${preview(doc.apiVersion)} is not supported (this version reads ${CONFIG_API_VERSION})`);
  const maxChecks = configSchema.properties.checks.maxItems;
  if (Array.isArray(doc.checks) && doc.checks.length > maxChecks)
    return fail(`checks must have at most ${maxChecks} checks (the probe runs at most ${LIMITS.queries} queries per plan, the default checks included), got ${doc.checks.length}`);
  const problem = schemaProblem(configSchemaValidator as Compiled, doc, '') ?? durationProblem(doc.timeout as string | number | undefined, 'timeout', 1, LIMITS.timeoutMs);
  if (problem) return fail(problem);
  const d = doc as unknown as ConfigDocument;
  const checks: CheckSpec[] = [];
  for (const [i, c] of (d.checks ?? []).entries()) {
    const read = readCheck(c, `checks[${i}]`);
    if ('problem' in read) return fail(read.problem);
    checks.push(toCheckSpec(read.check));
  }
  const config: PlanConfig = { checks };
  if (d.samples !== undefined) config.samples = d.samples;
  if (d.timeout !== undefined) config.timeoutMs = durationMs(d.timeout);
  if (d.transports !== undefined) config.transports = [...new Set(typeof d.transports === 'string' ? (d.transports.split(',').map((t) => t.trim()) as Transport[]) : d.transports)];
  if (d.external === false) config.externalName = null;
  else if (d.externalName !== undefined) config.externalName = bareName(d.externalName);
  if (d.defaultChecks === false) config.disable = [...CHECK_GROUPS];
  else if (d.disable !== undefined) config.disable = [...new Set(d.disable.map((g) => g.toLowerCase() as CheckGroup))];
  return config;
}
