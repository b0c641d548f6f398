// The typed JSON contract between the orchestrator and the probe program that runs inside the probe
// pod. One versioned schema each way, validated on arrival by both sides: a plan the probe cannot
// trust is rejected with one line, a report the orchestrator cannot trust is a probe failure.
// Zero dependencies: this file is bundled into the probe.

export const PLAN_SCHEMA = 'coredns-sentinel/plan/v1';
export const REPORT_SCHEMA = 'coredns-sentinel/report/v1';

/** Probe process exit codes. */
export const PROBE_EXIT = {
  /** The plan ran; verdicts are in the report, whatever they are. */
  ran: 0,
  /** The plan was missing, unreadable, oversized or invalid. A report with `error` is still printed. */
  planInvalid: 2,
  /** A bug or an environment failure inside the probe. */
  internal: 3,
} as const;

/**
 * Node options to run the probe with, in the image's ENTRYPOINT and for inline `node -e` delivery:
 * no optimizing JIT and a 1 MiB young generation keep peak RSS near Node's own floor (the probe is
 * I/O-bound; see bench/probe.ts). --no-expose-wasm silences the warning --lite-mode prints otherwise.
 */
export const PROBE_NODE_OPTIONS = ['--lite-mode', '--max-semi-space-size=1', '--no-expose-wasm'] as const;

export const LIMITS = {
  planBytes: 1024 * 1024,
  targets: 2000,
  queries: 200,
  samples: 20,
  timeoutMs: 30_000,
  concurrency: 1024,
  nameLength: 253,
  expectValues: 256,
  connects: 16,
} as const;

export const TRANSPORTS = ['udp', 'tcp'] as const;
export type Transport = (typeof TRANSPORTS)[number];

export const RECORD_TYPES = ['A', 'AAAA', 'SRV', 'PTR', 'CNAME', 'TXT'] as const;
export type RecordType = (typeof RECORD_TYPES)[number];

export const RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'] as const;
export type Rcode = (typeof RCODES)[number] | string;

/** Where a query is sent: the kube-dns Service IP or one CoreDNS pod IP. */
export interface Target {
  /** Unique within the plan; results refer to it. */
  id: string;
  address: string;
  port: number;
  kind: 'service' | 'pod';
  /** Human label: the pod name, or "service kube-dns". */
  label: string;
}

/**
 * What the answer must be. Answers are compared in normalized text form:
 *  A/AAAA  the address in canonical form ("10.96.0.1", "fd00::1")
 *  CNAME/PTR  the target name, lowercase, without the trailing dot
 *  SRV  "<port> <target>" (priority and weight vary between servers and are not compared)
 *  TXT  the strings of one record concatenated
 */
export interface Expectation {
  /** Allowed response codes. Default ["NOERROR"]. NXDOMAIN checks use ["NXDOMAIN"]. */
  rcodes?: Rcode[];
  /** At least one answer record of the queried type. */
  nonEmpty?: boolean;
  /** Every listed value must be among the answers. */
  include?: string[];
  /** The answers, as a set, must equal exactly this. */
  equal?: string[];
  /** A sample slower than this fails with outcome "slow". */
  maxLatencyMs?: number;
}

export interface Query {
  /** Unique within the plan; results refer to it. */
  id: string;
  name: string;
  type: RecordType;
  expect: Expectation;
  /** True for names outside the cluster's zones (answered through the upstream). */
  external?: boolean;
  /** Where the check came from, for the report ("stub consul.local → 10.150.0.1 (Corefile block …)"). Not used by the probe. */
  source?: string;
}

/**
 * A TCP connect the probe makes to prove its own network path, independent of DNS (e.g. the kubernetes
 * Service ClusterIP:443): lets the judge tell "every DNS pod fails" from "the probe's node is cut off".
 */
export interface ConnectCheck {
  id: string;
  address: string;
  port: number;
  /** "kubernetes Service 10.96.0.1:443". */
  label: string;
}

export interface ConnectResult {
  id: string;
  ok: boolean;
  latencyMs: number | null;
  /** Why the connect failed: "timeout after 2000 ms", "ECONNREFUSED". */
  detail?: string;
}

