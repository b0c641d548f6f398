// The user's YAML config file (apiVersion coredns-sentinel/config/v1; every key in docs/config.md):
// extra checks and plan defaults. Pure: text in, typed config or one ConfigError line out (naming the
// file and the problem). Durations use the flags' syntax (src/common/duration.ts).
import { isIP } from 'node:net';
import { parse } from 'yaml';
import { boundedDuration } from '../common/duration.ts';
import { LIMITS, RCODES, RECORD_TYPES, TRANSPORTS, type Expectation, type RecordType, type Transport } from '../probe/contract.ts';
import { CHECK_GROUPS, type CheckGroup } from './derived.ts';
import { parseCheckGroups } from './plan.ts';

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

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const DNS_NAME = /^(?=.{1,253}\.?$)[A-Za-z0-9_*]([A-Za-z0-9_-]{0,62})(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,62}))*\.?$/;
const KNOWN_KEYS = new Set(['apiVersion', 'samples', 'timeout', 'transports', 'externalName', 'external', 'checks', 'disable', 'defaultChecks']);
const CHECK_KEYS = new Set(['name', 'type', 'rcodes', 'nonEmpty', 'include', 'equal', 'maxLatency', 'external']);
/** Room left in the probe's query limit for the default checks. */
const MAX_CHECKS = LIMITS.queries - 20;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function dnsName(v: unknown, at: string): string {
  if (typeof v !== 'string' || !DNS_NAME.test(v)) throw new ConfigError(`${at}: ${JSON.stringify(v)} is not a DNS name`);
  return v.replace(/\.$/, '').toLowerCase();
}

function recordType(v: unknown, at: string): RecordType {
  const t = typeof v === 'string' ? v.toUpperCase() : v;
  if (!RECORD_TYPES.includes(t as RecordType)) throw new ConfigError(`${at}: type must be one of ${RECORD_TYPES.join(', ')}, got ${JSON.stringify(v)}`);
  return t as RecordType;
}

function strings(v: unknown, at: string): string[] {
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list) || list.length === 0 || !list.every((s) => typeof s === 'string' && s.length > 0))
    throw new ConfigError(`${at} must be a non-empty list of strings`);
  return list as string[];
}

function duration(v: unknown, at: string, minMs: number, maxMs: number): number {
  const r = boundedDuration(typeof v === 'number' ? String(v) : typeof v === 'string' ? v : '', minMs, maxMs);
  if ('problem' in r) throw new ConfigError(`${at} ${typeof v === 'string' || typeof v === 'number' ? r.problem : `must be a duration such as 500ms or 2s, got ${JSON.stringify(v)}`}`);
  return r.ms;
}

/** Expected answers a real record of this type can have: addresses of the right family, names. */
function answerValue(type: RecordType, v: string, at: string): string {
  const value = v.replace(/\.$/, '');
  const bad = (what: string) => new ConfigError(`${at}: ${JSON.stringify(v)} can never be an answer of a ${type} record (${what})`);
  if (type === 'A' && isIP(value) !== 4) throw bad('not an IPv4 address');
  if (type === 'AAAA' && isIP(value) !== 6) throw bad('not an IPv6 address');
  if ((type === 'CNAME' || type === 'PTR') && !DNS_NAME.test(value)) throw bad('not a DNS name');
  return type === 'TXT' ? v : value.toLowerCase();
}

function answerValues(type: RecordType, v: unknown, at: string): string[] {
  const list = strings(v, at);
  if (list.length > LIMITS.expectValues) throw new ConfigError(`${at}: at most ${LIMITS.expectValues} values`);
  return list.map((x) => answerValue(type, x, at));
}

function int(v: unknown, at: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new ConfigError(`${at} must be an integer from ${min} to ${max}`);
  return v;
}

/** "NAME TYPE [VALUE …]": values must be among the answers; the single value NXDOMAIN means must not exist. */
export function parseCheckString(text: string, at: string): CheckSpec {
  const [name, type, ...values] = text.trim().split(/\s+/);
  if (!name || !type) throw new ConfigError(`${at}: "${text}" must be "NAME TYPE [VALUE ...]"`);
  const spec: CheckSpec = { name: dnsName(name, at), type: recordType(type, at), expect: { nonEmpty: true } };
  if (values.length === 1 && values[0]!.toUpperCase() === 'NXDOMAIN') spec.expect = { rcodes: ['NXDOMAIN'] };
  else if (values.length > 0) spec.expect = { include: answerValues(spec.type, values, at) };
  return spec;
}

