// The contracts cannot drift: the types and validators in src/contracts/generated are regenerated from
// schema/*.json here and must equal the committed files byte for byte (the build rewrites them; a
// schema changed without them, or a generated file edited by hand, fails). The validators compiled
// from the schemas reject each kind of broken document, and the probe bundle carrying the plan's
// validator still loads no package.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { builtinModules } from 'node:module';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CONTRACTS, GENERATED_DIR, generateContracts } from '../../scripts/contracts.mjs';
import { validatePlan, validateReport, type CheckPlan, type ProbeReport } from '../../src/probe/contract.ts';
import { doctorReport as doctorSchema } from '../../src/contracts/generated/doctor-report.validate.ts';
import { history as historySchema } from '../../src/contracts/generated/history.validate.ts';
import { problemOf, type Compiled } from '../../src/contracts/validate.ts';
import { parsePlanConfig } from '../../src/plan/config.ts';
import { decodeHistory, emptyHistory, encodeHistory, HISTORY_KEY } from '../../src/repair/history.ts';

const readSchema = (file: string): unknown => JSON.parse(readFileSync(file, 'utf8'));

describe('contracts: generated from schema/, never drifting', function () {
  this.timeout(60_000);
  let generated: Map<string, string>;
  before(async () => {
    generated = await generateContracts();
  });

  it('the committed types and validators are what the schemas generate, and nothing else is there', () => {
    for (const [file, content] of generated) assert.ok(readFileSync(file, 'utf8') === content, `${file} differs from what ${CONTRACTS.find((c) => file.includes(`/${c.module}.`))?.schema} generates: run npm run build and commit it`);
    const present = readdirSync(GENERATED_DIR).filter((f) => f !== 'inputs.sha256').map((f) => `${GENERATED_DIR}/${f}`);
    assert.deepEqual(present.sort(), [...generated.keys()].sort());
  });

  it('a changed schema changes the generated type and validator (the comparison above can fail)', async () => {
    const file = 'schema/probe-report.v1.json';
    const changed = structuredClone(readSchema(file)) as { $defs: { sample: { properties: { outcome: { enum: string[] } } } } };
    changed.$defs.sample.properties.outcome.enum = changed.$defs.sample.properties.outcome.enum.filter((o) => o !== 'slow');
    const other = await generateContracts((f) => (f === file ? changed : readSchema(f)));
    assert.notEqual(other.get(`${GENERATED_DIR}/probe-report.ts`), generated.get(`${GENERATED_DIR}/probe-report.ts`));
    assert.doesNotMatch(other.get(`${GENERATED_DIR}/probe-report.ts`)!, /'slow'/);
    assert.notEqual(other.get(`${GENERATED_DIR}/probe-report.validate.ts`), generated.get(`${GENERATED_DIR}/probe-report.validate.ts`));
  });
});

const PLAN: CheckPlan = {
  schema: 'coredns-sentinel/plan/v1',
  targets: [{ id: 'pod/a', address: '10.0.0.1', port: 53, kind: 'pod', label: 'coredns-a' }],
  queries: [{ id: 'q', name: 'kubernetes.default.svc.cluster.local', type: 'A', expect: { rcodes: ['NOERROR'] } }],
  transports: ['udp'],
  samples: 1,
  timeoutMs: 100,
  concurrency: 1,
};
const ANSWERED = { outcome: 'ok', rcode: 'NOERROR', answers: ['10.96.0.1'], latencyMs: 1.5 };
const REPORT = {
  schema: 'coredns-sentinel/report/v1',
  probeVersion: '0.1.0',
  hostname: 'h',
  startedAt: '2026-01-01T00:00:00.000Z',
  durationMs: 3,
  results: [{ targetId: 'pod/a', queryId: 'q', transport: 'udp', samples: [ANSWERED], verdict: 'pass', reason: 'ok' }],
  targets: [{ targetId: 'pod/a', checks: 1, failedChecks: 0, p50Ms: 1.5, p99Ms: 1.5 }],
} as unknown as ProbeReport;

/** A copy of `doc` with `change` applied to it. */
const edit = <T>(doc: T, change: (d: any) => void): T => { // eslint-disable-line @typescript-eslint/no-explicit-any
  const copy = structuredClone(doc);
  change(copy);
  return copy;
};

