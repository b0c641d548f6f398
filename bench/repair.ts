// bench:repair — the repair figures of design.md, with the real CLI against the simulated cluster:
//  (a) fault → healthy DNS in watch mode (--repair, --interval 5s): one CoreDNS pod hung (SIGSTOP, its
//      health endpoint still answers, so the kubelet never acts) until the Service IP and every Ready
//      endpoint answer again, 3 ready endpoints. Target ≤ 15 s. 3 runs, each on a fresh sim (cooldown
//      and escalation history live in the cluster and would hold back a second repair).
//  (b) restarts done vs needed across the fault matrix with `check --repair`, each on a fresh sim,
//      counted from the sim's API log (evictions, deletes of DNS pods, rollout restarts). Target 0
//      false restarts.
//  (c) the same across the distributions' presets (test/sim/presets.ts) × faults (one pod hung, upstream
//      down, a stub's forwarder down; on dual-stack, when root, IPv6 lost on every pod or on one).
//      Target 0 false restarts.
// Leaves no process behind: every watcher and sim is stopped in finally blocks.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { startSim, dnsAnswers, type Sim } from '../test/sim/index.ts';
import { connect } from '../src/kube/index.ts';
import type { ApiRequestRecord } from '../test/sim/types.ts';
import type { PresetName } from '../test/sim/presets.ts';
import { ipv6Available } from '../test/sim/network6.ts';

const CLI = 'dist/cli.js';
const SUBNET_WATCH = '127.213';
const SUBNET_MATRIX = '127.214';
const METRICS_ADDR = '127.212.0.3:0';
const RUNS = 3;
const TARGET_MS = 15_000;
const GIVE_UP_MS = 90_000;
const DNS_NAME = 'kubernetes.default.svc.cluster.local';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function withSim<T>(subnet: string, body: (sim: Sim) => Promise<T>): Promise<T> {
  const sim = await startSim({ subnet, dns: { replicas: 3 } });
  try {
    await sim.waitReady(30_000);
    return await body(sim);
  } finally {
    await sim.stop();
  }
}

/** Healthy: 3 Ready endpoints behind kube-dns, each answers, and the Service IP answers 6 queries in a row. */
async function dnsHealthy(sim: Sim): Promise<boolean> {
  const { client } = connect({ kubeconfig: sim.kubeconfigPath });
  const slices = await client.listEndpointSlices('kube-system', 'kube-dns').catch(() => []);
  const ips = slices.flatMap((s) => s.endpoints.filter((e) => e.ready).flatMap((e) => e.addresses));
  if (ips.length !== 3) return false;
  const { ip, port } = sim.dnsService();
  const pods = await Promise.all(ips.map((a) => dnsAnswers(a, port, DNS_NAME, 300)));
  if (!pods.every(Boolean)) return false;
  for (let i = 0; i < 6; i++) if (!(await dnsAnswers(ip, port, DNS_NAME, 300))) return false;
  return true;
}

function startWatcher(sim: Sim): { child: ChildProcess; output: () => string } {
  const args = ['watch', '--repair', '--interval', '5s', '--kubeconfig', sim.kubeconfigPath, '--metrics-addr', METRICS_ADDR, '--no-process-metrics'];
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d));
  child.stderr!.on('data', (d: Buffer) => (output += d));
  return { child, output: () => output };
}

async function stopWatcher(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const closed = new Promise((r) => child.once('close', r));
  child.kill('SIGTERM');
  await Promise.race([closed, sleep(10_000)]);
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGKILL');
    await closed;
  }
}

interface HealRun {
  /** ms from the fault to healthy DNS; null when it never healed. */
  ms: number | null;
  victim: string;
  /** Pods restarted during the run (from the API log). */
  restarted: string[];
}

