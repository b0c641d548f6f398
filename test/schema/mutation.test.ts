// Any probe output the orchestrator cannot trust is exit 4 "probe output invalid: …", never a crash:
// 1,000 mutations (seeded PRNG: fields deleted, retyped, duplicated or added, ids and counts changed,
// enum values swapped, the JSON truncated) of a real report of the bundled probe against dnsmasq go
// through parseProbeOutput. Each one either throws ProbePodError (mapped to exit 4) or is accepted —
// and then is valid against schema/probe-report.v1.json and judged without an error.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import type { CheckPlan } from '../../src/probe/contract.ts';
import { OUTCOMES, PROBE_NODE_OPTIONS, validateReport } from '../../src/probe/contract.ts';
import { parseProbeOutput, ProbePodError } from '../../src/probepod/lifecycle.ts';
import { failureOf } from '../../src/common/errors.ts';
import { EXIT } from '../../src/common/exit-codes.ts';
import { judge } from '../../src/judge/judge.ts';
import { plan as fixturePlan, pod, workload } from '../fixtures/reports.ts';
import { CLUSTER_RECORDS, UPSTREAM_RECORDS } from '../probe/cluster.ts';
import { startDnsmasq, stopAllDnsmasq } from '../probe/dnsmasq.ts';
import { claimSubnet } from '../subnets.ts';
import { schemaProblem } from './validate.ts';

const run = promisify(execFile);
const NET = claimSubnet();
const MUTATIONS = 1000;

/** mulberry32: a small seeded PRNG, so a failure can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Json = unknown;
type Container = Record<string, Json> | Json[];

/** Every object and array inside `doc` with the path to it. */
function containers(doc: Json, at = ''): { at: string; node: Container }[] {
  if (typeof doc !== 'object' || doc === null) return [];
  const node = doc as Container;
  const children = Array.isArray(node) ? node.map((v, i) => [String(i), v] as const) : Object.entries(node);
  return [{ at, node }, ...children.flatMap(([k, v]) => containers(v, `${at}/${k}`))];
}

const WEIRD: Json[] = [null, true, false, 0, -1, 1.5, 1e21, '', 'x', 'NOERROR', 'ok', 'udp', [], {}, [1], { a: 1 }, '2025-01-01T00:00:00Z'];

function mutate(report: Json, random: () => number, ids: string[]): { text: string; what: string } {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const doc = structuredClone(report);
  const kind = pick(['delete', 'retype', 'duplicate', 'add', 'id', 'count', 'enum', 'truncate', 'several'] as const);
  if (kind === 'truncate') {
    const text = JSON.stringify(doc);
    const cut = Math.floor(random() * text.length);
    return { text: text.slice(0, cut), what: `truncate at ${cut}` };
  }
  const steps = kind === 'several' ? 2 + Math.floor(random() * 4) : 1;
  const whats: string[] = [];
  for (let s = 0; s < steps; s++) {
    const { at, node } = pick(containers(doc).filter((c) => Object.keys(c.node).length > 0));
    const keys = Array.isArray(node) ? node.map((_, i) => i) : Object.keys(node);
    const key = keys.length ? pick(keys as (string | number)[]) : undefined;
    const step = kind === 'several' ? pick(['delete', 'retype', 'duplicate', 'add', 'id', 'count', 'enum'] as const) : kind;
    const set = (v: Json) => {
      if (key !== undefined) (node as Record<string | number, Json>)[key] = v;
    };
    const current = key === undefined ? undefined : (node as Record<string | number, Json>)[key];
    whats.push(`${step} ${at}/${String(key)}`);
    switch (step) {
      case 'delete':
        if (Array.isArray(node) && typeof key === 'number') node.splice(key, 1);
        else if (key !== undefined) delete (node as Record<string, Json>)[key];
        break;
      case 'retype':
        set(pick(WEIRD));
        break;
      case 'duplicate':
        if (Array.isArray(node) && key !== undefined) node.push(structuredClone(node[key as number]));
        else set(structuredClone(pick(keys.map((k) => (node as Record<string | number, Json>)[k]))));
        break;
      case 'add':
        if (Array.isArray(node)) node.push(pick(WEIRD));
        else (node as Record<string, Json>)[pick(['extra', 'error', 'clientView', 'connects', '__proto__', 'p50Ms'])] = pick(WEIRD);
        break;
      case 'id':
        set(pick([...ids, `${String(current)}x`, '']));
        break;
      case 'count':
        set(typeof current === 'number' ? current + pick([-1, 1, 0.5, -current - 1, 1000]) : 7);
        break;
      case 'enum':
        set(pick([...OUTCOMES, 'pass', 'fail', 'udp', 'tcp', 'sctp', 'NXDOMAIN', 'plan-invalid']));
        break;
    }
  }
  return { text: JSON.stringify(doc), what: whats.join(', ') };
}

