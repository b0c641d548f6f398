// The published contracts (schema/, docs/contracts.md): the schemas are valid draft 2020-12 and real
// documents — plans the planner builds, reports the bundled probe prints against dnsmasq — are valid
// against them. The code's types and validators are generated from them (test/schema/generated.test.ts).
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { CheckPlan, ProbeReport } from '../../src/probe/contract.ts';
import { PLAN_SCHEMA, PROBE_NODE_OPTIONS, REPORT_SCHEMA, validateReport } from '../../src/probe/contract.ts';
import { runClientView } from '../../src/probe/clientview.ts';
import { buildPlan, PLAN_DEFAULTS } from '../../src/plan/plan.ts';
import { OUTPUT_API_VERSION, OUTPUT_KIND } from '../../src/report/output.ts';
import { FLEET_KIND } from '../../src/report/fleet.ts';
import { EXIT } from '../../src/common/exit-codes.ts';
import { CONCRETE_MODES } from '../../src/modes/types.ts';
import { CONFIG_API_VERSION } from '../../src/plan/config.ts';
import { HISTORY_SCHEMA } from '../../src/repair/history.ts';
import { dualPod, pods, workload } from '../fixtures/reports.ts';
import { CLUSTER_RECORDS, QUERIES, UPSTREAM_RECORDS, plan, target } from '../probe/cluster.ts';
import { startDnsmasq, stopAllDnsmasq } from '../probe/dnsmasq.ts';
import { claimSubnet } from '../subnets.ts';
import { loadSchema, schemaProblem, SCHEMA_FILES, type SchemaName } from './validate.ts';

const run = promisify(execFile);
const NET = claimSubnet();
const CORE = `${NET}.4.1`;
const UPSTREAM = `${NET}.4.2`;
/** Nothing listens here: refused over UDP and TCP. */
const DEAD = `${NET}.4.9`;

const names = Object.keys(SCHEMA_FILES) as SchemaName[];

