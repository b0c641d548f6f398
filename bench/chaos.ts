// bench:chaos — repair and cleanup under kill -9 and signals (issue 11), the real CLI against the sim.
//  (a) 50 runs of `check --repair` with a hung pod, each killed with SIGKILL or SIGTERM at a random
//      moment of its run, then one normal run. Prints: orphan probe pods after the next run (target 0:
//      every kill here is on the same host), restarts recorded in the history vs done (evictions in the
//      API log; target equal), Lease left held after a SIGTERM (target 0), double restarts (a pod evicted
//      twice; target 0), exit codes after SIGTERM (target 130), and the longest an orphan lived.
//  (b) `watch --repair --interval 2s` for 60 s with a pod hung every 10 s and a steady client load on the
//      Service IP: restarts vs faults, false restarts (target 0), moments with two pods unavailable
//      (target 0), client queries answered (target ≥ 99.9 %).
// Not a timed test: it takes several minutes. Leaves no process behind (finally blocks).
import { spawn, type ChildProcess } from 'node:child_process';
import { hostname } from 'node:os';
import { startSim, dnsAnswers, type Sim } from '../test/sim/index.ts';
import { claimSubnet } from '../test/subnets.ts';
import { connect, type KPod } from '../src/kube/index.ts';
import { PROBE_SELECTOR } from '../src/probepod/spec.ts';
import { LOCK_NAME } from '../src/repair/lock.ts';
import { readHistory } from '../src/repair/state.ts';

const CLI = 'dist/cli.js';
const NS = 'kube-system';
const DNS = 'k8s-app=kube-dns';
const RUNS = Number(process.env.CHAOS_RUNS ?? 50);
const SOAK_MS = 60_000;
const FAULT_EVERY_MS = 10_000;
const DNS_NAME = 'kubernetes.default.svc.cluster.local';
// Flags that let every run repair (the bench is about what a kill leaves, not about the policy's limits).
const REPAIR = ['--repair', '--repair-timeout', '30s', '--cooldown', '0s', '--restart-budget', '1000/1h', '--escalate-after', '100'];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function run(args: string[]): { child: ChildProcess; done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> } {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d));
  child.stderr!.on('data', (d: Buffer) => (stderr += d));
  return { child, done: new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }))) };
}

async function until(cond: () => Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return true;
    await sleep(100);
  }
  return false;
}

