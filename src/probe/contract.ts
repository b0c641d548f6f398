// The typed JSON contract between the orchestrator and the probe program that runs inside the probe
// pod. One versioned schema each way (schema/probe-plan.v1.json, schema/probe-report.v1.json; see
// docs/contracts.md), validated on arrival by both sides: a plan the probe cannot trust is rejected with
// one line, a report the orchestrator cannot trust is a probe failure. The types and the structural
// validators are generated from the schemas (src/contracts/generated, scripts/contracts.mjs); what a
// schema cannot say (ids unique and planned, counts that add up, outcomes consistent with their rcode
// and latency) is checked here. Zero dependencies: this file is bundled into the probe.
import type { CheckPlan, Connect, Query, Target } from '../contracts/generated/probe-plan.ts';
import type { ProbeReport, Result, Sample, Summary } from '../contracts/generated/probe-report.ts';
import { dnsName as dnsNameSchema, plan as planSchema } from '../contracts/generated/probe-plan.validate.ts';
import { report as reportSchema } from '../contracts/generated/probe-report.validate.ts';
import { isObject, preview, problemOf, type Compiled, type Problem, type Words } from '../contracts/validate.ts';
import { evaluate } from './expect.ts';
import { resultReason, summarize } from './summary.ts';

export type { CheckPlan, ProbeReport, Query, Sample, Target };
export type ConnectCheck = Connect;
export type Expectation = Query['expect'];
export type ClientViewCheck = NonNullable<CheckPlan['clientView']>;
export type CheckResult = Result;
export type TargetSummary = Summary;
export type ConnectResult = NonNullable<ProbeReport['connects']>[number];
export type ClientViewResult = NonNullable<ProbeReport['clientView']>;
export type ClientViewBurst = ClientViewResult['bursts'][number];
export type ProbeError = NonNullable<ProbeReport['error']>;
export type Transport = CheckPlan['transports'][number];
export type RecordType = Query['type'];
export type TargetKind = Target['kind'];
export type CheckVerdict = Result['verdict'];
export type Outcome = Sample['outcome'];
/** A response code as the probe names it; a server may send one outside RCODES. */
export type Rcode = string;

export const PLAN_SCHEMA: CheckPlan['schema'] = 'coredns-sentinel/plan/v1';
export const REPORT_SCHEMA: ProbeReport['schema'] = 'coredns-sentinel/report/v1';

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

/**
 * The values of a union type, as a list the compiler holds to it: a value missing from the list or not
 * in the type fails the type check, so these lists cannot drift from the schemas' enums.
 */
const allOf = <T extends string>() => <const L extends readonly T[]>(values: L & ([T] extends [L[number]] ? unknown : never)): L => values;

export const TRANSPORTS = allOf<Transport>()(['udp', 'tcp']);
export const RECORD_TYPES = allOf<RecordType>()(['A', 'AAAA', 'SRV', 'PTR', 'CNAME', 'TXT']);
export const RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'] as const;
/** node-local: NodeLocal DNSCache's local address (169.254.20.10), answered by the cache on the probe's node. */
export const TARGET_KINDS = allOf<TargetKind>()(['service', 'pod', 'node-local']);
export const VERDICTS = allOf<CheckVerdict>()(['pass', 'fail']);
export const PROBE_ERROR_KINDS = allOf<ProbeError['kind']>()(['plan-invalid', 'internal']);

/** The port TCP queries to the target use. */
export const tcpPortOf = (t: Pick<Target, 'port' | 'tcpPort'>): number => t.tcpPort ?? t.port;

/** The queries asked of a target, in plan order. */
export function queriesOf(plan: Pick<CheckPlan, 'queries'>, target: Pick<Target, 'queries'>): Query[] {
  const asked = target.queries;
  return asked ? plan.queries.filter((q) => asked.includes(q.id)) : plan.queries;
}

/**
 * One sample's outcome. Transport-level: timeout, refused (ICMP port unreachable / TCP RST),
 * unreachable (no route / network down), malformed (unparsable or mismatched response), io (other socket
 * error), path (the orchestrator could not reach the target through the Kubernetes API — a port-forward
 * tunnel the API server refused — so the sample says nothing about the target; only in-process modes
 * set it). Answer-level: server-failure (SERVFAIL, REFUSED, NOTIMP, FORMERR when not allowed),
 * unexpected-rcode (e.g. NXDOMAIN for a name that must exist), wrong-answer, slow.
 */
export const OUTCOMES = allOf<Outcome>()(['ok', 'timeout', 'refused', 'unreachable', 'malformed', 'io', 'path', 'server-failure', 'unexpected-rcode', 'wrong-answer', 'slow']);

// ---------------------------------------------------------------------------------------------
// Validation: the compiled schema first, then what a schema cannot say. Each returns the first problem
// as one readable line, or null.

/** The patterns' meaning, for the lines (src/contracts/validate.ts). */
const DNS_NAME = 'a DNS name (labels of 1 to 63 letters, digits, "_", "*" or "-")';
const WORDS: Words = { '/$defs/ipAddress/pattern': 'an IP address', '/$defs/dnsName/pattern': DNS_NAME, '/$defs/timestamp/pattern': 'an ISO 8601 timestamp' };

/** Why `name` cannot be asked as a question (a label over 63 characters, a control character…), or null. */
export const dnsNameProblem = (name: string): string | null => problemOf(dnsNameSchema as Compiled, name, 'the name', { '#/pattern': DNS_NAME });

/** The first id repeated among `items`, as a problem at `at[i]`, or null. */
function repeatedId(items: readonly { id: string }[], at: string): Problem {
  const seen = new Set<string>();
  for (const [i, x] of items.entries()) {
    if (seen.has(x.id)) return `${at}[${i}] repeats ${preview(x.id)}`;
    seen.add(x.id);
  }
  return null;
}

