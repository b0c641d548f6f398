// bench:fleet — 20 contexts in one `check` run against one context, both through the real CLI, each run
// RUNS times (the median is compared). Target (design): the 20-context run ≤ 2× one context's wall time.
// The contexts point at SIMS in-process simulated clusters (3 CoreDNS pods each). Besides wall time the
// bench prints where the CPU went (bench/measure.ts): the CLI itself, and the sims — their API servers
// and the two node processes each probe pod costs (its container and the exec'd probe). Those sims
// share this machine's cores with the CLI; in a real fleet they are 20 other clusters. The CLI's CPU per
// extra context is the product's own cost of a wider fleet.
// Env: BENCH_SIMS (default 10), BENCH_PARALLEL (default 20, as --parallel), BENCH_RUNS (default 3).
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { startSim, type Sim } from '../test/sim/index.ts';
import { writeFleetKubeconfig } from '../test/e2e/kubeconfigs.ts';
import { cpuLine, median, runCli, type CliRun } from './measure.ts';

const SIMS = Number(process.env.BENCH_SIMS ?? 10);
const CONTEXTS = 20;
const PARALLEL = process.env.BENCH_PARALLEL ?? '20';
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

const built = spawnSync(process.execPath, ['scripts/build.mjs', '--quiet'], { stdio: 'inherit' });
if (built.status !== 0) process.exit(1);

interface Report {
  exitCode: number;
  probes?: { durationMs: number }[];
}
interface Fleet {
  clusters: { context: string; durationMs: number; report: Report }[];
}

const parse = <T>(run: CliRun): T | undefined => {
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    return undefined;
  }
};
const probeMs = (r: Report) => Math.max(0, ...(r.probes ?? []).map((p) => p.durationMs));

/** A fleet run's clusters: cycle and probe time (medians), and those not healthy. */
function clustersLine(run: CliRun): string {
  const fleet = parse<Fleet>(run);
  if (!fleet) return '; output not a FleetReport';
  const bad = fleet.clusters.filter((c) => c.report.exitCode !== 0).map((c) => `${c.context} (exit ${c.report.exitCode})`);
  const cycle = median(fleet.clusters.map((c) => c.durationMs));
  const probe = median(fleet.clusters.map((c) => probeMs(c.report)));
  return `; per cluster (median): cycle ${cycle.toFixed(0)} ms, of it the probe's DNS work in the sim ${probe.toFixed(0)} ms${bad.length ? `; not healthy: ${bad.join(', ')}` : ''}`;
}

const sims: Sim[] = await Promise.all(Array.from({ length: SIMS }, () => startSim({ dns: { replicas: 3 } })));
try {
  await Promise.all(sims.map((s) => s.waitReady(30_000)));
  const sources = Array.from({ length: CONTEXTS }, (_, i) => ({ name: `cluster-${String(i + 1).padStart(2, '0')}`, kubeconfig: sims[i % SIMS]!.kubeconfigPath }));
  const kubeconfig = writeFleetKubeconfig(join(sims[0]!.dir, 'fleet.kubeconfig'), sources);
  console.log(`${CONTEXTS} contexts on ${SIMS} sims, --parallel ${PARALLEL}, ${availableParallelism()} cores, ${RUNS} runs each, alternating`);
  const ones: CliRun[] = [];
  const alls: CliRun[] = [];
  for (let i = 0; i < RUNS; i++) {
    const one = await runCli(['check', '--kubeconfig', kubeconfig, '--context', 'cluster-01', '-o', 'json']);
    const report = parse<Report>(one);
    console.log(`  one context, exit ${one.code}: ${cpuLine(one)}${report ? `; the probe's DNS work ${probeMs(report).toFixed(0)} ms` : ''}`);
    ones.push(one);
    const all = await runCli(['check', '--kubeconfig', kubeconfig, '--all-contexts', '--parallel', PARALLEL, '-o', 'json']);
    console.log(`  ${CONTEXTS} contexts, exit ${all.code}: ${cpuLine(all)}${clustersLine(all)}`);
    alls.push(all);
  }
  const m = (runs: CliRun[], f: (r: CliRun) => number) => median(runs.map(f));
  const oneWall = m(ones, (r) => r.wallMs);
  const allWall = m(alls, (r) => r.wallMs);
  const oneCli = m(ones, (r) => r.cliCpuMs);
  const allCli = m(alls, (r) => r.cliCpuMs);
  const allSim = m(alls, (r) => r.simCpuMs + r.simChildrenCpuMs);
  const cores = availableParallelism();
  console.log(`one context: ${oneWall.toFixed(0)} ms (median)`);
  console.log(`${CONTEXTS} contexts: ${allWall.toFixed(0)} ms (median)`);
  console.log(`ratio: ${(allWall / oneWall).toFixed(2)}× one context (target ≤ 2×)`);
  console.log(`CLI CPU: ${oneCli.toFixed(0)} ms for one context, ${allCli.toFixed(0)} ms for ${CONTEXTS} = ${((allCli - oneCli) / (CONTEXTS - 1)).toFixed(0)} ms per extra context`);
  console.log(`sims' CPU in the ${CONTEXTS}-context run: ${allSim.toFixed(0)} ms (${((100 * allSim) / (allSim + allCli)).toFixed(0)}% of the CPU spent; a real fleet spends it in its own clusters)`);
  console.log(`CPU floor of the ${CONTEXTS}-context run on ${cores} cores: ${((allCli + allSim) / cores).toFixed(0)} ms of wall, ${(allCli / cores).toFixed(0)} ms of it the CLI's`);
  // The CLI's start-up (loading its modules) is one core's work before the first request, with nothing
  // to overlap it: the wall time cannot be below it plus the remaining CPU spread over every core.
  const startups = [];
  for (let i = 0; i < RUNS; i++) startups.push((await runCli(['--version'], 0)).wallMs);
  const startup = median(startups);
  const floor = startup + (allCli + allSim - startup) / cores;
  console.log(`lowest possible ${CONTEXTS}-context wall time here: CLI start-up ${startup.toFixed(0)} ms (\`--version\`, one core) + the rest of the CPU over ${cores} cores = ${floor.toFixed(0)} ms = ${(floor / oneWall).toFixed(2)}× one context`);
} finally {
  await Promise.all(sims.map((s) => s.stop()));
}