export interface CheckPlan {
  schema: typeof PLAN_SCHEMA;
  targets: Target[];
  queries: Query[];
  transports: Transport[];
  /** Samples per target × query × transport. */
  samples: number;
  timeoutMs: number;
  /** Queries in flight at once across the whole plan. */
  concurrency: number;
  /** EDNS0 UDP payload size advertised; 0 disables EDNS0. Default 1232. */
  ednsUdpSize?: number;
  /** Network evidence: TCP connects made once each, alongside the DNS checks. */
  connects?: ConnectCheck[];
  /** The client's view (src/probe/clientview.ts), run after the checks. */
  clientView?: ClientViewCheck;
}

export interface ClientViewCheck {
  /** Resolved through the pod's resolv.conf search path, e.g. "kubernetes.default". */
  shortName: string;
  /** A+AAAA pairs sent to every target, each pair from a new socket. */
  pairs: number;
  /** The wait before the one retry of an unanswered query, and after it. */
  retryAfterMs: number;
}

export interface ClientViewBurst {
  targetId: string;
  queries: number;
  firstTry: number;
  /** Answered only after the retry: what a client sees as a resolver timeout (5 s with glibc's default). */
  afterRetry: number;
  lost: number;
}

export interface ClientViewResult {
  resolvConf: { nameservers: string[]; search: string[]; ndots: number };
  lookup: {
    name: string;
    /** Every candidate of the search path, with the rcodes of its A and AAAA (null: no answer). */
    tried: { name: string; a: Rcode | null; aaaa: Rcode | null }[];
    /** The candidate with an address, as glibc takes it; null when none had one. */
    answeredAs: string | null;
    glibcQueries: number;
    muslQueries: number;
  };
  bursts: ClientViewBurst[];
}

/**
 * One sample's outcome. Transport-level: timeout, refused (ICMP port unreachable / TCP RST),
 * unreachable (no route / network down), malformed (unparsable or mismatched response), io (other socket
 * error). Answer-level: server-failure (SERVFAIL, REFUSED, NOTIMP, FORMERR when not allowed),
 * unexpected-rcode (e.g. NXDOMAIN for a name that must exist), wrong-answer, slow.
 */
export const OUTCOMES = [
  'ok',
  'timeout',
  'refused',
  'unreachable',
  'malformed',
  'io',
  'server-failure',
  'unexpected-rcode',
  'wrong-answer',
  'slow',
] as const;
export type Outcome = (typeof OUTCOMES)[number];

export interface Sample {
  outcome: Outcome;
  rcode: Rcode | null;
  /** Normalized answers of the queried type (see Expectation). */
  answers: string[];
  /** Round trip in milliseconds with microsecond precision; null when no response arrived. */
  latencyMs: number | null;
  /** The UDP answer had TC set; the sample was retried over TCP and `answers` come from TCP. */
  truncated?: boolean;
  /** Readable reason when outcome is not ok: "expected 10.96.0.1, got 10.96.0.9". */
  detail?: string;
}

export interface CheckResult {
  targetId: string;
  queryId: string;
  transport: Transport;
  samples: Sample[];
  /** pass when every sample is ok. The judge applies its own k-of-n thresholds to `samples`. */
  verdict: 'pass' | 'fail';
  /** "ok", or the first failing sample's detail with a count: "2/3 samples failed: timeout after 2000 ms". */
  reason: string;
}

export interface TargetSummary {
  targetId: string;
  checks: number;
  failedChecks: number;
  /** Over all answered samples of this target; null when none answered. */
  p50Ms: number | null;
  p99Ms: number | null;
}

export interface ProbeError {
  kind: 'plan-invalid' | 'internal';
  message: string;
}

export interface ProbeReport {
  schema: typeof REPORT_SCHEMA;
  probeVersion: string;
  /** Hostname of the probe (the pod name inside Kubernetes). */
  hostname: string;
  startedAt: string;
  durationMs: number;
  results: CheckResult[];
  targets: TargetSummary[];
  /** One per planned connect check. */
  connects?: ConnectResult[];
  /** When the plan asked for the client's view. */
  clientView?: ClientViewResult;
  /** Present (and results empty) when the plan could not run. */
  error?: ProbeError;
}

