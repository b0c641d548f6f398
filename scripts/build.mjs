// Bundles the two deliverables with esbuild:
//  dist/probe.cjs  the in-pod probe: one self-contained CommonJS file that runs with plain `node`
//                  (the probe image and the inline mode for stock node images both carry it)
//  dist/cli.js     the executable: a launcher that handles SIGINT/SIGTERM from the first moment, then
//                  imports the CLI (src/cli/launcher.ts)
//  dist/cli-main.js the CLI, ESM, with its npm dependencies inside: one file to parse instead of
//                  hundreds to resolve (start-up 0.57 s → 0.2 s, peak RSS 130 → 71 MiB for --version)
import { build } from 'esbuild';
import { absentOptionals, userlandPunycode } from './esbuild-plugins.mjs';
import { readFileSync, statSync, existsSync } from 'node:fs';
import path from 'node:path';
import { writeContracts } from './contracts.mjs';

const quietLog = process.argv.includes('--quiet');
// The contracts' types and validators from schema/*.json (scripts/contracts.mjs), before anything is bundled.
const regenerated = await writeContracts();
if (regenerated.length && !quietLog) console.log(`regenerated ${regenerated.join(', ')}`);

const quiet = quietLog;

// The probe imports package.json for its version (src/probe/version.ts): bake in that one field only.
const { version } = JSON.parse(readFileSync('package.json', 'utf8'));
const probeVersionOnly = {
  name: 'probe-version',
  setup(b) {
    b.onLoad({ filter: /[\\/]package\.json$/ }, () => ({ contents: JSON.stringify({ version }), loader: 'json' }));
  },
};

// The compiled validators build their regular expressions at load time, which esbuild takes for side
// effects: marked free of them, a validator the probe does not call (the report's) is left out.
const pureValidators = {
  name: 'pure-validators',
  setup(b) {
    b.onResolve({ filter: /\.validate\.ts$/ }, (args) => ({ path: path.resolve(args.resolveDir, args.path), sideEffects: false }));
  },
};

await build({
  entryPoints: ['src/probe/main.ts'],
  outfile: 'dist/probe.cjs',
  bundle: true,
  platform: 'node',
  target: 'node18',
  format: 'cjs',
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
  plugins: [probeVersionOnly, pureValidators],
});

if (existsSync('src/cli/main.ts')) {
  await build({
    entryPoints: ['src/cli/main.ts'],
    outfile: 'dist/cli-main.js',
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    // The bundled CommonJS dependencies require Node's built-ins: give the ES module a require().
    banner: { js: "import { createRequire as __sentinelCreateRequire } from 'node:module'; const require = __sentinelCreateRequire(import.meta.url);" },
    plugins: [absentOptionals, userlandPunycode],
    // Identifiers kept: error texts and class names stay as the libraries wrote them.
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'eof',
    logLevel: 'warning',
  });
  await build({
    entryPoints: ['src/cli/launcher.ts'],
    outfile: 'dist/cli.js',
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    banner: { js: '#!/usr/bin/env node' },
    logLevel: 'warning',
  });
}

if (!quiet) {
  const kib = (f) => (statSync(f).size / 1024).toFixed(1);
  console.log(`dist/probe.cjs ${kib('dist/probe.cjs')} KiB` + (existsSync('dist/cli.js') ? `, dist/cli.js ${kib('dist/cli.js')} KiB, dist/cli-main.js ${kib('dist/cli-main.js')} KiB` : ''));
}