describe('contracts: the JSON Schemas in schema/', function () {
  this.timeout(60_000);

  it('are valid draft 2020-12 schemas, versioned in their file names and $id', function () {
    const ajv = new Ajv2020({ strict: true, strictRequired: false });
    for (const name of names) {
      const schema = loadSchema(name);
      assert.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema', name);
      assert.ok(ajv.validateSchema(schema), `${name}: ${ajv.errorsText(ajv.errors)}`);
      const version = /\.(v\d+)\.json$/.exec(SCHEMA_FILES[name])?.[1];
      assert.ok(version && (schema.$id as string).endsWith(`:${version}`), `${SCHEMA_FILES[name]}: $id ${String(schema.$id)} names its version`);
    }
    for (const name of names) assert.equal(schemaProblem(name, {}) === null, false, `${name} rejects an empty object`);
  });

  it('carry the document identifiers the code writes', function () {
    const props = (name: SchemaName) => loadSchema(name).properties as Record<string, { const?: string }>;
    assert.equal(props('plan').schema?.const, PLAN_SCHEMA);
    assert.equal(props('report').schema?.const, REPORT_SCHEMA);
    assert.equal(props('check').apiVersion?.const, OUTPUT_API_VERSION);
    assert.equal(props('check').kind?.const, OUTPUT_KIND);
    assert.equal(props('fleet').apiVersion?.const, OUTPUT_API_VERSION);
    assert.equal(props('fleet').kind?.const, FLEET_KIND);
    assert.equal(props('config').apiVersion?.const, CONFIG_API_VERSION);
    assert.equal(props('history').schema?.const, HISTORY_SCHEMA);
  });

  it("list the values the code writes where its types are wider than the schema's enums: exit codes, modes", function () {
    const sorted = (xs: readonly unknown[]) => [...xs].map(String).sort();
    const check = loadSchema('check') as { $defs: { exitCode: { enum: number[] } }; properties: { mode: { enum: string[] } } };
    assert.deepEqual(sorted(check.$defs.exitCode.enum), sorted(Object.values(EXIT)));
    assert.deepEqual(sorted(check.properties.mode.enum), sorted(CONCRETE_MODES));
    const doctor = loadSchema('doctor') as { properties: { modes: { items: { properties: { mode: { enum: string[] } } } } } };
    assert.deepEqual(sorted(doctor.properties.modes.items.properties.mode.enum), sorted(CONCRETE_MODES));
  });

  describe('real documents are valid', function () {
    let dir: string;
    before(async function () {
      execFileSync(process.execPath, ['scripts/build.mjs', '--quiet']);
      dir = mkdtempSync(path.join(tmpdir(), 'schema-'));
      await startDnsmasq({ address: UPSTREAM, records: UPSTREAM_RECORDS });
      await startDnsmasq({ address: CORE, records: CLUSTER_RECORDS, localZones: ['cluster.local'], upstream: UPSTREAM });
    });
    after(async function () {
      await stopAllDnsmasq();
      rmSync(dir, { recursive: true, force: true });
    });

    const probe = async (p: CheckPlan): Promise<{ code: number; report: unknown }> => {
      const b64 = Buffer.from(JSON.stringify(p)).toString('base64');
      const out = await run(process.execPath, [...PROBE_NODE_OPTIONS, 'dist/probe.cjs', '--plan-base64', b64], { timeout: 20_000 }).catch(
        (err: { code: number; stdout: string }) => ({ stdout: err.stdout, code: err.code }),
      );
      return { code: 'code' in out ? out.code : 0, report: JSON.parse(out.stdout) as unknown };
    };

    it('plans the planner builds', function () {
      const built = buildPlan(workload(pods(3)), PLAN_DEFAULTS);
      assert.equal(schemaProblem('plan', built), null);
      assert.equal(schemaProblem('plan', JSON.parse(JSON.stringify(built))), null);
      const dual = buildPlan(workload([dualPod(0), dualPod(1)]), PLAN_DEFAULTS);
      assert.ok(dual.targets.some((t) => t.queries), 'a dual-stack plan asks its second family some queries only');
      assert.equal(schemaProblem('plan', dual), null);
    });

    it('a target asked some queries only: the probe answers those alone, and a report answering more is refused', async function () {
      const p = plan([target('core', CORE), { ...target('core6', CORE), queries: [QUERIES[0]!.id] }], QUERIES, { samples: 1, timeoutMs: 500 });
      const { code, report } = await probe(p);
      assert.equal(code, 0);
      assert.equal(validateReport(report, p), null);
      assert.equal(schemaProblem('report', report), null);
      const results = (report as ProbeReport).results;
      assert.deepEqual(
        results.filter((r) => r.targetId === 'core6').map((r) => r.queryId),
        p.transports.map(() => QUERIES[0]!.id),
      );
      const extra = { ...results.find((r) => r.targetId === 'core' && r.queryId === QUERIES[1]!.id)!, targetId: 'core6' };
      assert.match(validateReport({ ...(report as ProbeReport), results: [...results, extra] }, p) ?? '', new RegExp(`queryId ${QUERIES[1]!.id} is not asked of target core6`));
    });

    it('reports of the bundled probe against dnsmasq: passing, wrong answers, refused, connects', async function () {
      const wrong = { ...QUERIES[0]!, id: 'wrong', expect: { equal: ['10.96.0.99'] } };
      const p = plan([target('core', CORE), target('dead', DEAD)], [...QUERIES, wrong], {
        samples: 2,
        timeoutMs: 500,
        connects: [
          { id: 'open', address: CORE, port: 53, label: 'dnsmasq over TCP' },
          { id: 'closed', address: DEAD, port: 53, label: 'nothing' },
        ],
      });
      assert.equal(schemaProblem('plan', p), null);
      const { code, report } = await probe(p);
      assert.equal(code, 0);
      assert.equal(validateReport(report, p), null);
      assert.equal(schemaProblem('report', report), null);
      const outcomes = new Set((report as ProbeReport).results.flatMap((r) => r.samples.map((s) => s.outcome)));
      assert.deepEqual([...outcomes].sort(), ['ok', 'refused', 'wrong-answer']);
    });

    it('the report of a plan the probe refuses', async function () {
      const { code, report } = await probe({ ...plan([target('core', CORE)]), samples: 0 });
      assert.equal(code, 2);
      assert.equal(validateReport(report), null);
      assert.equal(schemaProblem('report', report), null);
    });

    it("the client view's part of a report", async function () {
      const conf = path.join(dir, 'resolv.conf');
      writeFileSync(conf, `search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver ${CORE}\noptions ndots:5\n`);
      const view = await runClientView({ shortName: 'kubernetes.default', pairs: 3, retryAfterMs: 200 }, [target('core', CORE)], conf);
      const p = plan([target('core', CORE)], [QUERIES[0]!], { samples: 1, clientView: { shortName: 'kubernetes.default', pairs: 3, retryAfterMs: 200 } });
      const { report } = await probe({ ...p, clientView: undefined } as CheckPlan);
      const whole = { ...(report as ProbeReport), clientView: view };
      assert.equal(validateReport(whole, p), null);
      assert.equal(schemaProblem('report', whole), null);
      assert.equal(view.lookup.answeredAs, 'kubernetes.default.svc.cluster.local');
    });
  });
});