/** One run of (a) on a fresh sim. */
async function timeToHealthy(run: number): Promise<HealRun> {
  return withSim(SUBNET_WATCH, async (sim) => {
    const watcher = startWatcher(sim);
    try {
      // Let the watcher settle into its rhythm: the fault lands at a random point of a 5 s interval.
      const firstCycle = Date.now();
      while (!/cycle 1:/.test(watcher.output()) && Date.now() - firstCycle < 30_000) await sleep(100);
      await sleep(1000 + Math.random() * 4000);
      const victim = sim.dnsPods()[run % 3]!.name;
      const before = sim.requests.length;
      const t0 = Date.now();
      sim.faults.hangDns(victim);
      if (await dnsHealthy(sim)) throw new Error(`run ${run}: DNS still healthy right after hanging ${victim}: the fault did not take`);
      const restarted = () => restartRequests(sim.requests.slice(before)).map((r) => r.name ?? '');
      while (Date.now() - t0 < GIVE_UP_MS) {
        if (await dnsHealthy(sim)) return { ms: Date.now() - t0, victim, restarted: restarted() };
        await sleep(100);
      }
      process.stderr.write(`run ${run}: not healthy after ${GIVE_UP_MS} ms; watch said:\n${watcher.output().slice(-2000)}\n`);
      return { ms: null, victim, restarted: restarted() };
    } finally {
      await stopWatcher(watcher.child);
      sim.faults.clear();
    }
  });
}

/** API requests that restart a CoreDNS pod: eviction, delete of a DNS pod, rollout restart patch. */
function restartRequests(requests: ApiRequestRecord[], namespace = 'kube-system'): ApiRequestRecord[] {
  return requests.filter(
    (r) =>
      r.code < 300 &&
      ((r.resource === 'pods/eviction' && r.verb === 'create') ||
        (r.resource === 'pods' && r.verb === 'delete' && r.namespace === namespace && !/^coredns-sentinel-probe/.test(r.name ?? '')) ||
        (r.resource === 'deployments' && r.verb === 'patch' && r.namespace === namespace)),
  );
}

/** The CLI as a child process; never spawnSync: the sim serves from this very event loop. */
function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  const killer = setTimeout(() => child.kill('SIGKILL'), 180_000);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr });
    }),
  );
}

interface Scenario {
  name: string;
  /** Pods that really need a restart (empty: none may be restarted). */
  inject(sim: Sim): Promise<string[]>;
  extraArgs?: (sim: Sim) => string[];
}

async function waitCrashLoop(sim: Sim, pod: string): Promise<void> {
  const { client } = connect({ kubeconfig: sim.kubeconfigPath });
  for (let i = 0; i < 300; i++) {
    const p = (await client.listPods('kube-system', 'k8s-app=kube-dns')).find((x) => x.name === pod);
    if (p?.containerStatuses.some((c) => c.waitingReason === 'CrashLoopBackOff')) return;
    await sleep(100);
  }
  throw new Error(`pod ${pod} never reached CrashLoopBackOff`);
}

const SCENARIOS: Scenario[] = [
  {
    name: 'one pod hung',
    async inject(sim) {
      const victim = sim.dnsPods()[1]!.name;
      sim.faults.hangDns(victim);
      return [victim];
    },
  },
  {
    name: 'upstream down',
    async inject(sim) {
      sim.faults.upstreamDown();
      return [];
    },
  },
  {
    name: 'all pods hung',
    async inject(sim) {
      for (const p of sim.dnsPods()) sim.faults.hangDns(p.name);
      return [];
    },
  },
  {
    name: 'crash loop',
    async inject(sim) {
      const victim = sim.dnsPods()[0]!.name;
      sim.faults.crashLoop(victim);
      await waitCrashLoop(sim, victim);
      return [];
    },
  },
  {
    name: 'probe node without network',
    async inject(sim) {
      sim.faults.nodeNoNetwork(PROBE_NODE(sim));
      return [];
    },
    extraArgs: (sim) => ['--node-selector', `kubernetes.io/hostname=${PROBE_NODE(sim)}`],
  },
];

/** The node the probe is pinned to in the no-network scenario: the first DNS pod's. */
const PROBE_NODE = (sim: Sim): string => sim.dnsPods()[0]!.node;

