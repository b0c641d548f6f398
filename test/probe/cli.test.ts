// The bundled probe (dist/probe.cjs) as the orchestrator runs it: a child process, as a file and as
// `node -e` source, against dnsmasq on a claimed /16; bad plans; a network namespace without network.
import { expect } from 'chai';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { CheckPlan, ProbeReport } from '../../src/probe/contract.ts';
import { PROBE_EXIT, PROBE_NODE_OPTIONS, validateReport } from '../../src/probe/contract.ts';
import { PROBE_VERSION } from '../../src/probe/version.ts';
import { CLUSTER_RECORDS, QUERIES, UPSTREAM_RECORDS, plan, target } from './cluster.ts';
import { startDnsmasq, stopAllDnsmasq } from './dnsmasq.ts';
import { claimSubnet } from '../subnets.ts';

const NET = claimSubnet();

const PROBE = 'dist/probe.cjs';
const CORE = `${NET}.2.1`;
const UPSTREAM = `${NET}.2.2`;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: 15_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const b64 = (p: unknown): string => Buffer.from(JSON.stringify(p)).toString('base64');

/** Exactly one line of stdout, parsed. */
function report(r: Run): ProbeReport {
  const lines = r.stdout.split('\n').filter(Boolean);
  expect(lines, r.stdout + r.stderr).to.have.length(1);
  return JSON.parse(lines[0] as string) as ProbeReport;
}

function expectPlanInvalid(r: Run, message: RegExp | string): void {
  expect(r.code, r.stderr).to.equal(PROBE_EXIT.planInvalid);
  const rep = report(r);
  expect(validateReport(rep)).to.equal(null);
  expect(rep.error?.kind).to.equal('plan-invalid');
  expect(rep.results).to.deep.equal([]);
  if (typeof message === 'string') expect(rep.error?.message).to.equal(message);
  else expect(rep.error?.message).to.match(message);
  expect(r.stderr.split('\n').filter(Boolean)).to.have.length(1);
  expect(r.stderr).to.match(/^probe: plan invalid: /);
}