// ---------------------------------------------------------------------------------------------
// Validation. Each validator returns the first problem as one readable line, or null.

type Problem = string | null;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const isInt = (v: unknown, min: number, max: number): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;

const isShortString = (v: unknown, max: number = LIMITS.nameLength): v is string =>
  typeof v === 'string' && v.length > 0 && v.length <= max;

/** A short description of an untrusted value; never serializes it (deep nesting would overflow the stack). */
function preview(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.slice(0, 80));
  if (v === null || typeof v === 'number' || typeof v === 'boolean') return String(v);
  return Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'an object' : 'nothing';
}

function isIpAddress(v: string): boolean {
  const v4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
  if (v4.test(v)) return true;
  return /^[0-9a-fA-F:.]+$/.test(v) && v.includes(':') && v.length <= 45;
}

function stringList(v: unknown, what: string): Problem {
  if (!Array.isArray(v)) return `${what} must be a list of strings`;
  if (v.length > LIMITS.expectValues) return `${what} has more than ${LIMITS.expectValues} values`;
  if (!v.every((s) => isShortString(s, 1024))) return `${what} must hold non-empty strings`;
  return null;
}

function validateTarget(t: unknown, i: number): Problem {
  const at = `targets[${i}]`;
  if (!isObject(t)) return `${at} must be an object`;
  if (!isShortString(t.id, 128)) return `${at}.id must be a non-empty string`;
  if (typeof t.address !== 'string' || !isIpAddress(t.address)) return `${at}.address must be an IP address`;
  if (!isInt(t.port, 1, 65535)) return `${at}.port must be an integer from 1 to 65535`;
  if (t.kind !== 'service' && t.kind !== 'pod') return `${at}.kind must be "service" or "pod"`;
  if (!isShortString(t.label, 256)) return `${at}.label must be a non-empty string`;
  return null;
}

function validateExpectation(e: unknown, at: string): Problem {
  if (!isObject(e)) return `${at} must be an object`;
  if (e.rcodes !== undefined) {
    const p = stringList(e.rcodes, `${at}.rcodes`);
    if (p) return p;
  }
  if (e.nonEmpty !== undefined && typeof e.nonEmpty !== 'boolean') return `${at}.nonEmpty must be true or false`;
  for (const key of ['include', 'equal'] as const) {
    if (e[key] !== undefined) {
      const p = stringList(e[key], `${at}.${key}`);
      if (p) return p;
    }
  }
  if (e.maxLatencyMs !== undefined && !(typeof e.maxLatencyMs === 'number' && e.maxLatencyMs > 0))
    return `${at}.maxLatencyMs must be a positive number`;
  return null;
}

function validateQuery(q: unknown, i: number): Problem {
  const at = `queries[${i}]`;
  if (!isObject(q)) return `${at} must be an object`;
  if (!isShortString(q.id, 128)) return `${at}.id must be a non-empty string`;
  if (!isShortString(q.name) || !/^[A-Za-z0-9_.*-]+\.?$/.test(q.name)) return `${at}.name must be a DNS name`;
  // Label lengths above 63 or empty labels ("a..b") cannot be encoded as a question.
  if (q.name !== '.' && q.name.replace(/\.$/, '').split('.').some((l) => l.length === 0 || l.length > 63))
    return `${at}.name must have labels of 1 to 63 characters`;
  if (!RECORD_TYPES.includes(q.type as RecordType)) return `${at}.type must be one of ${RECORD_TYPES.join(', ')}`;
  if (q.external !== undefined && typeof q.external !== 'boolean') return `${at}.external must be true or false`;
  if (q.source !== undefined && !isShortString(q.source, 512)) return `${at}.source must be a non-empty string of at most 512 characters`;
  return validateExpectation(q.expect, `${at}.expect`);
}

function uniqueIds(items: { id: string }[], what: string): Problem {
  const seen = new Set<string>();
  for (const { id } of items) {
    if (seen.has(id)) return `${what} id "${id}" is used twice`;
    seen.add(id);
  }
  return null;
}

