// `completion bash|zsh`: the scripts the built CLI prints, run by the real shells. bash: the completion
// function is called as bash's programmable completion calls it (COMP_WORDS, COMP_CWORD) and its
// COMPREPLY compared with the program's own commands, flags and choices. zsh: the script parses and
// registers itself with compinit for both executable names.
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildProgram } from '../../src/cli/program.ts';
import { buildCli, CLI } from '../e2e/cli.ts';
import { run } from './tools.ts';

let dir: string;
let bashFile: string;
let zshFile: string;
before(function () {
  this.timeout(60_000);
  buildCli();
  dir = mkdtempSync(join(tmpdir(), 'completion-'));
  bashFile = join(dir, 'c.bash');
  zshFile = join(dir, 'c.zsh');
  for (const [shell, file] of [['bash', bashFile], ['zsh', zshFile]] as const) {
    const r = run(process.execPath, [CLI, 'completion', shell]);
    expect(r.status, r.stderr).to.equal(0);
    writeFileSync(file, r.stdout);
  }
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** What bash offers after `words` (the last one is the word being completed). */
function complete(words: string[]): string[] {
  const array = words.map((w) => `'${w}'`).join(' ');
  const script = `source '${bashFile}'; COMP_WORDS=(${array}); COMP_CWORD=${words.length - 1}; _coredns_sentinel; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const r = run('bash', ['--norc', '-c', script], { cwd: dir });
  expect(r.status, r.stderr).to.equal(0);
  return r.stdout.split('\n').filter(Boolean).sort();
}

const program = buildProgram();
const sub = (name: string) => program.commands.find((c) => c.name() === name)!;
const longFlags = (name: string, prefix: string) => sub(name).options.map((o) => o.long!).filter((f) => f.startsWith(prefix)).sort();

describe('shell completion', function () {
  this.timeout(30_000);

  it('bash: commands, then each command\'s flags (check has the CI flags, watch does not)', () => {
    expect(complete(['coredns-sentinel', ''])).to.include.members(['check', 'watch', 'cleanup', 'completion']);
    expect(complete(['coredns-sentinel', 'ch'])).to.deep.equal(['check']);
    expect(complete(['coredns-sentinel', 'check', '--push'])).to.deep.equal(longFlags('check', '--push'));
    expect(longFlags('check', '--push')).to.have.length(3);
    expect(complete(['coredns-sentinel', 'watch', '--push'])).to.deep.equal([]);
    expect(complete(['coredns-sentinel', 'watch', '--max-'])).to.deep.equal(['--max-cycles', '--max-unavailable']);
    expect(complete(['kubectl-coredns_sentinel', 'check', '-n', 'kube-system', '--rep'])).to.deep.equal(longFlags('check', '--rep'));
  });

  it('bash: choices of -o and --restart-method, the shells of completion, file names for --junit', () => {
    const output = sub('check').options.find((o) => o.long === '--output')!;
    expect(complete(['coredns-sentinel', 'check', '-o', ''])).to.deep.equal([...output.argChoices!].sort());
    expect(output.argChoices).to.include('junit');
    expect(complete(['coredns-sentinel', 'watch', '--output', ''])).to.not.include('junit');
    expect(complete(['coredns-sentinel', 'check', '--restart-method', 'e'])).to.deep.equal(['evict']);
    expect(complete(['coredns-sentinel', 'completion', ''])).to.deep.equal(['bash', 'zsh']);
    expect(complete(['coredns-sentinel', 'check', '--junit', 'c.'])).to.deep.equal(['c.bash', 'c.zsh']);
  });

  it('zsh: parses, and compinit registers it for both names with every check flag', () => {
    expect(run('zsh', ['-n', zshFile]).status).to.equal(0);
    const r = run('zsh', ['-fc', `autoload -Uz compinit && compinit -u -d '${join(dir, 'zcompdump')}' && source '${zshFile}' && print -r -- "\${_comps[coredns-sentinel]} \${_comps[kubectl-coredns_sentinel]}"`]);
    expect(r.stderr).to.equal('');
    expect(r.stdout.trim()).to.equal('_coredns_sentinel _coredns_sentinel');
    const text = run(process.execPath, [CLI, 'completion', 'zsh']).stdout;
    // Hidden options (bench:chaos's --no-timeline) are not offered, as --help does not show them.
    for (const o of sub('check').options.filter((x) => !x.hidden)) expect(text.includes(`'${o.long}[`) || text.includes(`'*${o.long}[`) || text.includes(`,${o.long}}'[`), o.long).to.equal(true);
  });

  it('an unknown shell is a usage error (exit 2)', () => {
    const r = run(process.execPath, [CLI, 'completion', 'fish']);
    expect(r.status).to.equal(2);
    expect(r.stderr).to.match(/Allowed choices are bash, zsh/);
  });
});
