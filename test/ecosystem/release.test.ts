// make release's one-file installs, built here: the Node single executable for this platform runs
// --version, check --help and a real check against the sim (the probe travels inside it as an asset);
// krew's archive and filled manifest match; and `npm pack` + `npm install -g` of the tarball into a
// temporary prefix gives working `coredns-sentinel` and `kubectl-coredns_sentinel` and the man pages.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import pkg from '../../package.json' with { type: 'json' };
import { startSim, type Sim } from '../sim/index.ts';
import { buildCli } from '../e2e/cli.ts';
import type { CheckOutput } from '../../src/report/index.ts';
import { run } from './tools.ts';

const platform = `${process.platform}-${process.arch}`;
const EXE = `dist/release/coredns-sentinel-${platform}`;

/** Runs a program asynchronously (the sim's API server lives in this process). */
function runAsync(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  const killer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  return new Promise((res) => child.on('close', (code) => (clearTimeout(killer), res({ code, stdout, stderr }))));
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('one-file installs: make release (single executable) and npm pack / install -g', function () {
  this.timeout(600_000);
  let sim: Sim;
  let work: string;

  before(async function () {
    this.timeout(600_000);
    buildCli();
    work = mkdtempSync(join(tmpdir(), 'release-'));
    const r = run(process.execPath, ['scripts/release.mjs'], { timeout: 300_000 });
    expect(r.status, r.stderr).to.equal(0);
    sim = await startSim({ dns: { replicas: 2 } });
    await sim.waitReady(30_000);
  });
  after(async () => {
    await sim?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it(`the single executable (${platform}) runs --version and check --help, without node or node_modules, and no warning`, async () => {
    const env = { PATH: '/usr/bin:/bin', HOME: work };
    const v = await runAsync(EXE, ['--version'], env);
    expect(v.code).to.equal(0);
    expect(v.stdout.trim()).to.equal(pkg.version);
    expect(v.stderr).to.equal('');
    const h = await runAsync(EXE, ['check', '--help'], env);
    expect(h.code).to.equal(0);
    expect(h.stdout).to.match(/^Usage: coredns-sentinel check/m).and.match(/--junit/);
  });

  it('the single executable checks the sim (the probe from its asset), and removes its temporary directory', async () => {
    const before = readdirSync(tmpdir()).filter((d) => d.startsWith('coredns-sentinel-'));
    const r = await runAsync(EXE, ['check', '--kubeconfig', sim.kubeconfigPath, '-o', 'json', '--timeout', '500ms', '--samples', '2'], { PATH: '/usr/bin:/bin', HOME: work, TMPDIR: tmpdir() });
    expect(r.code, r.stderr).to.equal(0);
    expect((JSON.parse(r.stdout) as CheckOutput).verdict).to.equal('healthy');
    expect(readdirSync(tmpdir()).filter((d) => d.startsWith('coredns-sentinel-'))).to.deep.equal(before);
  });

  it("krew's archive holds the executable, and the filled manifest names its checksum", () => {
    const tarball = `${EXE}.tar.gz`;
    expect(run('tar', ['-tzf', tarball]).stdout.split('\n').filter(Boolean).sort()).to.deep.equal(['README.md', 'coredns-sentinel']);
    const manifest = parse(readFileSync('dist/release/coredns-sentinel.krew.yaml', 'utf8')) as { kind: string; metadata: { name: string }; spec: { version: string; platforms: { selector: { matchLabels: { os: string; arch: string } }; sha256: string; bin: string; uri: string }[] } };
    expect(manifest.kind).to.equal('Plugin');
    expect(manifest.metadata.name).to.equal('coredns-sentinel');
    expect(manifest.spec.version).to.equal(`v${pkg.version}`);
    const arch = process.arch === 'x64' ? 'amd64' : process.arch;
    const mine = manifest.spec.platforms.find((p) => p.selector.matchLabels.os === process.platform && p.selector.matchLabels.arch === arch)!;
    expect(mine.sha256).to.equal(sha256(tarball));
    expect(mine.uri).to.match(new RegExp(`/v${pkg.version}/coredns-sentinel-${platform}\\.tar\\.gz$`));
    expect(mine.bin).to.equal('coredns-sentinel');
    const sums = readFileSync('dist/release/SHA256SUMS', 'utf8');
    expect(sums).to.contain(`${sha256(EXE)}  coredns-sentinel-${platform}\n`);
  });

  it('npm pack, then npm install -g of the tarball into a fresh prefix: both commands, the man pages, a check', async () => {
    const pack = run('npm', ['pack', '--pack-destination', work, '--json'], { timeout: 300_000 });
    expect(pack.status, pack.stderr).to.equal(0);
    // prepack (build, man pages) prints first; npm's JSON comes last.
    const packed = (JSON.parse(pack.stdout.slice(pack.stdout.lastIndexOf('\n[') + 1)) as { filename: string; files: { path: string }[] }[])[0]!;
    const files = packed.files.map((f) => f.path);
    expect(files).to.include.members(['dist/cli.js', 'dist/cli-main.js', 'dist/probe.cjs', 'man/coredns-sentinel.1', 'man/coredns-sentinel-report.7', 'package.json']);
    expect(files.filter((f) => f.startsWith('src/') || f.startsWith('test/') || f.startsWith('node_modules/'))).to.deep.equal([]);
    const prefix = join(work, 'prefix');
    const install = run('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', join(work, packed.filename)], { timeout: 300_000 });
    expect(install.status, install.stderr).to.equal(0);
    for (const bin of ['coredns-sentinel', 'kubectl-coredns_sentinel']) {
      const v = run(join(prefix, 'bin', bin), ['--version']);
      expect(v.stdout.trim(), bin).to.equal(pkg.version);
    }
    // prepack wrote every command's page into man/: each is installed under its section.
    const pages = readdirSync('man').filter((f) => /\.[1-8]$/.test(f));
    expect(pages.length).to.be.greaterThan(5);
    for (const page of pages) expect(existsSync(join(prefix, 'share/man', `man${page.slice(-1)}`, page)), page).to.equal(true);
    const man = run('man', ['-M', join(prefix, 'share/man'), 'coredns-sentinel-check'], { env: { ...process.env, MANPAGER: 'cat', MANWIDTH: '100' } });
    expect(man.status, man.stderr).to.equal(0);
    expect(man.stdout).to.match(/--pushgateway/);
    const r = await runAsync(join(prefix, 'bin', 'coredns-sentinel'), ['check', '--kubeconfig', sim.kubeconfigPath, '--timeout', '500ms', '--samples', '2']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/DNS healthy/);
  });
});
