// bench:nodes — `check --probe-nodes all` on a 50-node sim (3 CoreDNS pods): wall time of the real CLI
// and the API requests it made, per node. Targets (design): ≤ 10 s, at most 5 API requests per node.
import { spawn, spawnSync } from 'node:child_process';
import { startSim } from '../test/sim/index.ts';

const NODES = 50;

const built = spawnSync(process.execPath, ['scripts/build.mjs', '--quiet'], { stdio: 'inherit' });
if (built.status !== 0) process.exit(1);

const sim = await startSim({ nodes: NODES, dns: { replicas: 3 } });
try {
  await sim.waitReady(60_000);
  const before = sim.requests.length;
  const start = process.hrtime.bigint();
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, ['dist/cli.js', 'check', '--kubeconfig', sim.kubeconfigPath, '--probe-nodes', 'all', '-o', 'json'], { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('close', resolve);
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const requests = sim.requests.slice(before);
  const byKind = new Map<string, number>();
  for (const r of requests) byKind.set(`${r.verb} ${r.resource}`, (byKind.get(`${r.verb} ${r.resource}`) ?? 0) + 1);
  console.log(`--probe-nodes all on ${NODES} nodes: ${ms.toFixed(0)} ms (target ≤ 10000 ms), exit ${code}`);
  console.log(`API requests: ${requests.length} = ${(requests.length / NODES).toFixed(2)} per node (target ≤ 5): ${[...byKind].map(([k, n]) => `${n}× ${k}`).join(', ')}`);
} finally {
  await sim.stop();
}
