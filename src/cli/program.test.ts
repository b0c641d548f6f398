// The command tree: check's --help in topics, and watch and doctor refusing the flags that do not apply
// to them (they were accepted and ignored) while taking the rest of check's own options.
import assert from 'node:assert/strict';
import type { Command } from 'commander';
import { buildProgram, HELP_GROUPS } from './program.ts';

const sub = (name: string): Command => buildProgram().commands.find((c) => c.name() === name)!;
const longs = (c: Command) => c.options.map((o) => o.long);

/** Parses argv with the command's action replaced: commander's error code (usageExit makes it exit 2), or 'ran'. */
function parse(name: string, argv: string[]): string {
  const program = buildProgram();
  const cmd = program.commands.find((c) => c.name() === name)!;
  let outcome = 'ran';
  for (const c of [program, cmd]) c.exitOverride((err) => { outcome = err.code; throw err; }).configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  cmd.action(() => undefined);
  try {
    program.parse([name, ...argv], { from: 'user' });
  } catch {
    // the usage error was recorded
  }
  return outcome;
}

describe('command tree', () => {
  it('check --help lists every flag under a topic, in the topics\' order', () => {
    const check = sub('check');
    const headings = [...new Set(check.options.map((o) => o.helpGroupHeading))];
    assert.deepEqual(headings, [...Object.values(HELP_GROUPS), 'CI (docs/ci.md):']);
    const help = check.helpInformation();
    for (const heading of headings) assert.ok(help.includes(`\n${heading}\n`), heading);
  });

  const refused: [string, string[]][] = [
    ['doctor', ['--repair']],
    ['doctor', ['--dry-run']],
    ['doctor', ['--all-contexts']],
    ['doctor', ['--latency-threshold', '1s']],
    ['doctor', ['--junit', '/tmp/x.xml']],
    ['watch', ['--all-contexts']],
    ['watch', ['--parallel', '2']],
    ['watch', ['--junit', '/tmp/x.xml']],
  ];
  for (const [name, argv] of refused)
    it(`${name} ${argv.join(' ')} → refused (exit 2), not ignored`, () => assert.equal(parse(name, argv), 'commander.unknownOption'));

  it('watch and doctor keep check\'s flags that apply to them (the same Option objects)', () => {
    const check = sub('check');
    const watch = sub('watch');
    const doctor = sub('doctor');
    for (const flag of ['--kubeconfig', '--context', '--namespace', '--probe-image', '--mode', '--dns-address', '--output', '--request-timeout'])
      assert.ok(longs(doctor).includes(flag) && longs(watch).includes(flag), flag);
    assert.ok(longs(watch).includes('--repair') && longs(watch).includes('--interval'));
    assert.equal(parse('doctor', ['-n', 'openshift-dns', '--probe-image', 'node:22-alpine']), 'ran');
    assert.equal(parse('watch', ['--repair', '--max-cycles', '1']), 'ran');
    assert.ok(longs(check).includes('--all-contexts'));
  });
});
