// make release: the one-file installs for machines without npm.
//  dist/release/coredns-sentinel-linux-x64            a Node single executable application (SEA): this
//                                                     machine's node with the whole CLI and the probe inside
//  dist/release/coredns-sentinel-linux-x64.tar.gz     it, as kubectl-coredns_sentinel too (krew's archive)
//  dist/release/coredns-sentinel.krew.yaml            manifests/krew/coredns-sentinel.yaml filled in
//  dist/release/SHA256SUMS
// A SEA embeds the node binary that builds it, so each platform is built on that platform (CI: one job
// per OS/arch); `node scripts/release.mjs` builds the current one. Needs `make build` first (dist/probe.cjs).
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { absentOptionals, userlandPunycode } from './esbuild-plugins.mjs';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const platform = `${process.platform}-${process.arch}`;
const out = 'dist/release';
const work = join(out, `.${platform}`);
if (!existsSync('dist/probe.cjs')) throw new Error('dist/probe.cjs missing: run make build first');
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });

// 1. The CLI as one CommonJS file with every dependency inside (a SEA cannot load node_modules).
await build({
  entryPoints: ['scripts/release-sea-entry.ts'],
  outfile: join(work, 'sea.cjs'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  define: { 'import.meta.url': 'globalThis.__seaModuleUrl' },
  plugins: [absentOptionals, userlandPunycode],
  logLevel: 'error',
});

// 2. The SEA blob, with the probe as an asset.
const blob = join(work, 'sea.blob');
writeFileSync(join(work, 'sea-config.json'), JSON.stringify({ main: join(work, 'sea.cjs'), output: blob, disableExperimentalSEAWarning: true, useCodeCache: false, assets: { 'probe.cjs': 'dist/probe.cjs' } }));
execFileSync(process.execPath, ['--experimental-sea-config', join(work, 'sea-config.json')], { stdio: 'inherit' });

// 3. A copy of this node with the blob injected (postject, the tool Node's documentation uses).
const name = `coredns-sentinel-${platform}`;
const exe = join(out, name);
copyFileSync(process.execPath, exe);
chmodSync(exe, 0o755);
execFileSync(process.execPath, ['node_modules/postject/dist/cli.js', exe, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2'], { stdio: ['ignore', 'ignore', 'inherit'] });

// 4. krew's archive: the executable under both names; the manifest with its checksum.
const stage = join(work, 'archive');
mkdirSync(stage);
copyFileSync(exe, join(stage, 'coredns-sentinel'));
chmodSync(join(stage, 'coredns-sentinel'), 0o755);
copyFileSync('README.md', join(stage, 'README.md'));
const tarball = `${exe}.tar.gz`;
execFileSync('tar', ['-C', stage, '--owner=0', '--group=0', '-czf', tarball, 'coredns-sentinel', 'README.md']);
const sha = (f) => createHash('sha256').update(readFileSync(f)).digest('hex');
const krew = readFileSync('manifests/krew/coredns-sentinel.yaml', 'utf8').replaceAll('{{VERSION}}', pkg.version).replaceAll(`{{SHA256_${platform.toUpperCase().replace('-', '_')}}}`, sha(tarball));
writeFileSync(join(out, 'coredns-sentinel.krew.yaml'), krew);
writeFileSync(join(out, 'SHA256SUMS'), [exe, tarball].map((f) => `${sha(f)}  ${f.slice(out.length + 1)}\n`).join(''));
rmSync(work, { recursive: true, force: true });
console.log(`${exe} ${tarball} ${join(out, 'coredns-sentinel.krew.yaml')}`);
