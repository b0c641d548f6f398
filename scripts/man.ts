// Writes the command pages, man/<command>.1, from the commander program (src/cli/manpage.ts), so they
// cannot drift from --help: `make man`, `npm pack` (prepack) and `make release` run it. Also renders
// the flag lists of the docs' command pages (docs/<command>.md) anew. The pages are
// build output (.gitignore) installed with the package: npm links only the pages package.json "man"
// lists, so writing into man/ also sets that list (commands and the hand-written section-7 pages);
// test/ecosystem/man.test.ts fails while the committed list lags. Usage: node --import tsx scripts/man.ts [DIR]
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pkg from '../package.json' with { type: 'json' };
import { buildProgram } from '../src/cli/program.ts';
import { manPages, withFlags } from '../src/cli/manpage.ts';

const docsPage = (command: string): string | undefined => (existsSync(`docs/${command}.md`) ? readFileSync(`docs/${command}.md`, 'utf8') : undefined);
const dir = process.argv[2] ?? 'man';
mkdirSync(dir, { recursive: true });
const program = buildProgram();
const pages = manPages(program, pkg.version, docsPage);
for (const [file, text] of pages) writeFileSync(join(dir, file), text);
console.log([...pages.keys()].map((f) => join(dir, f)).join(' '));

if (dir === 'man') {
  for (const cmd of program.commands) {
    const page = docsPage(cmd.name());
    if (page !== undefined && withFlags(page, cmd) !== page) {
      writeFileSync(`docs/${cmd.name()}.md`, withFlags(page, cmd));
      console.log(`docs/${cmd.name()}.md: flags updated`);
    }
  }
  const list = [...pages.keys(), ...readdirSync('man').filter((f) => f.endsWith('.7')).sort()].map((f) => `./man/${f}`);
  const text = readFileSync('package.json', 'utf8');
  const json = JSON.parse(text) as { man?: string[] };
  if (JSON.stringify(json.man) !== JSON.stringify(list)) {
    json.man = list;
    writeFileSync('package.json', `${JSON.stringify(json, null, 2)}\n`);
    console.log('package.json "man" updated');
  }
}