/** Checks a parsed plan; returns the first problem as one line, or null when it can run. */
export function validatePlan(p: unknown): Problem {
  if (!isObject(p)) return 'plan must be a JSON object';
  if (p.schema !== PLAN_SCHEMA) return `plan schema must be "${PLAN_SCHEMA}", got ${preview(p.schema)}`;
  if (!Array.isArray(p.targets) || p.targets.length === 0) return 'plan needs at least one target';
  if (p.targets.length > LIMITS.targets) return `plan has more than ${LIMITS.targets} targets`;
  if (!Array.isArray(p.queries) || p.queries.length === 0) return 'plan needs at least one query';
  if (p.queries.length > LIMITS.queries) return `plan has more than ${LIMITS.queries} queries`;
  for (const [i, t] of p.targets.entries()) {
    const problem = validateTarget(t, i);
    if (problem) return problem;
  }
  for (const [i, q] of p.queries.entries()) {
    const problem = validateQuery(q, i);
    if (problem) return problem;
  }
  const dup = uniqueIds(p.targets as Target[], 'target') ?? uniqueIds(p.queries as Query[], 'query');
  if (dup) return dup;
  if (!Array.isArray(p.transports) || p.transports.length === 0 || !p.transports.every((t) => TRANSPORTS.includes(t)))
    return 'transports must be a non-empty list of "udp" and "tcp"';
  if (!isInt(p.samples, 1, LIMITS.samples)) return `samples must be an integer from 1 to ${LIMITS.samples}`;
  if (!isInt(p.timeoutMs, 1, LIMITS.timeoutMs)) return `timeoutMs must be an integer from 1 to ${LIMITS.timeoutMs}`;
  if (!isInt(p.concurrency, 1, LIMITS.concurrency)) return `concurrency must be an integer from 1 to ${LIMITS.concurrency}`;
  if (p.ednsUdpSize !== undefined && !isInt(p.ednsUdpSize, 0, 65535)) return 'ednsUdpSize must be an integer from 0 to 65535';
  if (p.connects !== undefined) {
    if (!Array.isArray(p.connects) || p.connects.length > LIMITS.connects) return `connects must be a list of at most ${LIMITS.connects} checks`;
    for (const [i, c] of p.connects.entries()) {
      const at = `connects[${i}]`;
      if (!isObject(c) || !isShortString(c.id, 128)) return `${at}.id must be a non-empty string`;
      if (typeof c.address !== 'string' || !isIpAddress(c.address)) return `${at}.address must be an IP address`;
      if (!isInt(c.port, 1, 65535)) return `${at}.port must be an integer from 1 to 65535`;
      if (!isShortString(c.label, 256)) return `${at}.label must be a non-empty string`;
    }
    const dupConnect = uniqueIds(p.connects as ConnectCheck[], 'connect');
    if (dupConnect) return dupConnect;
  }
  if (p.clientView !== undefined) {
    const c = p.clientView;
    if (!isObject(c) || !isShortString(c.shortName, LIMITS.nameLength)) return 'clientView.shortName must be a name';
    if (!isInt(c.pairs, 1, 100)) return 'clientView.pairs must be an integer from 1 to 100';
    if (!isInt(c.retryAfterMs, 1, LIMITS.timeoutMs)) return `clientView.retryAfterMs must be an integer from 1 to ${LIMITS.timeoutMs}`;
  }
  return null;
}

/** Parses plan text (size-limited) into a CheckPlan or throws an Error with one readable line. */
export function parsePlan(text: string): CheckPlan {
  if (Buffer.byteLength(text) > LIMITS.planBytes) throw new Error(`plan is larger than ${LIMITS.planBytes} bytes`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new Error(`plan is not valid JSON: ${(err as Error).message}`);
  }
  const problem = validatePlan(parsed);
  if (problem) throw new Error(problem);
  return parsed as CheckPlan;
}

function validateSample(s: unknown, at: string): Problem {
  if (!isObject(s)) return `${at} must be an object`;
  if (!OUTCOMES.includes(s.outcome as Outcome)) return `${at}.outcome is not a known outcome`;
  if (s.rcode !== null && typeof s.rcode !== 'string') return `${at}.rcode must be a string or null`;
  if (!Array.isArray(s.answers) || !s.answers.every((a) => typeof a === 'string')) return `${at}.answers must be strings`;
  if (s.latencyMs !== null && typeof s.latencyMs !== 'number') return `${at}.latencyMs must be a number or null`;
  return null;
}

