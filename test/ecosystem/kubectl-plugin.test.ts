// The kubectl plugin: the package's bin `kubectl-coredns_sentinel` (the same dist/cli.js) on PATH makes
// `kubectl coredns-sentinel …` work with the real kubectl, honouring kubectl's conventions: KUBECONFIG,
// --context, -n. The bin is linked as npm links it (a symlink in a bin directory).
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import pkg from '../../package.json' with { type: 'json' };
import { startSim, type Sim } from '../sim/index.ts';
import { buildCli, CLI, probePodsLeft } from '../e2e/cli.ts';
import { simOnly } from '../e2e/cluster.ts';
import type { CheckOutput } from '../../src/report/index.ts';
import { run } from './tools.ts';

/** kubectl runs asynchronously: the sim's API server lives in this process. */
function kubectl(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn('kubectl', args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((res) => child.on('close', (code) => (clearTimeout(killer), res({ code, stdout, stderr }))));
}

describe('kubectl plugin: kubectl coredns-sentinel (real kubectl)', function () {
  this.timeout(120_000);
  let sim: Sim;
  let bin: string;
  let env: NodeJS.ProcessEnv;

  before(async function () {
    simOnly(this);
    this.timeout(90_000);
    buildCli();
    bin = mkdtempSync(join(tmpdir(), 'kubectl-plugin-'));
    // npm's bin link: a symlink to the executable bundle.
    expect(pkg.bin['kubectl-coredns_sentinel']).to.equal(pkg.bin['coredns-sentinel']);
    chmodSync(CLI, 0o755);
    symlinkSync(resolve(pkg.bin['kubectl-coredns_sentinel']), join(bin, 'kubectl-coredns_sentinel'));
    sim = await startSim({ dns: { replicas: 2 } });
    await sim.waitReady(30_000);
    env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, KUBECONFIG: sim.kubeconfigPath, HOME: bin };
  });
  after(async () => {
    if (sim) {
      expect(await probePodsLeft(sim.kubeconfigPath)).to.deep.equal([]);
      await sim.stop();
    }
    if (bin) rmSync(bin, { recursive: true, force: true });
  });

  it('kubectl plugin list finds it', () => {
    const r = run('kubectl', ['plugin', 'list'], { env });
    expect(r.stdout).to.contain(join(bin, 'kubectl-coredns_sentinel'));
    expect(r.stderr).to.not.match(/warning/i);
  });

  it('kubectl coredns-sentinel check: KUBECONFIG from the environment, exit 0, the report', async () => {
    const r = await kubectl(['coredns-sentinel', 'check', '-o', 'json', '--timeout', '500ms', '--samples', '2'], env);
    expect(r.code, r.stderr).to.equal(0);
    const out = JSON.parse(r.stdout) as CheckOutput;
    expect(out.verdict).to.equal('healthy');
    expect(out.targets).to.have.length(3);
  });

  it('--context and -n as kubectl has them; a wrong one is a one-line usage error', async () => {
    const context = (parse(readFileSync(sim.kubeconfigPath, 'utf8')) as { 'current-context': string })['current-context'];
    const ok = await kubectl(['coredns-sentinel', 'check', '--context', context, '-n', 'kube-system', '--timeout', '500ms', '--samples', '2'], env);
    expect(ok.code, ok.stderr).to.equal(0);
    expect(ok.stdout).to.match(/DNS healthy/);
    const bad = await kubectl(['coredns-sentinel', 'check', '--context', 'nope'], env);
    expect(bad.code).to.equal(2);
    expect(bad.stderr.trim().split('\n')).to.have.length(1);
    const elsewhere = await kubectl(['coredns-sentinel', 'check', '-n', 'no-dns-here', '--timeout', '500ms'], env);
    expect(elsewhere.code).to.equal(3);
    expect(elsewhere.stderr).to.match(/no-dns-here/);
  });

  it('kubectl coredns-sentinel --version and help name the program', async () => {
    const v = await kubectl(['coredns-sentinel', '--version'], env);
    expect(v.stdout.trim()).to.equal(pkg.version);
    const h = await kubectl(['coredns-sentinel', 'check', '--help'], env);
    expect(h.code).to.equal(0);
    expect(h.stdout).to.match(/^Usage: coredns-sentinel check/m);
  });
});
