// The typed JSON contract between the orchestrator and the probe program that runs inside the probe
// pod. One versioned schema each way, validated on arrival by both sides: a plan the probe cannot
// trust is rejected with one line, a report the orchestrator cannot trust is a probe failure.
// Zero dependencies: this file is bundled into the probe. The JSON Schemas of both documents are in
// schema/ (docs/contracts.md); test/schema keeps them and these types equal.
import * as v from './validate.ts';
import type { Problem } from './validate.ts';
import { evaluate } from './expect.ts';
import { resultReason, summarize } from './summary.ts';

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
 * I/O-bound; see bench/probe.ts). Only flags every supported Node takes: Node 24 refuses
 * --no-expose-wasm, so Node 20 and 22 print one harmless "disabling flag --expose_wasm" warning on
 * stderr, which the orchestrator reads only when the probe fails (and then its last line).
 */
export const PROBE_NODE_OPTIONS = ['--lite-mode', '--max-semi-space-size=1'] as const;

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

/** node-local: NodeLocal DNSCache's local address (169.254.20.10), answered by the cache on the probe's node. */
export const TARGET_KINDS = ['service', 'pod', 'node-local'] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];

export const VERDICTS = ['pass', 'fail'] as const;
export type CheckVerdict = (typeof VERDICTS)[number];

export const PROBE_ERROR_KINDS = ['plan-invalid', 'internal'] as const;

/** Where a query is sent: the kube-dns Service IP, one CoreDNS pod IP, or the node-local cache's address. */
export interface Target {
  /** Unique within the plan; results refer to it. */
  id: string;
  address: string;
  /** The DNS port (UDP, and TCP unless `tcpPort` is set). */
  port: number;
  /** The TCP DNS port when it differs from `port` (a Service or pod whose UDP and TCP ports differ). */
  tcpPort?: number;
  kind: TargetKind;
  /** Human label: the pod name, or "service kube-dns". */
  label: string;
  /** Ids of the plan's queries asked of this target (a dual-stack pod's second address proves its path with one); absent: every query. */
  queries?: string[];
}

/** The port TCP queries to the target use. */
export const tcpPortOf = (t: Pick<Target, 'port' | 'tcpPort'>): number => t.tcpPort ?? t.port;

/** The queries asked of a target, in plan order. */
export function queriesOf(plan: Pick<CheckPlan, 'queries'>, target: Pick<Target, 'queries'>): Query[] {
  const asked = target.queries;
  return asked ? plan.queries.filter((q) => asked.includes(q.id)) : plan.queries;
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
 * error), path (the orchestrator could not reach the target through the Kubernetes API — a port-forward
 * tunnel the API server refused — so the sample says nothing about the target; only in-process modes
 * set it). Answer-level: server-failure (SERVFAIL, REFUSED, NOTIMP, FORMERR when not allowed),
 * unexpected-rcode (e.g. NXDOMAIN for a name that must exist), wrong-answer, slow.
 */
