// The entry of the single executable (make release, scripts/release.mjs): the CLI bundled whole as
// CommonJS, as Node's SEA requires. The probe program travels as the SEA asset "probe.cjs"; the engine
// reads it from beside the CLI (src/engine/context.ts probeBundlePath, import.meta.url — defined at
// bundle time as globalThis.__seaModuleUrl), so it is written to a private temporary directory that is
// removed when the process exits.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
// First, as in dist/cli.js: no library deprecation warnings, and a signal before a command handles it exits 130.
import '../src/cli/library-deprecations.ts';
import '../src/cli/early-signals.ts';
import { buildProgram } from '../src/cli/program.ts';

interface Sea {
  isSea(): boolean;
  getAsset(key: string, encoding: string): string;
}

// node:sea exists from Node 20.12; required lazily so the bundle also runs under plain node (tests).
const sea = createRequire(__filename)('node:sea') as Sea;
const dir = mkdtempSync(join(tmpdir(), 'coredns-sentinel-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
if (sea.isSea()) writeFileSync(join(dir, 'probe.cjs'), sea.getAsset('probe.cjs', 'utf8'), { mode: 0o600 });
(globalThis as { __seaModuleUrl?: string }).__seaModuleUrl = pathToFileURL(join(dir, 'cli.js')).href;

void buildProgram().parseAsync(process.argv);