function parseCheckObject(o: Record<string, unknown>, at: string): CheckSpec {
  const unknown = Object.keys(o).find((k) => !CHECK_KEYS.has(k));
  if (unknown) throw new ConfigError(`${at}: unknown key "${unknown}" (known: ${[...CHECK_KEYS].join(', ')})`);
  const expect: Expectation = {};
  const type = recordType(o.type ?? 'A', `${at}.type`);
  if (o.rcodes !== undefined) {
    expect.rcodes = strings(o.rcodes, `${at}.rcodes`).map((r) => r.toUpperCase());
    const bad = expect.rcodes.find((r) => !RCODES.includes(r as never));
    if (bad) throw new ConfigError(`${at}.rcodes: unknown rcode ${bad} (known: ${RCODES.join(', ')})`);
  }
  if (o.nonEmpty !== undefined) {
    if (typeof o.nonEmpty !== 'boolean') throw new ConfigError(`${at}.nonEmpty must be true or false`);
    expect.nonEmpty = o.nonEmpty;
  }
  if (o.include !== undefined) expect.include = answerValues(type, o.include, `${at}.include`);
  if (o.equal !== undefined) expect.equal = answerValues(type, o.equal, `${at}.equal`);
  if (o.maxLatency !== undefined) expect.maxLatencyMs = duration(o.maxLatency, `${at}.maxLatency`, 1, LIMITS.timeoutMs);
  if (Object.keys(expect).length === 0) expect.nonEmpty = true;
  if (o.external !== undefined && typeof o.external !== 'boolean') throw new ConfigError(`${at}.external must be true or false`);
  return {
    name: dnsName(o.name, `${at}.name`),
    type,
    expect,
    ...(o.external !== undefined ? { external: o.external as boolean } : {}),
  };
}

function parseTransports(v: unknown): Transport[] {
  const list = typeof v === 'string' ? v.split(',').map((s) => s.trim()) : v;
  if (!Array.isArray(list) || list.length === 0 || !list.every((t) => TRANSPORTS.includes(t as Transport)))
    throw new ConfigError('transports must be a list of udp and tcp');
  return [...new Set(list as Transport[])];
}

/** Parses the config file's text; errors are one line starting with the file name. */
export function parsePlanConfig(text: string, file: string): PlanConfig {
  const fail = (problem: string): never => {
    throw new ConfigError(`${file}: ${problem}`);
  };
  let doc: unknown;
  try {
    doc = parse(text, { prettyErrors: false });
  } catch (err) {
    return fail(`not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (doc === null || doc === undefined) return { checks: [] };
  if (!isObject(doc)) return fail(`must be a YAML mapping starting with apiVersion: ${CONFIG_API_VERSION} (see docs/config.md)`);
  try {
    if (doc.apiVersion !== CONFIG_API_VERSION)
      throw new ConfigError(doc.apiVersion === undefined ? `apiVersion missing: add "apiVersion: ${CONFIG_API_VERSION}"` : `apiVersion ${JSON.stringify(doc.apiVersion)} is not supported (this version reads ${CONFIG_API_VERSION})`);
    const unknown = Object.keys(doc).find((k) => !KNOWN_KEYS.has(k));
    if (unknown) throw new ConfigError(`unknown key "${unknown}" (known: ${[...KNOWN_KEYS].join(', ')}; see docs/config.md)`);
    const config: PlanConfig = { checks: [] };
    if (doc.samples !== undefined) config.samples = int(doc.samples, 'samples', 1, LIMITS.samples);
    if (doc.timeout !== undefined) config.timeoutMs = duration(doc.timeout, 'timeout', 1, LIMITS.timeoutMs);
    if (doc.transports !== undefined) config.transports = parseTransports(doc.transports);
    if (doc.external === false) config.externalName = null;
    else if (doc.external !== undefined && doc.external !== true) throw new ConfigError('external must be true or false');
    if (doc.externalName !== undefined && config.externalName !== null) config.externalName = dnsName(doc.externalName, 'externalName');
    if (doc.defaultChecks !== undefined && typeof doc.defaultChecks !== 'boolean') throw new ConfigError('defaultChecks must be true or false');
    if (doc.defaultChecks === false) config.disable = [...CHECK_GROUPS];
    else if (doc.disable !== undefined) {
      if (!Array.isArray(doc.disable) || !doc.disable.every((g) => typeof g === 'string')) throw new ConfigError(`disable must be a list of check groups (${CHECK_GROUPS.join(', ')})`);
      try {
        config.disable = parseCheckGroups(doc.disable as string[], 'disable');
      } catch (err) {
        throw new ConfigError((err as Error).message);
      }
    }
    if (doc.checks !== undefined) {
      if (!Array.isArray(doc.checks)) throw new ConfigError('checks must be a list');
      if (doc.checks.length > MAX_CHECKS) throw new ConfigError(`checks: at most ${MAX_CHECKS} checks (the probe runs at most ${LIMITS.queries} queries per plan), got ${doc.checks.length}`);
      config.checks = doc.checks.map((c: unknown, i: number) => {
        const at = `checks[${i}]`;
        if (typeof c === 'string') return parseCheckString(c, at);
        if (isObject(c)) return parseCheckObject(c, at);
        throw new ConfigError(`${at} must be "NAME TYPE [VALUE ...]" or a mapping with name and type`);
      });
    }
    return config;
  } catch (err) {
    if (err instanceof ConfigError) return fail(err.message);
    throw err;
  }
}
