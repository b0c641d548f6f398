// bench:fleet — 20 contexts in one `check` run (4 sims, 5 contexts each, --parallel 4 by default)
// against one context, both through the real CLI. Target (design): ≤ 2× one context's wall time.
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { startSim, type Sim } from '../test/sim/index.ts';
import { writeFleetKubeconfig } from '../test/e2e/kubeconfigs.ts';

const SIMS = 4;
const CONTEXTS = 20;
const PARALLEL = process.env.BENCH_PARALLEL ?? '20';

function timed(args: string[]): Promise<{ code: number | null; ms: number }> {
  const start = process.hrtime.bigint();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['dist/cli.js', ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('close', (code) => resolve({ code, ms: Number(process.hrtime.bigint() - start) / 1e6 }));
  });
}

const built = spawnSync(process.execPath, ['scripts/build.mjs', '--quiet'], { stdio: 'inherit' });
if (built.status !== 0) process.exit(1);

const sims: Sim[] = await Promise.all(Array.from({ length: SIMS }, () => startSim({ dns: { replicas: 3 } })));
try {
  await Promise.all(sims.map((s) => s.waitReady(30_000)));
  const sources = Array.from({ length: CONTEXTS }, (_, i) => ({ name: `cluster-${String(i + 1).padStart(2, '0')}`, kubeconfig: sims[i % SIMS]!.kubeconfigPath }));
  const kubeconfig = writeFleetKubeconfig(join(sims[0]!.dir, 'fleet.kubeconfig'), sources);
  const one = await timed(['check', '--kubeconfig', kubeconfig, '--context', 'cluster-01', '-o', 'json']);
  const all = await timed(['check', '--kubeconfig', kubeconfig, '--all-contexts', '--parallel', PARALLEL, '-o', 'json']);
  console.log(`one context:  ${one.ms.toFixed(0)} ms, exit ${one.code}`);
  console.log(`${CONTEXTS} contexts (${SIMS} sims, --parallel ${PARALLEL}): ${all.ms.toFixed(0)} ms, exit ${all.code}`);
  console.log(`ratio: ${(all.ms / one.ms).toFixed(2)}× one context (target ≤ 2×)`);
} finally {
  await Promise.all(sims.map((s) => s.stop()));
}