async function chaos(sim: Sim): Promise<void> {
  const { client } = connect({ kubeconfig: sim.kubeconfigPath });
  const base = ['check', '--kubeconfig', sim.kubeconfigPath, '-o', 'json', '--timeout', '500ms', '--samples', '2', ...REPAIR];
  const dnsPods = () => client.listPods(NS, DNS);
  const probePods = async () => (await client.listPods('default', PROBE_SELECTOR)).map((p) => p.name);
  const firstSeen = new Map<string, number>();
  let longestOrphanMs = 0;
  const trackOrphans = async () => {
    const now = Date.now();
    const live = new Set(await probePods());
    for (const name of live) if (!firstSeen.has(name)) firstSeen.set(name, now);
    for (const [name, since] of firstSeen)
      if (!live.has(name)) {
        longestOrphanMs = Math.max(longestOrphanMs, now - since);
        firstSeen.delete(name);
      }
  };
  const from = sim.requests.length;
  const exits: Record<string, number> = {};
  let leaseHeldAfterTerm = 0;
  let orphansLeftByKills = 0;
  // A run's length without a kill sets the window in which the kills land.
  const t0 = Date.now();
  sim.faults.hangDns((await dnsPods())[0]!.name);
  await run(base).done;
  const runMs = Date.now() - t0;
  sim.faults.clear();
  for (let i = 0; i < RUNS; i++) {
    await until(async () => !(await dnsPods()).some((p) => p.deletionTimestamp), 60_000);
    await sim.waitReady(60_000);
    const victims = (await dnsPods()).filter((p) => !p.deletionTimestamp);
    sim.faults.hangDns(victims[i % victims.length]!.name);
    const started = sim.requests.length;
    const { child, done } = run(base);
    // From the run's first request (before it, Node is still parsing the bundle) to its usual end.
    await until(async () => sim.requests.length > started, 30_000);
    await sleep(Math.floor(Math.random() * runMs));
    const signal: NodeJS.Signals = Math.random() < 0.5 ? 'SIGKILL' : 'SIGTERM';
    child.kill(signal);
    const ended = await done;
    const key = `${signal} → ${ended.code ?? `killed by ${ended.signal}`}`;
    exits[key] = (exits[key] ?? 0) + 1;
    // The Lease still held by the run that was SIGTERMed (a SIGKILLed run's Lease is left to expire).
    if (signal === 'SIGTERM' && (await client.getLease(NS, LOCK_NAME))?.holderIdentity?.startsWith(`${hostname()}/${child.pid}/`)) leaseHeldAfterTerm++;
    const left = await probePods();
    if (signal === 'SIGKILL') orphansLeftByKills += left.length;
    await trackOrphans();
    sim.faults.clear();
    process.stdout.write(`\r  run ${i + 1}/${RUNS}`);
  }
  process.stdout.write('\n');
  // The next, normal run: it sweeps every orphan of the dead runs and settles their intents (a Lease left
  // by a SIGKILL expires after its duration: wait for it, as the next scheduled run would).
  await until(async () => !(await dnsPods()).some((p) => p.deletionTimestamp), 60_000);
  await sim.waitReady(60_000);
  const lease = await client.getLease(NS, LOCK_NAME);
  if (lease?.holderIdentity) await sleep(Math.max(0, Date.parse(lease.renewTime ?? '') + (lease.leaseDurationSeconds ?? 60) * 1000 - Date.now()) + 1000);
  sim.faults.hangDns((await dnsPods())[0]!.name);
  const last = await run(base).done;
  sim.faults.clear();
  await trackOrphans();
  const orphansAfter = (await probePods()).length;
  for (const since of firstSeen.values()) longestOrphanMs = Math.max(longestOrphanMs, Date.now() - since);

  const evictions = sim.requests.slice(from).filter((r) => r.resource === 'pods/eviction' && r.code < 300 && r.namespace === NS);
  const perPod = new Map<string, number>();
  for (const e of evictions) perPod.set(e.name ?? '', (perPod.get(e.name ?? '') ?? 0) + 1);
  const doubles = [...perPod.values()].filter((n) => n > 1).length;
  const recorded = (await readHistory(client, NS)).history.restarts;
  console.log(`(a) ${RUNS} runs of check --repair with a hung pod, each killed at a random moment of its ${(runMs / 1000).toFixed(1)} s, then one normal run (exit ${last.code})`);
  console.log(`    exits: ${Object.entries(exits).map(([k, n]) => `${k}: ${n}`).join(', ')}`);
  console.log(`    probe pods left right after a SIGKILL: ${orphansLeftByKills}; orphan probe pods after the next run: ${orphansAfter} (target 0)`);
  console.log(`    longest an orphan lived: ${(longestOrphanMs / 1000).toFixed(1)} s`);
  console.log(`    restarts recorded ${recorded.length} (${recorded.filter((r) => r.status === 'intent').length} unsettled) vs done ${evictions.length} (target equal)`);
  console.log(`    Lease left held after SIGTERM: ${leaseHeldAfterTerm} (target 0); double restarts: ${doubles} (target 0)`);
}