/** Checks a parsed plan; returns the first problem as one line, or null when it can run. */
export function validatePlan(p: unknown): Problem {
  if (!isObject(p)) return `plan must be a JSON object, got ${preview(p)}`;
  // The usual mistakes first, in the words of the limits.
  if (p.schema !== PLAN_SCHEMA) return `plan schema must be "${PLAN_SCHEMA}", got ${preview(p.schema)}`;
  if (!Array.isArray(p.targets) || p.targets.length === 0) return 'plan needs at least one target';
  if (p.targets.length > LIMITS.targets) return `plan has more than ${LIMITS.targets} targets`;
  if (!Array.isArray(p.queries) || p.queries.length === 0) return 'plan needs at least one query';
  if (p.queries.length > LIMITS.queries) return `plan has more than ${LIMITS.queries} queries`;
  const problem = problemOf(planSchema as Compiled, p, '', WORDS);
  if (problem) return problem;
  const plan = p as unknown as CheckPlan;
  const repeated = repeatedId(plan.targets, 'targets') ?? repeatedId(plan.queries, 'queries') ?? repeatedId(plan.connects ?? [], 'connects');
  if (repeated) return repeated;
  const planned = new Set(plan.queries.map(byId));
  for (const [i, t] of plan.targets.entries()) {
    const unknown = t.queries?.find((q) => !planned.has(q));
    if (unknown !== undefined) return `targets[${i}].queries names a query the plan does not have: ${preview(unknown)}`;
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

const byId = (x: { id: string }): string => x.id;

const TRANSPORT_FAILURES: ReadonlySet<Outcome> = new Set(['timeout', 'refused', 'unreachable', 'malformed', 'io', 'path']);

/** A sample consistent with itself: answered ones have an rcode and a latency, failures a detail. */
function sampleProblem(s: Sample): string | null {
  const answered = !TRANSPORT_FAILURES.has(s.outcome);
  if (answered !== (s.rcode !== null) || answered !== (s.latencyMs !== null))
    return answered ? `is "${s.outcome}" without an rcode and latency` : `is "${s.outcome}" but has an rcode or latency`;
  if (!answered && s.answers.length > 0) return `is "${s.outcome}" but has answers`;
  if ((s.outcome !== 'ok') !== (s.detail !== undefined)) return s.outcome === 'ok' ? 'is "ok" but has a detail' : `is "${s.outcome}" without a detail`;
  return null;
}

/** What the schema cannot say of a report on its own: each part consistent with itself. */
function consistent(r: ProbeReport): Problem {
  for (const [i, res] of r.results.entries()) {
    for (const [j, s] of res.samples.entries()) {
      const problem = sampleProblem(s);
      if (problem) return `results[${i}].samples[${j}] ${problem}`;
    }
    if ((res.verdict === 'pass') !== res.samples.every((s) => s.outcome === 'ok')) return `results[${i}] has verdict "${res.verdict}" that its samples contradict`;
  }
  for (const [i, t] of r.targets.entries()) {
    if (t.failedChecks > t.checks) return `targets[${i}] has more failed checks than checks`;
    if ((t.p50Ms === null) !== (t.p99Ms === null)) return `targets[${i}] has only one of p50Ms and p99Ms`;
    if (t.p50Ms !== null && t.p99Ms !== null && t.p50Ms > t.p99Ms) return `targets[${i}] has p50Ms above p99Ms`;
  }
  for (const [i, c] of (r.connects ?? []).entries()) {
    if (c.ok !== (c.latencyMs !== null)) return `connects[${i}] ${c.ok ? 'is ok without a latency' : 'failed but has a latency'}`;
  }
  for (const [i, b] of (r.clientView?.bursts ?? []).entries()) {
    if (b.firstTry + b.afterRetry + b.lost !== b.queries) return `clientView.bursts[${i}] counts do not add up to its queries`;
  }
  return null;
}

/** Every id of `got` is planned and none is missing or repeated. */
function sameIds(got: readonly string[], planned: readonly string[], what: string): Problem {
  const want = new Set(planned);
  const seen = new Set<string>();
  for (const [i, x] of got.entries()) {
    if (!want.has(x)) return `${what}[${i}] is not a planned ${what === 'targets' ? 'target' : what.replace(/s$/, '')}: ${preview(x)}`;
    if (seen.has(x)) return `${what}[${i}] repeats ${preview(x)}`;
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
    if (!targets.has(res.targetId)) return `${at}.targetId is not a planned target: ${preview(res.targetId)}`;
    if (!q) return `${at}.queryId is not a planned query: ${preview(res.queryId)}`;
    if (targets.get(res.targetId)!.queries?.includes(res.queryId) === false) return `${at}.queryId ${res.queryId} is not asked of target ${res.targetId}`;
    if (!transports.has(res.transport)) return `${at}.transport is not a planned transport: ${preview(res.transport)}`;
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
  if (!isObject(r)) return `probe output is not a JSON object, got ${preview(r)}`;
  if (r.schema !== REPORT_SCHEMA) return `probe report schema must be "${REPORT_SCHEMA}", got ${preview(r.schema)}`;
  const shape = problemOf(reportSchema as Compiled, r, '', WORDS);
  if (shape) return shape;
  const typed = r as unknown as ProbeReport;
  const inconsistent = consistent(typed);
  if (inconsistent) return inconsistent;
  if (typed.error) return typed.results.length || typed.targets.length ? 'probe report has an error and results' : null;
  return p ? answersPlan(typed, p) : null;
}
