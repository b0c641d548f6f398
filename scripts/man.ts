// Writes the command pages, man/<command>.1, from the commander program (src/cli/manpage.ts), so they
// cannot drift from --help: `make man`, `npm pack` (prepack) and `make release` run it; the pages are
// build output (.gitignore), installed with the package (package.json "man") beside the two
// hand-written section-7 pages. Usage: node --import tsx scripts/man.ts [DIR]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pkg from '../package.json' with { type: 'json' };
import { buildProgram } from '../src/cli/program.ts';
import { manPages } from '../src/cli/manpage.ts';

const dir = process.argv[2] ?? 'man';
mkdirSync(dir, { recursive: true });
const written: string[] = [];
for (const [file, text] of manPages(buildProgram(), pkg.version)) {
  writeFileSync(join(dir, file), text);
  written.push(join(dir, file));
}
console.log(written.join(' '));