/**
 * Checks a probe report against the plan it answers: schema, every result refers to a planned target,
 * query and transport. Returns the first problem, or null.
 */
export function validateReport(r: unknown, plan?: CheckPlan): Problem {
  if (!isObject(r)) return 'probe output is not a JSON object';
  if (r.schema !== REPORT_SCHEMA) return `probe report schema must be "${REPORT_SCHEMA}", got ${preview(r.schema)}`;
  if (r.error !== undefined) {
    if (!isObject(r.error) || typeof r.error.message !== 'string') return 'probe report error must have a message';
    return null;
  }
  if (!Array.isArray(r.results)) return 'probe report has no results list';
  if (!Array.isArray(r.targets)) return 'probe report has no targets list';
  const targets = plan ? new Set(plan.targets.map((t) => t.id)) : null;
  const queries = plan ? new Set(plan.queries.map((q) => q.id)) : null;
  for (const [i, res] of r.results.entries()) {
    const at = `results[${i}]`;
    if (!isObject(res)) return `${at} must be an object`;
    if (typeof res.targetId !== 'string' || (targets && !targets.has(res.targetId))) return `${at}.targetId is not a planned target`;
    if (typeof res.queryId !== 'string' || (queries && !queries.has(res.queryId))) return `${at}.queryId is not a planned query`;
    if (!TRANSPORTS.includes(res.transport as Transport)) return `${at}.transport must be udp or tcp`;
    if (res.verdict !== 'pass' && res.verdict !== 'fail') return `${at}.verdict must be pass or fail`;
    if (typeof res.reason !== 'string') return `${at}.reason must be a string`;
    if (!Array.isArray(res.samples)) return `${at}.samples must be a list`;
    for (const [j, s] of res.samples.entries()) {
      const problem = validateSample(s, `${at}.samples[${j}]`);
      if (problem) return problem;
    }
  }
  if (r.connects !== undefined) {
    if (!Array.isArray(r.connects)) return 'probe report connects must be a list';
    const planned = plan ? new Set((plan.connects ?? []).map((c) => c.id)) : null;
    for (const [i, c] of r.connects.entries()) {
      const at = `connects[${i}]`;
      if (!isObject(c) || typeof c.id !== 'string' || (planned && !planned.has(c.id))) return `${at}.id is not a planned connect`;
      if (typeof c.ok !== 'boolean') return `${at}.ok must be true or false`;
      if (c.latencyMs !== null && typeof c.latencyMs !== 'number') return `${at}.latencyMs must be a number or null`;
    }
  }
  if (r.clientView !== undefined) {
    const c = r.clientView;
    if (!isObject(c) || !isObject(c.lookup) || !Array.isArray(c.bursts) || !isObject(c.resolvConf)) return 'probe report clientView must have resolvConf, lookup and bursts';
    const planned = plan ? new Set(plan.targets.map((t) => t.id)) : null;
    for (const [i, b] of c.bursts.entries()) {
      const at = `clientView.bursts[${i}]`;
      if (!isObject(b) || typeof b.targetId !== 'string' || (planned && !planned.has(b.targetId))) return `${at}.targetId is not a planned target`;
      if (![b.queries, b.firstTry, b.afterRetry, b.lost].every((n) => isInt(n, 0, 1_000_000))) return `${at} counts must be integers`;
      if ((b.firstTry as number) + (b.afterRetry as number) + (b.lost as number) !== b.queries) return `${at} counts do not add up to its queries`;
    }
    if (!isInt(c.lookup.glibcQueries, 0, 1000) || !isInt(c.lookup.muslQueries, 0, 1000)) return 'clientView.lookup query counts must be integers';
  }
  if (plan) {
    const expected = plan.targets.length * plan.queries.length * plan.transports.length;
    if (r.results.length !== expected) return `probe report has ${r.results.length} results, the plan asks for ${expected}`;
  }
  return null;
}