describe('contracts: the compiled validators reject each kind of broken document, in one line naming the path', () => {
  it('the unbroken documents pass', () => {
    assert.equal(validatePlan(PLAN), null);
    assert.equal(validateReport(REPORT, PLAN), null);
  });

  const plans: [string, (p: any) => void, string][] = [ // eslint-disable-line @typescript-eslint/no-explicit-any
    ['a field of the wrong type', (p) => (p.samples = '1'), 'samples must be an integer, got "1"'],
    ['a number out of range', (p) => (p.targets[0].port = 70000), 'targets[0].port must be <= 65535, got 70000'],
    ['a required field missing', (p) => delete p.concurrency, 'concurrency is missing'],
    ['an unknown field', (p) => (p.targets[0].colour = 'red'), 'targets[0] has an unknown field "colour"'],
    ['an unknown field at the top', (p) => (p.extra = 1), 'unknown field "extra"'],
    ['a value outside the enum', (p) => (p.queries[0].type = 'MX'), 'queries[0].type must be one of "A", "AAAA", "SRV", "PTR", "CNAME", "TXT", got "MX"'],
    ['a pattern: no IP address', (p) => (p.targets[0].address = 'dns.example'), 'targets[0].address must be an IP address, got "dns.example"'],
    ['a pattern: a label over 63 characters', (p) => (p.queries[0].name = `${'a'.repeat(64)}.example`), `queries[0].name must be a DNS name (labels of 1 to 63 letters, digits, "_", "*" or "-"), got "${'a'.repeat(64)}.example"`],
    ['a repeated item', (p) => (p.transports = ['udp', 'udp']), 'transports[1] repeats "udp"'],
    ['an empty string', (p) => (p.targets[0].label = ''), 'targets[0].label must be a non-empty string'],
    ['cross-field: a repeated id', (p) => p.targets.push({ ...p.targets[0] }), 'targets[1] repeats "pod/a"'],
    ['cross-field: an unplanned query', (p) => (p.targets[0].queries = ['nope']), 'targets[0].queries names a query the plan does not have: "nope"'],
  ];
  for (const [what, change, line] of plans) it(`plan: ${what}`, () => assert.equal(validatePlan(edit(PLAN, change)), line));

  const reports: [string, (r: any) => void, string][] = [ // eslint-disable-line @typescript-eslint/no-explicit-any
    ['an unknown outcome', (r) => (r.results[0].samples[0].outcome = 'fine'), 'results[0].samples[0].outcome must be one of "ok", "timeout", "refused", "unreachable", "malformed", "io", "path", "server-failure", "unexpected-rcode", "wrong-answer", "slow", got "fine"'],
    ['a timestamp that is none', (r) => (r.startedAt = 'yesterday'), 'startedAt must be an ISO 8601 timestamp, got "yesterday"'],
    ['a negative latency', (r) => (r.results[0].samples[0].latencyMs = -1), 'results[0].samples[0].latencyMs must be >= 0, got -1'],
    ['cross-field: p50 above p99', (r) => (r.targets[0].p50Ms = 2), 'targets[0] has p50Ms above p99Ms'],
    ['cross-field: a timeout with an rcode', (r) => Object.assign(r.results[0].samples[0], { outcome: 'timeout', detail: 'timeout after 100 ms' }), 'results[0].samples[0] is "timeout" but has an rcode or latency'],
    ['cross-field: a verdict its samples contradict', (r) => (r.results[0].verdict = 'fail'), 'results[0] has verdict "fail" that its samples contradict'],
    ['cross-field: an answer the expectation refuses', (r) => (r.results[0].samples[0].rcode = 'NXDOMAIN'), 'results[0].samples[0] says "ok" where its answer is "unexpected-rcode" for kubernetes.default.svc.cluster.local A'],
    ['against the plan: a summary its results do not give', (r) => (r.targets[0].checks = 2), 'targets[0].checks is 2, its results give 1'],
  ];
  for (const [what, change, line] of reports) it(`report: ${what}`, () => assert.equal(validateReport(edit(REPORT, change), PLAN), line));

  const configs: [string, string, RegExp][] = [
    ['no apiVersion', 'samples: 3\n', /^c\.yaml: apiVersion missing: add "apiVersion: coredns-sentinel\/config\/v1"$/],
    ['an unknown key', 'sample: 3\n', /^c\.yaml: unknown field "sample" \(known: apiVersion, samples, .*; see docs\/config\.md\)$/],
    ['a check neither string nor mapping', 'checks: [42]\n', /^c\.yaml: checks\[0\] must be "NAME TYPE \[VALUE \.\.\.\]" or a mapping with name and type, got 42$/],
    ['transports in neither form', 'transports: "udp;tcp"\n', /^c\.yaml: transports must be a list of udp and tcp, or "udp,tcp", got "udp;tcp"$/],
    ['cross-field: an answer the type cannot have', 'checks: ["a.example AAAA 10.0.0.1"]\n', /^c\.yaml: checks\[0\]\.include\[0\] is "10\.0\.0\.1", which can never be an answer of a AAAA record \(not an IPv6 address\)$/],
  ];
  for (const [what, text, line] of configs)
    it(`config: ${what}`, () => assert.throws(() => parsePlanConfig(`${what === 'no apiVersion' ? '' : 'apiVersion: coredns-sentinel/config/v1\n'}${text}`, 'c.yaml'), (e: Error) => line.test(e.message)));

  it('history: a written history is valid; a corrupt record is dropped with a warning, the rest kept', () => {
    const restart = { id: 'r1', at: '2026-01-01T00:00:00.000Z', method: 'evict', status: 'done', lineage: 'coredns-a', pods: [{ name: 'coredns-a', uid: 'u', signature: 's' }] };
    const history = { ...emptyHistory(), updatedAt: '2026-01-01T00:00:00.000Z', restarts: [restart, { ...restart, id: 'r2', method: 'reboot' }] };
    assert.equal(problemOf(historySchema as Compiled, { ...history, restarts: [restart] }), null);
    const { history: read, warning } = decodeHistory({ [HISTORY_KEY]: JSON.stringify(history) });
    assert.deepEqual(read.restarts.map((r) => r.id), ['r1']);
    assert.equal(warning, 'repair history in the ConfigMap had 1 unreadable entry (the first: restarts[1].method must be one of "evict", "delete", "rollout", got "reboot"); kept the rest');
    assert.equal(problemOf(historySchema as Compiled, JSON.parse(encodeHistory(read)[HISTORY_KEY]!)), null);
  });

  it('doctor: a report with an unknown mode is refused', () => {
    const report = {
      apiVersion: 'coredns-sentinel/doctor/v1',
      kind: 'DoctorReport',
      facts: { server: 'https://127.0.0.1:6443', api: { version: 'v1.31.0' }, inCluster: false, access: { read: [], modes: {} }, workload: { line: 'kube-system/kube-dns' }, dnsAddresses: 0, probeImage: { ok: true, line: 'ran' } },
      modes: [{ mode: 'direct', canRun: true, missing: [], manifest: 'manifests/rbac-direct.yaml' }],
      auto: { mode: 'direct', why: 'pods routable', cannot: [] },
      exitCode: 0,
    };
    assert.equal(problemOf(doctorSchema as Compiled, report), null);
    assert.equal(problemOf(doctorSchema as Compiled, edit(report, (r) => (r.modes[0].mode = 'ssh'))), 'modes[0].mode must be one of "probe-pod", "port-forward", "direct", "in-cluster", got "ssh"');
  });
});