interface MatrixRow {
  scenario: string;
  needed: number;
  done: number;
  wrong: string[];
  exitCode: number | null;
  /** The judge's classification before any repair (what decided). */
  classification: string;
}

function classificationOf(stdout: string): string {
  try {
    const out = JSON.parse(stdout) as { classification?: string; repair?: { before?: { classification: string } } };
    return out.repair?.before?.classification ?? out.classification ?? '?';
  } catch {
    return '?';
  }
}

async function runScenario(s: Scenario): Promise<MatrixRow> {
  return withSim(SUBNET_MATRIX, async (sim) => {
    const extra = s.extraArgs?.(sim) ?? [];
    const needed = await s.inject(sim);
    const before = sim.requests.length;
    const run = await runCli(['check', '--repair', '--kubeconfig', sim.kubeconfigPath, '-o', 'json', ...extra]);
    if (run.code !== 0 && run.code !== 1) process.stderr.write(`${s.name}: check --repair exited ${run.code}: ${run.stderr.trim()}\n`);
    const restarts = restartRequests(sim.requests.slice(before));
    // A rollout restarts every pod, the healthy ones too: it never matches a needed pod.
    const restarted = restarts.map((r) => (r.resource === 'deployments' ? `deployment/${r.name ?? ''}` : (r.name ?? '')));
    sim.faults.clear();
    return { scenario: s.name, needed: needed.length, done: restarts.length, wrong: restarted.filter((p) => !needed.includes(p)), exitCode: run.code, classification: classificationOf(run.stdout) };
  });
}

const built = spawnSync(process.execPath, ['scripts/build.mjs', '--quiet'], { stdio: 'inherit' });
if (built.status !== 0) process.exit(1);

console.log(`(a) fault → healthy DNS, watch --repair --interval 5s, one of 3 CoreDNS pods hung (target ≤ ${TARGET_MS / 1000} s)`);
const times: (number | null)[] = [];
for (let run = 1; run <= RUNS; run++) {
  const { ms, victim, restarted } = await timeToHealthy(run);
  times.push(ms);
  console.log(`  run ${run}: ${ms === null ? `not healthy within ${GIVE_UP_MS / 1000} s` : `${(ms / 1000).toFixed(1)} s`} (hung ${victim}; restarted ${restarted.join(', ') || 'nothing'})`);
}
const healed = times.filter((t): t is number => t !== null);
const max = healed.length === times.length ? Math.max(...healed) : null;
console.log(`  max: ${max === null ? 'a run never healed' : `${(max / 1000).toFixed(1)} s`} ${max !== null && max <= TARGET_MS ? '(ok)' : '(MISSED)'}`);

console.log('\n(b) restarts done vs needed, check --repair with default flags, a fresh sim per scenario');
const rows: MatrixRow[] = [];
for (const s of SCENARIOS) rows.push(await runScenario(s));
const width = Math.max(...rows.map((r) => r.scenario.length), 'SCENARIO'.length);
console.log(`  ${'SCENARIO'.padEnd(width)}  NEEDED  DONE  EXIT  ${'CLASSIFICATION'.padEnd(14)}  FALSE`);
for (const r of rows)
  console.log(`  ${r.scenario.padEnd(width)}  ${String(r.needed).padEnd(6)}  ${String(r.done).padEnd(4)}  ${String(r.exitCode).padEnd(4)}  ${r.classification.padEnd(14)}  ${r.wrong.length ? r.wrong.join(', ') : '-'}`);
const falseRestarts = rows.reduce((n, r) => n + r.wrong.length, 0);
const missed = rows.reduce((n, r) => n + Math.max(0, r.needed - (r.done - r.wrong.length)), 0);
console.log(`false restarts: ${falseRestarts}${missed ? `, missed restarts: ${missed}` : ''}`);

