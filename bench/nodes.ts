// bench:nodes — `check --probe-nodes all` on a 50-node sim (3 CoreDNS pods): wall time of the real CLI
// and the API requests it made, per node. Targets (design): ≤ 10 s, at most 5 API requests per node.
// Also where the CPU went (bench/measure.ts): every probe pod is two node processes in the sim (its
// container and the exec'd probe), all on this machine's cores beside the CLI. Env: BENCH_CLI.
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { startSim } from '../test/sim/index.ts';
import { DEFAULTS } from '../src/common/defaults.ts';
import { cpuLine, median, runCli } from './measure.ts';

const NODES = 50;

const built = spawnSync(process.execPath, ['scripts/build.mjs', '--quiet'], { stdio: 'inherit' });
if (built.status !== 0) process.exit(1);

const sim = await startSim({ nodes: NODES, dns: { replicas: 3 } });
try {
  await sim.waitReady(60_000);
  const before = sim.requests.length;
  const run = await runCli(['check', '--kubeconfig', sim.kubeconfigPath, '--probe-nodes', 'all', '-o', 'json']);
  const requests = sim.requests.slice(before);
  const byKind = new Map<string, number>();
  for (const r of requests) byKind.set(`${r.verb} ${r.resource}`, (byKind.get(`${r.verb} ${r.resource}`) ?? 0) + 1);
  const report = JSON.parse(run.stdout) as { probes?: { durationMs: number }[] };
  const probes = report.probes ?? [];
  console.log(`--probe-nodes all on ${NODES} nodes (${DEFAULTS.probe.nodesParallel} probe pods at a time, ${availableParallelism()} cores): ${run.wallMs.toFixed(0)} ms (target ≤ 10000 ms), exit ${run.code}`);
  console.log(`API requests: ${requests.length} = ${(requests.length / NODES).toFixed(2)} per node (target ≤ 5): ${[...byKind].map(([k, n]) => `${n}× ${k}`).join(', ')}`);
  console.log(`${probes.length} probes, the probe's DNS work per node: median ${median(probes.map((p) => p.durationMs)).toFixed(0)} ms, max ${Math.max(...probes.map((p) => p.durationMs)).toFixed(0)} ms`);
  console.log(`${cpuLine(run)}; CPU floor on ${availableParallelism()} cores: ${((run.cliCpuMs + run.simCpuMs + run.simChildrenCpuMs) / availableParallelism()).toFixed(0)} ms of wall`);
} finally {
  await sim.stop();
}