async function soak(sim: Sim): Promise<void> {
  const { client } = connect({ kubeconfig: sim.kubeconfigPath });
  const { ip, port } = sim.dnsService();
  const from = sim.requests.length;
  const watcher = run(['watch', '--kubeconfig', sim.kubeconfigPath, '--interval', '2s', '--metrics-addr', '127.0.0.1:0', '-o', 'json', '--timeout', '500ms', '--samples', '2',
    '--repair', '--repair-timeout', '30s', '--cooldown', '20s', '--restart-budget', '20/1h']);
  const hung = new Set<string>();
  const hungUids = new Set<string>();
  let faults = 0;
  let twoDown = 0;
  let wasTwoDown = false;
  const answers: Promise<boolean>[] = [];
  // As a stub resolver does (attempts:2): on a timeout, ask again from a new socket (a new flow, which
  // the Service may send to another pod).
  const withRetry: Promise<boolean>[] = [];
  try {
    const end = Date.now() + SOAK_MS;
    let nextFault = Date.now() + 2000;
    while (Date.now() < end) {
      const pods: KPod[] = await client.listPods(NS, DNS);
      const serving = pods.filter((p) => !p.deletionTimestamp && p.conditions.some((c) => c.type === 'Ready' && c.status === 'True'));
      if (Date.now() >= nextFault) {
        // The pod that has served longest and is not hung.
        const victim = serving.filter((p) => !hung.has(p.name)).sort((a, b) => Date.parse(a.startTime ?? '') - Date.parse(b.startTime ?? ''))[0];
        if (victim) {
          sim.faults.hangDns(victim.name);
          hung.add(victim.name);
          hungUids.add(victim.uid);
          faults++;
        }
        nextFault += FAULT_EVERY_MS;
      }
      // Unavailable: a missing or not-Ready replica, or a Ready one that is hung.
      const unavailable = 3 - serving.filter((p) => !hung.has(p.name)).length;
      if (unavailable >= 2 && !wasTwoDown) twoDown++;
      wasTwoDown = unavailable >= 2;
      const first = dnsAnswers(ip, port, DNS_NAME, 1000);
      answers.push(first);
      withRetry.push(first.then((ok) => ok || dnsAnswers(ip, port, DNS_NAME, 1000)));
      await sleep(100);
    }
  } finally {
    watcher.child.kill('SIGTERM');
    sim.faults.clear();
  }
  const watched = await watcher.done;
  const cycles = watched.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { exitCode: number; classification?: string; repair?: { actions: { outcome: string }[]; skipped: { reason: string }[] } });
  const byOutcome = new Map<string, number>();
  for (const c of cycles) {
    const key = `exit ${c.exitCode}${c.repair?.actions.length ? ` (${c.repair.actions.map((a) => a.outcome).join(',')})` : ''}`;
    byOutcome.set(key, (byOutcome.get(key) ?? 0) + 1);
  }
  const reasons = new Map<string, number>();
  for (const c of cycles) for (const sk of c.repair?.skipped ?? []) reasons.set(sk.reason.replace(/[0-9a-z]{5,}-[0-9a-z]{5}|\d[\d.:TZ-]*/g, '…').slice(0, 70), (reasons.get(sk.reason.replace(/[0-9a-z]{5,}-[0-9a-z]{5}|\d[\d.:TZ-]*/g, '…').slice(0, 70)) ?? 0) + 1);
  const evicted = sim.requests.slice(from).filter((r) => r.resource === 'pods/eviction' && r.code < 300 && r.namespace === NS).map((r) => r.name ?? '');
  const falseRestarts = evicted.filter((n) => !hung.has(n)).length;
  const ok = (await Promise.all(answers)).filter(Boolean).length;
  const okRetry = (await Promise.all(withRetry)).filter(Boolean).length;
  console.log(`(b) watch --repair --interval 2s for ${SOAK_MS / 1000} s, a pod hung every ${FAULT_EVERY_MS / 1000} s (--cooldown 20s, --restart-budget 20/1h)`);
  console.log(`    restarts ${evicted.length} vs faults ${faults} (repaired: ${evicted.filter((n) => hung.has(n)).length}); false restarts: ${falseRestarts} (target 0)`);
  console.log(`    moments with two pods unavailable: ${twoDown} (target 0)`);
  console.log(`    cycles: ${cycles.length}: ${[...byOutcome].map(([k, n]) => `${k} ×${n}`).join(', ')}`);
  if (reasons.size) console.log(`    skipped: ${[...reasons].map(([k, n]) => `${k} ×${n}`).join('; ')}`);
  const pct = (n: number) => ((100 * n) / Math.max(1, answers.length)).toFixed(2);
  console.log(`    client queries through the Service IP (every 100 ms, 1 s timeout) answered: ${ok}/${answers.length} (${pct(ok)} %); with one retry on a new socket: ${okRetry} (${pct(okRetry)} %) (target ≥ 99.9 %)`);
}

const sim = await startSim({ subnet: claimSubnet(), dns: { replicas: 3 }, timing: { scale: 0.1 } });
try {
  await sim.waitReady(60_000);
  if (!process.env.CHAOS_SKIP_KILLS) await chaos(sim);
  if (!process.env.CHAOS_SKIP_SOAK) {
    // A fresh history: part (a)'s restarts would use up the budget and escalate the lineages it restarted.
    const { client } = connect({ kubeconfig: sim.kubeconfigPath });
    const cm = await client.findConfigMap(NS, 'coredns-sentinel-state');
    if (cm) await client.replaceConfigMap({ ...cm, data: {} });
    await until(async () => !(await connect({ kubeconfig: sim.kubeconfigPath }).client.listPods(NS, DNS)).some((p) => p.deletionTimestamp), 60_000);
    await sim.waitReady(60_000);
    await soak(sim);
  }
} finally {
  await sim.stop();
}
