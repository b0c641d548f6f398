// The user's YAML config file: extra checks and plan defaults. Pure: text in, typed config or one
// ConfigError line out (naming the file and the problem).
import { parse } from 'yaml';
import { LIMITS, RCODES, RECORD_TYPES, TRANSPORTS, type Expectation, type RecordType, type Transport } from '../probe/contract.ts';

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
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const DNS_NAME = /^(?=.{1,253}\.?$)[A-Za-z0-9_*]([A-Za-z0-9_-]{0,62})(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,62}))*\.?$/;
const KNOWN_KEYS = new Set(['samples', 'timeoutMs', 'timeout', 'transports', 'externalName', 'external', 'checks']);
const CHECK_KEYS = new Set(['name', 'type', 'rcodes', 'nonEmpty', 'include', 'equal', 'maxLatencyMs', 'external']);

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
  else if (values.length > 0) spec.expect = { include: values.map((v) => v.replace(/\.$/, '').toLowerCase()) };
  return spec;
}

function parseCheckObject(o: Record<string, unknown>, at: string): CheckSpec {
  const unknown = Object.keys(o).find((k) => !CHECK_KEYS.has(k));
  if (unknown) throw new ConfigError(`${at}: unknown key "${unknown}" (known: ${[...CHECK_KEYS].join(', ')})`);
  const expect: Expectation = {};
  if (o.rcodes !== undefined) {
    expect.rcodes = strings(o.rcodes, `${at}.rcodes`).map((r) => r.toUpperCase());
    const bad = expect.rcodes.find((r) => !RCODES.includes(r as never));
    if (bad) throw new ConfigError(`${at}.rcodes: unknown rcode ${bad} (known: ${RCODES.join(', ')})`);
  }
  if (o.nonEmpty !== undefined) {
    if (typeof o.nonEmpty !== 'boolean') throw new ConfigError(`${at}.nonEmpty must be true or false`);
    expect.nonEmpty = o.nonEmpty;
  }
  if (o.include !== undefined) expect.include = strings(o.include, `${at}.include`);
  if (o.equal !== undefined) expect.equal = strings(o.equal, `${at}.equal`);
  if (o.maxLatencyMs !== undefined) expect.maxLatencyMs = int(o.maxLatencyMs, `${at}.maxLatencyMs`, 1, LIMITS.timeoutMs);
  if (Object.keys(expect).length === 0) expect.nonEmpty = true;
  if (o.external !== undefined && typeof o.external !== 'boolean') throw new ConfigError(`${at}.external must be true or false`);
  return {
    name: dnsName(o.name, `${at}.name`),
    type: recordType(o.type ?? 'A', `${at}.type`),
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
  if (!isObject(doc)) return fail('must be a YAML mapping with keys such as checks, samples, timeoutMs');
  try {
    const unknown = Object.keys(doc).find((k) => !KNOWN_KEYS.has(k));
    if (unknown) throw new ConfigError(`unknown key "${unknown}" (known: ${[...KNOWN_KEYS].join(', ')})`);
    const config: PlanConfig = { checks: [] };
    if (doc.samples !== undefined) config.samples = int(doc.samples, 'samples', 1, LIMITS.samples);
    const timeout = doc.timeoutMs ?? doc.timeout;
    if (timeout !== undefined) config.timeoutMs = int(timeout, 'timeoutMs', 1, LIMITS.timeoutMs);
    if (doc.transports !== undefined) config.transports = parseTransports(doc.transports);
    if (doc.external === false) config.externalName = null;
    else if (doc.external !== undefined && doc.external !== true) throw new ConfigError('external must be true or false');
    if (doc.externalName !== undefined && config.externalName !== null) config.externalName = dnsName(doc.externalName, 'externalName');
    if (doc.checks !== undefined) {
      if (!Array.isArray(doc.checks)) throw new ConfigError('checks must be a list');
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