// (c) the distributions' DNS configurations (test/sim/presets.ts) × faults: the checks derived from each
// Corefile, the workload flags each needs, and never a restart for a fault outside the pods.
const PRESET_RUNS: { preset: PresetName; stub?: string }[] = [
  { preset: 'kubeadm' },
  { preset: 'eks' },
  { preset: 'aks', stub: 'puglife.local' },
  { preset: 'k3s', stub: 'homelab.local' },
  { preset: 'rke2' },
  { preset: 'openshift' },
  // IPv6 addresses on lo: root only.
  ...(ipv6Available() ? [] : [{ preset: 'dual-stack' as const }]),
];
const PRESET_FAULTS: { name: string; applies: (r: (typeof PRESET_RUNS)[number]) => boolean; inject: (sim: Sim, r: (typeof PRESET_RUNS)[number]) => string[] }[] = [
  { name: 'one pod hung', applies: () => true, inject: (sim) => (sim.faults.hangDns(sim.dnsPods()[0]!.name), [sim.dnsPods()[0]!.name]) },
  { name: 'upstream down', applies: () => true, inject: (sim) => (sim.faults.upstreamDown(), []) },
  { name: 'stub down', applies: (r) => r.stub !== undefined, inject: (sim, r) => (sim.faults.stubDown(r.stub!), []) },
  { name: 'IPv6 dropped', applies: (r) => r.preset === 'dual-stack', inject: (sim) => (sim.faults.dropFamily('ipv6'), []) },
  { name: 'IPv6 one pod', applies: (r) => r.preset === 'dual-stack', inject: (sim) => (sim.faults.dropFamily('ipv6', sim.dnsPods()[0]!.name), [sim.dnsPods()[0]!.name]) },
];

console.log('\n(c) presets × faults, check --repair with the preset\'s workload flags, a fresh sim each');
const noIpv6 = ipv6Available();
if (noIpv6) console.log(`  dual-stack left out: ${noIpv6}`);
const presetRows: (MatrixRow & { preset: string })[] = [];
for (const r of PRESET_RUNS)
  for (const f of PRESET_FAULTS.filter((x) => x.applies(r))) {
    const sim = await startSim({ subnet: SUBNET_MATRIX, preset: r.preset, timing: { scale: 0.1 } });
    try {
      await sim.waitReady(60_000);
      const w = sim.dnsWorkload();
      const flags = ['-n', w.namespace, '-l', Object.entries(w.selector).map(([k, v]) => `${k}=${v}`).join(','), '--service', w.service.name, '--configmap', w.configMap];
      const needed = f.inject(sim, r);
      const before = sim.requests.length;
      const run = await runCli(['check', '--repair', '--kubeconfig', sim.kubeconfigPath, '-o', 'json', '--samples', '1', '--timeout', '1s', ...flags]);
      if (run.code !== 0 && run.code !== 1) process.stderr.write(`${r.preset} / ${f.name}: check --repair exited ${run.code}: ${run.stderr.trim()}\n`);
      const restarted = restartRequests(sim.requests.slice(before), w.namespace).map((x) => (x.resource === 'deployments' ? `deployment/${x.name ?? ''}` : (x.name ?? '')));
      presetRows.push({ preset: r.preset, scenario: f.name, needed: needed.length, done: restarted.length, wrong: restarted.filter((p) => !needed.includes(p)), exitCode: run.code, classification: classificationOf(run.stdout) });
    } finally {
      await sim.stop();
    }
  }
console.log(`  ${'PRESET'.padEnd(10)}  ${'FAULT'.padEnd(13)}  NEEDED  DONE  EXIT  ${'CLASSIFICATION'.padEnd(14)}  FALSE`);
for (const r of presetRows)
  console.log(`  ${r.preset.padEnd(10)}  ${r.scenario.padEnd(13)}  ${String(r.needed).padEnd(6)}  ${String(r.done).padEnd(4)}  ${String(r.exitCode).padEnd(4)}  ${r.classification.padEnd(14)}  ${r.wrong.length ? r.wrong.join(', ') : '-'}`);
console.log(`false restarts across presets × faults: ${presetRows.reduce((n, r) => n + r.wrong.length, 0)}`);