describe('contracts: the probe bundle keeps no runtime dependency', function () {
  this.timeout(60_000);
  before(() => execFileSync(process.execPath, ['scripts/build.mjs', '--quiet']));

  it('dist/probe.cjs calls require() on built-in modules only (ajv helpers are bundled; their code strings are no calls)', () => {
    const bundle = readFileSync('dist/probe.cjs', 'utf8');
    const required = [...bundle.matchAll(/(?<![\w$'".])require\("([^"]+)"\)/g)].map((m) => m[1]!);
    assert.ok(required.length > 0, 'the pattern finds the bundle\'s require() calls');
    const builtin = new Set(builtinModules);
    assert.deepEqual(required.filter((m) => !builtin.has(m.replace(/^node:/, ''))), []);
  });

  it('copied alone into an empty directory, it validates a plan: refuses a broken one in one line', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'probe-alone-'));
    try {
      copyFileSync('dist/probe.cjs', path.join(dir, 'probe.cjs'));
      const run = spawnSync(process.execPath, ['probe.cjs', '--plan', JSON.stringify({ ...PLAN, samples: 0 })], { cwd: dir, encoding: 'utf8', timeout: 20_000 });
      assert.equal(run.status, 2, run.stderr);
      assert.match(run.stderr, /samples must be >= 1, got 0/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