export const OUTCOMES = [
  'ok',
  'timeout',
  'refused',
  'unreachable',
  'malformed',
  'io',
  'path',
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
  verdict: CheckVerdict;
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
  kind: (typeof PROBE_ERROR_KINDS)[number];
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
// Validation, with the kit of src/probe/validate.ts. The validators are at least as strict as the JSON
// Schemas (schema/probe-plan.v1.json, schema/probe-report.v1.json; test/schema checks that every
// document they accept is valid there) and add what a schema cannot say: ids unique and planned,
// counts that add up, outcomes consistent with their rcode and latency. Each returns the first problem
// as one readable line, or null.

const id = v.str({ max: 128 });
const label = v.str({ max: 256 });
const port = v.int(1, 65535);
const text = v.str({ min: 0, max: 65_535 });
const values = v.list(v.str({ max: 1024 }), { max: LIMITS.expectValues });
const ms = v.num({ min: 0 });

const dnsName = v.refine(v.str({ max: LIMITS.nameLength, pattern: /^[A-Za-z0-9_.*-]+\.?$/, what: 'a DNS name' }), (name) =>
  // Label lengths above 63 or empty labels ("a..b") cannot be encoded as a question.
  name !== '.' && name.replace(/\.$/, '').split('.').some((l) => l.length === 0 || l.length > 63) ? 'must have labels of 1 to 63 characters' : null);

/** Why `name` cannot be asked as a question (a label over 63 characters, a control character…), or null. */
export const dnsNameProblem = (name: string): string | null => dnsName(name, 'the name');

const target = v.object({
  id,
  address: v.ip,
  port,
  tcpPort: v.optional(port),
  kind: v.oneOf(TARGET_KINDS),
  label,
  queries: v.optional(v.list(id, { min: 1, max: LIMITS.queries, unique: String })),
});

const expectation = v.object({
  rcodes: v.optional(values),
  nonEmpty: v.optional(v.bool),
  include: v.optional(values),
  equal: v.optional(values),
  maxLatencyMs: v.optional(v.num({ positive: true })),
});

const query = v.object({
  id,
  name: dnsName,
  type: v.oneOf(RECORD_TYPES),
  expect: expectation,
  external: v.optional(v.bool),
  source: v.optional(v.str({ max: 512 })),
});

const connectCheck = v.object({ id, address: v.ip, port, label });

const clientViewCheck = v.object({ shortName: v.str({ max: LIMITS.nameLength }), pairs: v.int(1, 100), retryAfterMs: v.int(1, LIMITS.timeoutMs) });

const byId = (x: { id: string }): string => x.id;

// Typed as the interfaces: what a validator accepts is a CheckPlan (a ProbeReport) for the compiler too.
const plan: v.Validator<CheckPlan> = v.object({
  schema: v.constant(PLAN_SCHEMA),
  targets: v.list(target, { min: 1, max: LIMITS.targets, unique: byId }),
  queries: v.list(query, { min: 1, max: LIMITS.queries, unique: byId }),
  transports: v.list(v.oneOf(TRANSPORTS), { min: 1, max: TRANSPORTS.length, unique: String }),
  samples: v.int(1, LIMITS.samples),
  timeoutMs: v.int(1, LIMITS.timeoutMs),
  concurrency: v.int(1, LIMITS.concurrency),
  ednsUdpSize: v.optional(v.int(0, 65535)),
  connects: v.optional(v.list(connectCheck, { max: LIMITS.connects, unique: byId })),
  clientView: v.optional(clientViewCheck),
});

/** Checks a parsed plan; returns the first problem as one line, or null when it can run. */
export function validatePlan(p: unknown): Problem {
  if (!v.isObject(p)) return `plan must be a JSON object, got ${v.preview(p)}`;
  // The usual mistakes first, in the words of the limits.
  if (p.schema !== PLAN_SCHEMA) return `plan schema must be "${PLAN_SCHEMA}", got ${v.preview(p.schema)}`;
  if (!Array.isArray(p.targets) || p.targets.length === 0) return 'plan needs at least one target';
  if (p.targets.length > LIMITS.targets) return `plan has more than ${LIMITS.targets} targets`;
  if (!Array.isArray(p.queries) || p.queries.length === 0) return 'plan needs at least one query';
  if (p.queries.length > LIMITS.queries) return `plan has more than ${LIMITS.queries} queries`;
  const problem = plan(p, '');
  if (problem) return problem;
  const planned = new Set((p as unknown as CheckPlan).queries.map(byId));
  for (const [i, t] of (p as unknown as CheckPlan).targets.entries()) {
    const unknown = t.queries?.find((q) => !planned.has(q));
    if (unknown !== undefined) return `targets[${i}].queries names a query the plan does not have: ${v.preview(unknown)}`;
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

// The report, field by field. A string the probe copied from the network (answers, rcodes, details)
// is bounded, never interpreted.
const rcode = v.str({ max: 32 });

const TRANSPORT_FAILURES: ReadonlySet<Outcome> = new Set(['timeout', 'refused', 'unreachable', 'malformed', 'io', 'path']);

const sample = v.refine(
  v.object({
    outcome: v.oneOf(OUTCOMES),
    rcode: v.nullable(rcode),
    answers: v.list(text, { max: 4096 }),
    latencyMs: v.nullable(ms),
    truncated: v.optional(v.bool),
    detail: v.optional(v.str({ max: 4096 })),
  }),
  (s) => {
    const answered = !TRANSPORT_FAILURES.has(s.outcome);
    if (answered !== (s.rcode !== null) || answered !== (s.latencyMs !== null))
      return answered ? `is "${s.outcome}" without an rcode and latency` : `is "${s.outcome}" but has an rcode or latency`;
    if (!answered && s.answers.length > 0) return `is "${s.outcome}" but has answers`;
    if ((s.outcome !== 'ok') !== (s.detail !== undefined)) return s.outcome === 'ok' ? 'is "ok" but has a detail' : `is "${s.outcome}" without a detail`;
    return null;
  },
);

const result = v.refine(
  v.object({
    targetId: id,
    queryId: id,
    transport: v.oneOf(TRANSPORTS),
    samples: v.list(sample, { min: 1, max: LIMITS.samples }),
    verdict: v.oneOf(VERDICTS),
    reason: v.str({ max: 8192 }),
  }),
  (r) => ((r.verdict === 'pass') === r.samples.every((s) => s.outcome === 'ok') ? null : `has verdict "${r.verdict}" that its samples contradict`),
);

const summary = v.refine(
  v.object({ targetId: id, checks: v.int(0, LIMITS.queries * TRANSPORTS.length), failedChecks: v.int(0, LIMITS.queries * TRANSPORTS.length), p50Ms: v.nullable(ms), p99Ms: v.nullable(ms) }),
  (t) => {
    if (t.failedChecks > t.checks) return 'has more failed checks than checks';
    if ((t.p50Ms === null) !== (t.p99Ms === null)) return 'has only one of p50Ms and p99Ms';
    return t.p50Ms !== null && t.p99Ms !== null && t.p50Ms > t.p99Ms ? 'has p50Ms above p99Ms' : null;
  },
);

const connectResult = v.refine(v.object({ id, ok: v.bool, latencyMs: v.nullable(ms), detail: v.optional(v.str({ max: 4096 })) }), (c) =>
  c.ok === (c.latencyMs !== null) ? null : c.ok ? 'is ok without a latency' : 'failed but has a latency');

const count = v.int(0, 1_000_000);
const burst = v.refine(v.object({ targetId: id, queries: count, firstTry: count, afterRetry: count, lost: count }), (b) =>
  b.firstTry + b.afterRetry + b.lost === b.queries ? null : 'counts do not add up to its queries');

const clientView = v.object({
  resolvConf: v.object({ nameservers: v.list(v.str({ max: 1024 }), { max: 64 }), search: v.list(v.str({ max: 1024 }), { max: 64 }), ndots: v.int(0, 15) }),
  lookup: v.object({
    name: v.str({ max: LIMITS.nameLength }),
    tried: v.list(v.object({ name: v.str({ max: 2048 }), a: v.nullable(rcode), aaaa: v.nullable(rcode) }), { max: 65 }),
    answeredAs: v.nullable(v.str({ max: 2048 })),
    glibcQueries: v.int(0, 130),
    muslQueries: v.int(0, 130),
  }),
  bursts: v.list(burst, { max: LIMITS.targets }),
});

const report: v.Validator<ProbeReport> = v.object({
  schema: v.constant(REPORT_SCHEMA),
  probeVersion: v.str({ max: 64 }),
  hostname: v.str({ max: 253 }),
  startedAt: v.time,
  durationMs: ms,
  results: v.list(result, { max: LIMITS.targets * LIMITS.queries * TRANSPORTS.length }),
  targets: v.list(summary, { max: LIMITS.targets }),
  connects: v.optional(v.list(connectResult, { max: LIMITS.connects })),
  clientView: v.optional(clientView),
  error: v.optional(v.object({ kind: v.oneOf(PROBE_ERROR_KINDS), message: v.str({ max: 4096 }) })),
});

/** Every id of `got` is planned and none is missing or repeated. */
function sameIds(got: readonly string[], planned: readonly string[], what: string): Problem {
  const want = new Set(planned);
  const seen = new Set<string>();
  for (const [i, x] of got.entries()) {
    if (!want.has(x)) return `${what}[${i}] is not a planned ${what === 'targets' ? 'target' : what.replace(/s$/, '')}: ${v.preview(x)}`;
    if (seen.has(x)) return `${what}[${i}] repeats ${v.preview(x)}`;
    seen.add(x);
  }
  return seen.size === want.size ? null : `the report has ${seen.size} ${what}, the plan ${want.size}`;
}

/** The outcome the plan's expectation gives an answered sample (a transport failure stays what it is). */
function expectedOutcome(s: Sample, q: Query): Outcome {
  if (s.rcode === null || s.latencyMs === null) return s.outcome;
  return evaluate(q.type, q.expect, { rcode: s.rcode, answers: s.answers, latencyMs: s.latencyMs })?.outcome ?? 'ok';
}

/**
 * The report's contents against the plan it answers: every planned check once with the planned number
 * of samples, each answered sample's outcome what the plan's expectation makes of its answers, each
 * reason and summary what the samples give (src/probe/summary.ts, as the probe computes them).
 */
function answersPlan(r: ProbeReport, p: CheckPlan): Problem {
  const queries = new Map(p.queries.map((q) => [q.id, q]));
  const targets = new Map(p.targets.map((t) => [t.id, t]));
  const transports = new Set<string>(p.transports);
  const seen = new Set<string>();
  const byTarget = new Map<string, CheckResult[]>();
  for (const [i, res] of r.results.entries()) {
    const at = `results[${i}]`;
    const q = queries.get(res.queryId);
    if (!targets.has(res.targetId)) return `${at}.targetId is not a planned target: ${v.preview(res.targetId)}`;
    if (!q) return `${at}.queryId is not a planned query: ${v.preview(res.queryId)}`;
    if (targets.get(res.targetId)!.queries?.includes(res.queryId) === false) return `${at}.queryId ${res.queryId} is not asked of target ${res.targetId}`;
    if (!transports.has(res.transport)) return `${at}.transport is not a planned transport: ${v.preview(res.transport)}`;
    if (res.samples.length !== p.samples) return `${at} has ${res.samples.length} samples, the plan asks for ${p.samples}`;
    const k = `${res.targetId}\u0000${res.queryId}\u0000${res.transport}`;
    if (seen.has(k)) return `${at} repeats the check ${res.targetId}/${res.queryId}/${res.transport}`;
    seen.add(k);
    for (const [j, s] of res.samples.entries()) {
      const want = expectedOutcome(s, q);
      if (want !== s.outcome) return `${at}.samples[${j}] says "${s.outcome}" where its answer is "${want}" for ${q.name} ${q.type}`;
    }
    if (res.reason !== resultReason(res.samples)) return `${at}.reason does not say what its samples say`;
    const list = byTarget.get(res.targetId);
    if (list) list.push(res);
    else byTarget.set(res.targetId, [res]);
  }
  const expected = p.targets.reduce((n, t) => n + queriesOf(p, t).length, 0) * p.transports.length;
  if (r.results.length !== expected) return `probe report has ${r.results.length} results, the plan asks for ${expected}`;
  const summaries = sameIds(r.targets.map((t) => t.targetId), p.targets.map(byId), 'targets');
  if (summaries) return summaries;
  for (const [i, t] of r.targets.entries()) {
    const want = summarize(t.targetId, byTarget.get(t.targetId) ?? []);
    const wrong = (['checks', 'failedChecks', 'p50Ms', 'p99Ms'] as const).find((f) => t[f] !== want[f]);
    if (wrong) return `targets[${i}].${wrong} is ${String(t[wrong])}, its results give ${String(want[wrong])}`;
  }
  if ((r.connects === undefined) !== !p.connects?.length) return p.connects?.length ? 'probe report has no connects, the plan asks for them' : 'probe report has connects the plan did not ask for';
  if (r.connects && p.connects) {
    const problem = sameIds(r.connects.map(byId), p.connects.map(byId), 'connects');
    if (problem) return problem;
  }
  if ((r.clientView === undefined) !== (p.clientView === undefined)) return p.clientView ? 'probe report has no clientView, the plan asks for it' : 'probe report has a clientView the plan did not ask for';
  if (r.clientView && p.clientView) {
    const problem = sameIds(r.clientView.bursts.map((b) => b.targetId), p.targets.map(byId), 'clientView.bursts');
    if (problem) return problem;
    const pairs = p.clientView.pairs;
    const wrong = r.clientView.bursts.findIndex((b) => b.queries !== 2 * pairs);
    if (wrong !== -1) return `clientView.bursts[${wrong}].queries must be ${2 * pairs} (2 × ${pairs} pairs)`;
  }
  return null;
}

/**
 * Checks a probe report: its whole shape (every field's type, the schema, no unknown field), and, given
 * the plan it answers, that every planned check is there once with the planned number of samples and
 * that the summaries count what the results say. Returns the first problem, or null.
 */
export function validateReport(r: unknown, p?: CheckPlan): Problem {
  if (!v.isObject(r)) return `probe output is not a JSON object, got ${v.preview(r)}`;
  if (r.schema !== REPORT_SCHEMA) return `probe report schema must be "${REPORT_SCHEMA}", got ${v.preview(r.schema)}`;
  const shape = report(r, '');
  if (shape) return shape;
  const typed = r as unknown as ProbeReport;
  if (typed.error) return typed.results.length || typed.targets.length ? 'probe report has an error and results' : null;
  return p ? answersPlan(typed, p) : null;
}
