// What the scale benchmarks (fleet, nodes, scale) measure around one run of the real CLI: its wall time,
// its own CPU and peak RSS (from /usr/bin/time), and the CPU the in-process sim spent meanwhile — its
// API server in this process, and the processes it ran for the probe pods (each a node process, reaped
// by this process). On a 2-core machine the sim competes with the CLI, so the split says which one
// the wall time is made of.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** USER_HZ, the unit of /proc/<pid>/stat times on Linux. */
const CLOCK_TICKS = 100;

/** CPU ms of this process's reaped children (fields 16 and 17 of /proc/self/stat). */
function childrenCpuMs(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[13]) + Number(fields[14])) * 1000) / CLOCK_TICKS;
}

const ownCpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

export interface CliRun {
  code: number | null;
  wallMs: number;
  /** The CLI process's user + system CPU. */
  cliCpuMs: number;
  cliPeakRssMiB: number;
  /** This process's CPU meanwhile: the sim's API server, exec relay and Service forwarder. */
  simCpuMs: number;
  /** Processes the sim ran and reaped meanwhile (probe pods' containers and execs). */
  simChildrenCpuMs: number;
  stdout: string;
}

/** The CLI under test; BENCH_CLI compares another build (e.g. one made from an older commit). */
export const CLI = process.env.BENCH_CLI ?? 'dist/cli.js';
const NODE_ARGS = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);

/** Runs `node CLI ARGS` under /usr/bin/time; stderr passes through. BENCH_NODE_ARGS (e.g. --cpu-prof) go to the CLI's node only. */
export async function runCli(args: string[], settleMs = 500): Promise<CliRun> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-cli-'));
  const timeFile = join(dir, 'time');
  const own0 = ownCpuMs();
  const children0 = childrenCpuMs();
  const start = process.hrtime.bigint();
  const { code, stdout } = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
    const child = spawn('/usr/bin/time', ['-f', '%U %S %M', '-o', timeFile, process.execPath, ...NODE_ARGS, CLI, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (c) => resolve({ code: c, stdout: out }));
  });
  const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
  // The probe pods' processes end with the pods' deletion, just before the CLI exits: let them be reaped.
  await new Promise((resolve) => setTimeout(resolve, settleMs));
  const [user, sys, rssKiB] = readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
  rmSync(dir, { recursive: true, force: true });
  const cliCpuMs = (user! + sys!) * 1000;
  return {
    code,
    wallMs,
    cliCpuMs,
    cliPeakRssMiB: rssKiB! / 1024,
    simCpuMs: ownCpuMs() - own0,
    simChildrenCpuMs: Math.max(0, childrenCpuMs() - children0 - cliCpuMs),
    stdout,
  };
}

export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** One line of the CPU split of a run. */
export const cpuLine = (r: CliRun): string =>
  `wall ${r.wallMs.toFixed(0)} ms; CPU: CLI ${r.cliCpuMs.toFixed(0)} ms (peak RSS ${r.cliPeakRssMiB.toFixed(0)} MiB), sim ${r.simCpuMs.toFixed(0)} ms + its pod processes ${r.simChildrenCpuMs.toFixed(0)} ms`;
