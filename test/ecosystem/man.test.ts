// Man pages: the command pages come from the commander program (scripts/man.ts, src/cli/manpage.ts), so
// every option --help lists is on its page; they and the two hand-written section-7 pages render with
// man-db's man and groff without a warning, and `man ./FILE` shows them. package.json "man" installs them all.
import { expect } from 'chai';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import pkg from '../../package.json' with { type: 'json' };
import { buildProgram } from '../../src/cli/program.ts';
import { visibleCommands } from '../../src/cli/manpage.ts';
import { EXIT } from '../../src/common/exit-codes.ts';
import { run } from './tools.ts';

let dir: string;
before(function () {
  this.timeout(60_000);
  dir = mkdtempSync(join(tmpdir(), 'man-'));
  const r = run(process.execPath, ['--import', 'tsx', 'scripts/man.ts', dir]);
  expect(r.status, r.stderr).to.equal(0);
  for (const f of readdirSync('man').filter((f) => f.endsWith('.7'))) copyFileSync(join('man', f), join(dir, f));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Plain text of a page: groff's ASCII output, wide lines, no hyphenation, no overstriking. */
const text = (file: string) => run('groff', ['-man', '-Tascii', '-rLL=250n', '-rHY=0', '-P-cbou', join(dir, file)]).stdout;

function commands(program: Command): Command[] {
  return [program, ...visibleCommands(program).flatMap(commands)];
}
const pageOf = (cmd: Command): string => (cmd.parent ? `${pageOf(cmd.parent)}-${cmd.name()}` : cmd.name());

describe('man pages (man-db, groff)', function () {
  this.timeout(60_000);

  it('one page per command, each with every option --help lists, and its description', () => {
    const program = buildProgram();
    for (const cmd of commands(program)) {
      const page = `${pageOf(cmd)}.1`;
      const t = text(page);
      expect(t, page).to.contain(cmd.description());
      for (const o of cmd.createHelp().visibleOptions(cmd)) expect(t, `${page}: ${o.flags}`).to.contain(o.long ?? o.short);
      for (const sub of visibleCommands(cmd)) expect(t, `${page}: ${sub.name()}`).to.contain(`${pageOf(sub)}(1)`);
    }
    expect(text('coredns-sentinel-check.1')).to.contain('--junit').and.contain('--pushgateway-label').and.contain('--exit-zero');
  });

  it('render with man and groff without warnings; `man ./FILE` shows the page', () => {
    const pages = readdirSync(dir);
    expect(pages.length).to.be.greaterThan(5);
    for (const page of pages) {
      const g = run('groff', ['-man', '-Tutf8', '-ww', '-z', join(dir, page)]);
      expect(g.stderr, page).to.equal('');
      expect(g.status, page).to.equal(0);
      const m = run('man', ['--warnings=w', `./${page}`], { cwd: dir, env: { ...process.env, MANPAGER: 'cat', PAGER: 'cat', MANWIDTH: '100' } });
      expect(m.status, `${page}: ${m.stderr}`).to.equal(0);
      expect(m.stderr, page).to.equal('');
      expect(m.stdout, page).to.match(/^NAME\n/m);
    }
  });

  it('package.json "man" lists every page, so npm installs them all (make man keeps the list)', () => {
    expect(pkg.files).to.include('man/');
    expect(pkg.man.map((p) => p.replace(/^\.\/man\//, '')).sort(), 'package.json "man" lags the commands: run make man').to.deep.equal(readdirSync(dir).sort());
  });

  it('the report page explains every exit code and every classification', () => {
    const t = text('coredns-sentinel-report.7');
    for (const code of Object.values(EXIT)) expect(t, `exit ${code}`).to.match(new RegExp(`^ {7}${code}\\b`, 'm'));
    const classes: string[] = JSON.parse(readFileSync('schema/check-output.v1.json', 'utf8')).$defs.classification.enum;
    expect(classes.length).to.be.greaterThan(5);
    for (const c of classes) expect(t, c).to.match(new RegExp(`^ {7}${c}(\\s|$)`, 'm'));
  });

  it('the modes page names every --mode and the RBAC manifest each needs, and those files exist', () => {
    const t = text('coredns-sentinel-modes.7');
    for (const mode of ['probe-pod', 'in-cluster', 'direct', 'port-forward', 'auto']) expect(t, mode).to.match(new RegExp(`^ {7}${mode}(\\s|$)`, 'm'));
    const manifests = [...t.matchAll(/manifests\/[\w./-]+\.yaml/g)].map((m) => m[0]);
    expect(manifests.length).to.be.greaterThan(3);
    for (const f of manifests) expect(() => readFileSync(f), f).to.not.throw();
  });
});
