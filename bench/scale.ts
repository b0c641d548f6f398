// bench:scale — issue 9's scale figure: a Deployment of 250 CoreDNS replicas in the sim, one pod hung
// (SIGSTOPped: it answers nothing, stays Ready), one `check` cycle of the real CLI with the default plan.
// Prints wall time, API requests (and the same cycle's count with 3 replicas, to show they do not grow
// with the replica count), the probe plan's size (queries per transport), whether exactly the hung pod
// was flagged, and the CLI's peak RSS. Targets (issue 9): ≤ 5 s; API requests independent of the
// replica count (list calls, no per-pod requests).
// Each replica is a real dnsmasq of its own (forking per TCP connection; the probe opens one per
// target), all on this machine's cores with the CLI and the probe; the CPU split says how much of the
// wall time is the sim's. Each dnsmasq also holds one inotify instance (it watches its hosts
// directory): with the kernel's default fs.inotify.max_user_instances of 128 the bench runs as many
// replicas as fit and says how to raise it.
// Env: BENCH_REPLICAS (default 250), BENCH_CLI.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { startSim, type Sim } from '../test/sim/index.ts';
import { cpuLine, runCli, type CliRun } from './measure.ts';

const WANTED = Number(process.env.BENCH_REPLICAS ?? 250);

/** inotify instances in use now (every process's anon_inode:inotify descriptors we can see). */
function inotifyInUse(): number {
  let n = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      for (const fd of readdirSync(`/proc/${pid}/fd`)) if (readlinkSync(`/proc/${pid}/fd/${fd}`) === 'anon_inode:inotify') n++;
    } catch {
      // a process that ended, or not ours to read
    }
  }
  return n;
}

const inotifyLimit = Number(readFileSync('/proc/sys/fs/inotify/max_user_instances', 'utf8'));
// A few spare for the processes the run starts (node's own file watchers).
const fit = inotifyLimit - inotifyInUse() - 8;
const REPLICAS = Math.min(WANTED, fit);
if (REPLICAS < WANTED)
  console.log(`fs.inotify.max_user_instances is ${inotifyLimit}: ${REPLICAS} replicas fit, not ${WANTED} (each dnsmasq holds one); as root: sysctl -w fs.inotify.max_user_instances=${WANTED * 2}`);

interface Report {
  exitCode: number;
  plan?: { targets: number; queries: unknown[]; transports: string[]; samples: number; timeoutMs: number };
  probes?: { durationMs: number }[];
  targets?: { kind: string; label: string; verdict: string }[];
}

const built = spawnSync(process.execPath, ['scripts/build.mjs', '--quiet'], { stdio: 'inherit' });
if (built.status !== 0) process.exit(1);

/** One check cycle on a fresh sim of `replicas` CoreDNS pods, the middle one hung. */
async function cycle(replicas: number): Promise<{ run: CliRun; requests: string[]; hung: string; readyMs: number }> {
  const started = Date.now();
  const sim: Sim = await startSim({ dns: { replicas } });
  try {
    await sim.waitReady(120_000);
    const readyMs = Date.now() - started;
    const hung = sim.dnsPods()[Math.floor(replicas / 2)]!.name;
    sim.faults.hangDns(hung);
    const before = sim.requests.length;
    const run = await runCli(['check', '--kubeconfig', sim.kubeconfigPath, '-o', 'json']);
    return { run, requests: sim.requests.slice(before).map((r) => `${r.verb} ${r.resource}`), hung, readyMs };
  } finally {
    await sim.stop();
  }
}

const count = (requests: string[]) => {
  const byKind = new Map<string, number>();
  for (const r of requests) byKind.set(r, (byKind.get(r) ?? 0) + 1);
  return [...byKind].map(([k, n]) => `${n}× ${k}`).join(', ');
};

const small = await cycle(3);
const big = await cycle(REPLICAS);
const report = JSON.parse(big.run.stdout) as Report;
const plan = report.plan;
const flagged = (report.targets ?? []).filter((t) => t.kind === 'pod' && t.verdict !== 'pass').map((t) => t.label);
const probeMs = Math.max(0, ...(report.probes ?? []).map((p) => p.durationMs));

console.log(`${REPLICAS} CoreDNS replicas (sim ready in ${big.readyMs} ms), one hung (${big.hung}), ${availableParallelism()} cores, default plan`);
console.log(`wall time: ${big.run.wallMs.toFixed(0)} ms (target ≤ 5000 ms), exit ${big.run.code} = the probe's DNS work ${probeMs.toFixed(0)} ms + ${(big.run.wallMs - probeMs).toFixed(0)} ms for the rest (CLI start, discovery, probe pod start, exec, cleanup)`);
console.log(`API requests: ${big.requests.length} with ${REPLICAS} replicas, ${small.requests.length} with 3 (target: independent of the replica count; list calls, no per-pod requests)`);
console.log(`  ${REPLICAS}: ${count(big.requests)}`);
console.log(`  3: ${count(small.requests)}`);
if (plan) {
  const perTransport = plan.targets * plan.queries.length * plan.samples;
  console.log(`probe plan: ${plan.targets} targets × ${plan.queries.length} queries × ${plan.samples} samples = ${perTransport} queries per transport (${plan.transports.join(', ')}), ${perTransport * plan.transports.length} in all, timeout ${plan.timeoutMs} ms`);
}
console.log(`flagged pods: ${flagged.length ? flagged.join(', ') : 'none'} (expected exactly ${big.hung})`);
console.log(`CLI peak RSS: ${big.run.cliPeakRssMiB.toFixed(0)} MiB`);
console.log(cpuLine(big.run));