describe('probe CLI (dist/probe.cjs)', function () {
  let dir: string;
  let healthy: CheckPlan;

  before(async function () {
    execFileSync('node', ['scripts/build.mjs', '--quiet']);
    dir = mkdtempSync(path.join(tmpdir(), 'probe-cli-'));
    await startDnsmasq({ address: UPSTREAM, records: UPSTREAM_RECORDS });
    await startDnsmasq({ address: CORE, records: CLUSTER_RECORDS, localZones: ['cluster.local'], upstream: UPSTREAM });
    healthy = plan([target('core', CORE)], QUERIES, { samples: 1 });
  });

  after(async function () {
    await stopAllDnsmasq();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs a plan from --plan-base64 and prints one valid JSON report', async function () {
    const r = await run('node', [PROBE, '--plan-base64', b64(healthy)]);
    expect(r.code, r.stderr).to.equal(PROBE_EXIT.ran);
    // Node 20/22 say once that --lite-mode turns wasm off (src/probe/contract.ts); nothing else.
    expect(r.stderr.replace(/^Warning: disabling flag --expose_wasm due to conflicting flags\n?/, "")).to.equal("");
    const rep = report(r);
    expect(validateReport(rep, healthy)).to.equal(null);
    expect(rep.results.filter((x) => x.verdict === 'fail').map((x) => x.reason)).to.deep.equal([]);
    expect(rep.probeVersion).to.equal(PROBE_VERSION);
  });

  it('runs the same when its source is evaluated with node -e and PROBE_NODE_OPTIONS (the inline delivery)', async function () {
    const source = readFileSync(PROBE, 'utf8');
    const r = await run('node', [...PROBE_NODE_OPTIONS, '-e', source, '--', '--plan-base64', b64(healthy)]);
    expect(r.code, r.stderr).to.equal(PROBE_EXIT.ran);
    // Node 20/22 say once that --lite-mode turns wasm off (src/probe/contract.ts); nothing else.
    expect(r.stderr.replace(/^Warning: disabling flag --expose_wasm due to conflicting flags\n?/, '')).to.equal('');
    const rep = report(r);
    expect(validateReport(rep, healthy)).to.equal(null);
    expect(rep.targets[0]?.failedChecks).to.equal(0);
  });

  it('takes --plan and --plan-file too, and prints --version', async function () {
    const file = path.join(dir, 'plan.json');
    writeFileSync(file, JSON.stringify(healthy));
    for (const args of [['--plan', JSON.stringify(healthy)], ['--plan-file', file]]) {
      const r = await run('node', [PROBE, ...args]);
      expect(r.code, args[0]).to.equal(PROBE_EXIT.ran);
      expect(validateReport(report(r), healthy), args[0]).to.equal(null);
    }
    const v = await run('node', [PROBE, '--version']);
    expect(v).to.deep.equal({ code: 0, stdout: `${PROBE_VERSION}\n`, stderr: '' });
  });

  describe('bad plans: exit 2, a JSON report with the error, one line on stderr', function () {
    it('not JSON', async function () {
      expectPlanInvalid(await run('node', [PROBE, '--plan', 'nope{']), /^plan is not valid JSON/);
    });
    it('wrong schema', async function () {
      expectPlanInvalid(await run('node', [PROBE, '--plan-base64', b64({ ...healthy, schema: 'v0' })]), 'plan schema must be "coredns-sentinel/plan/v1", got "v0"');
    });
    it('missing fields', async function () {
      const { targets: _targets, ...noTargets } = healthy;
      expectPlanInvalid(await run('node', [PROBE, '--plan-base64', b64(noTargets)]), 'plan needs at least one target');
      const { samples: _samples, ...noSamples } = healthy;
      expectPlanInvalid(await run('node', [PROBE, '--plan-base64', b64(noSamples)]), 'samples is missing');
    });
    it('a 2 MB plan (by file: argv cannot carry it)', async function () {
      const file = path.join(dir, 'huge.json');
      writeFileSync(file, JSON.stringify({ ...healthy, padding: 'x'.repeat(2 * 1024 * 1024) }));
      expectPlanInvalid(await run('node', [PROBE, '--plan-file', file]), 'plan is larger than 1048576 bytes');
    });
    it('a deeply nested plan', async function () {
      const file = path.join(dir, 'nested.json');
      writeFileSync(file, `{"schema":${'['.repeat(300_000)}${']'.repeat(300_000)}}`);
      expectPlanInvalid(await run('node', [PROBE, '--plan-file', file]), /got a list$/);
    });
    it('binary garbage and unknown arguments', async function () {
      expectPlanInvalid(await run('node', [PROBE, '--plan-base64', '////AAAA']), /^plan is not valid JSON/);
      expectPlanInvalid(await run('node', [PROBE, '--plan-from-stdin']), /^unknown argument/);
      expectPlanInvalid(await run('node', [PROBE]), /^give exactly one of/);
    });
  });

  it('reports "unreachable" from a network namespace without network (unshare -n)', async function () {
    const offline = plan([target('core', CORE), target('svc', '10.96.0.10')], [QUERIES[0]!], { samples: 1 });
    const r = await run('unshare', ['-n', 'node', PROBE, '--plan-base64', b64(offline)]);
    expect(r.code, r.stderr).to.equal(PROBE_EXIT.ran);
    const rep = report(r);
    expect(validateReport(rep, offline)).to.equal(null);
    expect(rep.results.map((x) => `${x.targetId}/${x.transport} ${x.samples[0]?.outcome}`)).to.deep.equal([
      'core/udp unreachable',
      'core/tcp unreachable',
      'svc/udp unreachable',
      'svc/tcp unreachable',
    ]);
  });
});