describe('contracts: mutated probe reports are exit 4 or valid, never a crash', function () {
  this.timeout(120_000);
  let plan: CheckPlan;
  let report: Json;
  let ws: ReturnType<typeof workload>;

  before(async function () {
    execFileSync(process.execPath, ['scripts/build.mjs', '--quiet']);
    await startDnsmasq({ address: `${NET}.5.2`, records: UPSTREAM_RECORDS });
    const servers = [`${NET}.5.10`, `${NET}.5.11`];
    for (const address of servers) await startDnsmasq({ address, records: CLUSTER_RECORDS, localZones: ['cluster.local'], upstream: `${NET}.5.2` });
    // Two pods on dnsmasq, a third where nothing answers, the Service unreachable; a connect that fails.
    const ps = [pod(0, { ip: servers[0], ips: [servers[0]!] }), pod(1, { ip: servers[1], ips: [servers[1]!] }), pod(2, { ip: `${NET}.5.99`, ips: [`${NET}.5.99`] })];
    ws = workload(ps);
    plan = { ...fixturePlan(ps, { samples: 2, connects: true }), timeoutMs: 300 };
    plan.connects = [{ id: 'kubernetes-service', address: servers[0]!, port: 53, label: 'dnsmasq TCP' }];
    const b64 = Buffer.from(JSON.stringify(plan)).toString('base64');
    const { stdout } = await run(process.execPath, [...PROBE_NODE_OPTIONS, 'dist/probe.cjs', '--plan-base64', b64], { timeout: 20_000 });
    report = JSON.parse(stdout);
    assert.equal(validateReport(report, plan), null);
  });

  after(() => stopAllDnsmasq());

  it(`${MUTATIONS} mutations through parseProbeOutput`, function () {
    const random = prng(20_251_201);
    const ids = [...plan.targets.map((t) => t.id), ...plan.queries.map((q) => q.id), 'kubernetes-service'];
    const tally = { garbage: 0, accepted: 0, other: 0 };
    for (let i = 0; i < MUTATIONS; i++) {
      const { text, what } = mutate(report, random, ids);
      let accepted;
      try {
        accepted = parseProbeOutput(text, plan, 'probe-x');
      } catch (err) {
        assert.ok(err instanceof ProbePodError, `mutation ${i} (${what}) threw ${String(err)}`);
        assert.equal(failureOf(err).exitCode, EXIT.probe, `mutation ${i} (${what})`);
        if (err.reason === 'garbage') {
          assert.match(err.message, /^probe output invalid: /, `mutation ${i} (${what})`);
          assert.ok(!err.message.includes('\n'), `mutation ${i}: one line`);
          tally.garbage++;
        } else tally.other++;
        continue;
      }
      assert.equal(schemaProblem('report', accepted), null, `mutation ${i} (${what}) was accepted but is not valid against the schema`);
      assert.doesNotThrow(() => judge({ plan, workload: ws, primary: { report: accepted, node: 'node-0' } }), `mutation ${i} (${what})`);
      tally.accepted++;
    }
    // Both sides happen: some mutations keep a valid report (another latency, a reordered result), most do not.
    assert.ok(tally.accepted > 10 && tally.garbage > 500, JSON.stringify(tally));
    console.log(`      ${MUTATIONS} mutated reports: ${tally.garbage} probe output invalid (exit 4), ${tally.other} other probe failures (exit 4), ${tally.accepted} accepted and schema-valid`);
  });
});
