// bench:chaos — repair and cleanup under kill -9 and signals (issue 11), the real CLI against the sim.
//  (a) 50 runs of `check --repair` with a hung pod, each killed with SIGKILL or SIGTERM at a random
//      moment of its run, then one normal run. Prints: orphan probe pods after the next run (target 0:
//      every kill here is on the same host), restarts recorded in the history vs done (evictions in the
//      API log; target equal), Lease left held after a SIGTERM (target 0), double restarts (a pod evicted
//      twice; target 0), exit codes after SIGTERM (target 130), and the longest an orphan lived.
//  (b) `watch --repair --interval 2s` for 60 s with a pod hung every 10 s and a steady client load on the
//      Service IP (a lookup every 20 ms as glibc's stub resolver makes it, with its default options and
//      with timeout:1): restarts vs faults, false restarts (target 0), moments with two pods unavailable
//      (target 0), how long a hung pod stayed in the Service, client lookups answered (target ≥ 99.9 %)
//      and where the unanswered ones were sent.
//  (c) the long soak (issue 20): `watch --repair --interval 2s` with the repair defaults (cooldown 5m,
//      budget 3/1h, escalate after 2) for 120 s, a pod hung every 15 s, the victim chosen at random among
//      the pods serving (lineages repeat), and dnsperf at a steady 100 queries/s through the Service IP
//      with its own 5 s timeout: answered % (target ≥ 99.5 %), faults vs restarts vs quarantines, false
//      restarts (target 0), most hung pods in the Service at once — measured twice in the same run, as
//      the tool was before (--no-quarantine --no-timeline) and as it is.
// Not a timed test: it takes several minutes. Leaves no process behind (finally blocks).
// CHAOS_SKIP_KILLS, CHAOS_SKIP_SOAK, CHAOS_SKIP_LONG leave out (a), (b), (c).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dgram from 'node:dgram';
import dnsPacket from 'dns-packet';
import { hostname } from 'node:os';
import { startSim, type Sim } from '../test/sim/index.ts';
import { claimSubnet } from '../test/subnets.ts';
import { connect, type KPod } from '../src/kube/index.ts';
import { PROBE_SELECTOR } from '../src/probepod/spec.ts';
import { LOCK_NAME } from '../src/repair/lock.ts';
import { readHistory, STATE_NAME } from '../src/repair/state.ts';
import { QUARANTINE_LABEL } from '../src/repair/quarantine.ts';

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

/**
 * One lookup as glibc's stub resolver makes it (res_send, one nameserver, `options timeout:T attempts:N`):
 * the query from one UDP socket, resent from the SAME socket after each timeout — so through a Service
 * it stays on the same conntrack flow, and a retry reaches another pod only once kube-proxy has removed
 * the dead endpoint and flushed its flows. Resolves the ms until the first answer, or null.
 */
function stubLookup(ip: string, port: number, name: string, timeoutMs: number, attempts: number): Promise<number | null> {
  const query = dnsPacket.encode({ type: 'query', id: Math.floor(Math.random() * 65535), flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'A', name }] });
  const sent = Date.now();
  return new Promise((done) => {
    const s = dgram.createSocket('udp4');
    let tries = 0;
    let timer: NodeJS.Timeout | undefined;
    const finish = (ms: number | null) => {
      clearTimeout(timer);
      s.close();
      done(ms);
    };
    const attempt = () => {
      if (tries++ === attempts) return finish(null);
      s.send(query, port, ip);
      timer = setTimeout(attempt, timeoutMs);
    };
    s.on('error', () => finish(null));
    s.on('message', () => finish(Date.now() - sent));
    attempt();
  });
}

/**
 * The client load: a lookup every LOAD_EVERY_MS, alternately as glibc with its default options (what a
 * pod's resolv.conf from the kubelet gives: timeout:5 attempts:2) and as glibc tuned to options timeout:1
 * attempts:2.
 */
const LOAD_EVERY_MS = 20;
const CLIENTS = [
  { name: 'glibc defaults (timeout:5 attempts:2)', timeoutMs: 5000, attempts: 2 },
  { name: 'glibc options timeout:1 attempts:2', timeoutMs: 1000, attempts: 2 },
];

async function soak(sim: Sim): Promise<void> {
  const { client } = connect({ kubeconfig: sim.kubeconfigPath });
  const { ip, port } = sim.dnsService();
  const from = sim.requests.length;
  const watcher = run(['watch', '--kubeconfig', sim.kubeconfigPath, '--interval', '2s', '--metrics-addr', '127.0.0.1:0', '-o', 'json', '--timeout', '500ms', '--samples', '2',
    '--repair', '--repair-timeout', '30s', '--cooldown', '20s', '--restart-budget', '20/1h']);
  const hung = new Set<string>();
  // When each fault was injected, and when its pod was first seen leaving the Service's endpoints
  // (terminating or gone: the endpoint controller marks it not ready, kube-proxy flushes its flows).
  const hungAt = new Map<string, number>();
  const leftAt = new Map<string, number>();
  let faults = 0;
  let twoDown = 0;
  let wasTwoDown = false;
  const lookups: { client: number; at: number; answeredMs: Promise<number | null> }[] = [];
  const load = setInterval(() => {
    const kind = lookups.length % CLIENTS.length;
    const c = CLIENTS[kind]!;
    lookups.push({ client: kind, at: Date.now(), answeredMs: stubLookup(ip, port, DNS_NAME, c.timeoutMs, c.attempts) });
  }, LOAD_EVERY_MS);
  try {
    const end = Date.now() + SOAK_MS;
    let nextFault = Date.now() + 2000;
    while (Date.now() < end) {
      const pods: KPod[] = await client.listPods(NS, DNS);
      const now = Date.now();
      for (const name of hung) if (!leftAt.has(name) && !pods.some((p) => p.name === name && !p.deletionTimestamp)) leftAt.set(name, now);
      const serving = pods.filter((p) => !p.deletionTimestamp && p.conditions.some((c) => c.type === 'Ready' && c.status === 'True'));
      if (now >= nextFault) {
        // The pod that has served longest and is not hung.
        const victim = serving.filter((p) => !hung.has(p.name)).sort((a, b) => Date.parse(a.startTime ?? '') - Date.parse(b.startTime ?? ''))[0];
        if (victim) {
          sim.faults.hangDns(victim.name);
          hung.add(victim.name);
          hungAt.set(victim.name, Date.now());
          faults++;
        }
        nextFault += FAULT_EVERY_MS;
      }
      // Unavailable: a missing or not-Ready replica, or a Ready one that is hung.
      const unavailable = 3 - serving.filter((p) => !hung.has(p.name)).length;
      if (unavailable >= 2 && !wasTwoDown) twoDown++;
      wasTwoDown = unavailable >= 2;
      await sleep(50);
    }
  } finally {
    clearInterval(load);
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
  for (const c of cycles)
    for (const sk of c.repair?.skipped ?? []) {
      const reason = sk.reason.replace(/[0-9a-z]{5,}-[0-9a-z]{5}|\d[\d.:TZ-]*/g, '…').slice(0, 70);
      reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    }
  const evicted = sim.requests.slice(from).filter((r) => r.resource === 'pods/eviction' && r.code < 300 && r.namespace === NS).map((r) => r.name ?? '');
  const falseRestarts = evicted.filter((n) => !hung.has(n)).length;
  console.log(`(b) watch --repair --interval 2s for ${SOAK_MS / 1000} s, a pod hung every ${FAULT_EVERY_MS / 1000} s (--cooldown 20s, --restart-budget 20/1h)`);
  console.log(`    restarts ${evicted.length} vs faults ${faults} (repaired: ${evicted.filter((n) => hung.has(n)).length}); false restarts: ${falseRestarts} (target 0)`);
  console.log(`    moments with two pods unavailable: ${twoDown} (target 0)`);
  console.log(`    cycles: ${cycles.length}: ${[...byOutcome].map(([k, n]) => `${k} ×${n}`).join(', ')}`);
  if (reasons.size) console.log(`    skipped: ${[...reasons].map(([k, n]) => `${k} ×${n}`).join('; ')}`);
  // Where lost answers come from: a hung pod still in the Service (from its hang until it left the
  // endpoints: the tool's detection and eviction), or anything else.
  const exposures = [...hungAt].map(([name, at]) => ({ from: at, to: leftAt.get(name) ?? Infinity }));
  const exposureMs = exposures.filter((e) => e.to !== Infinity).map((e) => e.to - e.from);
  const inExposure = (at: number) => exposures.some((e) => at >= e.from && at <= e.to);
  const settled = await Promise.all(lookups.map(async (l) => ({ client: l.client, at: l.at, ms: await l.answeredMs })));
  const stats = exposureMs.length ? `mean ${(exposureMs.reduce((x, y) => x + y, 0) / exposureMs.length / 1000).toFixed(2)} s, max ${(Math.max(...exposureMs) / 1000).toFixed(2)} s` : 'none measured';
  console.log(`    a hung pod in the Service, from its hang until it left the endpoints: ${stats} (${exposureMs.length} of ${exposures.length} left during the soak)`);
  console.log(`    client load: a lookup every ${LOAD_EVERY_MS} ms through the Service IP, alternately as each client below (glibc: the retry from the same socket)`);
  for (const [i, c] of CLIENTS.entries()) {
    const mine = settled.filter((l) => l.client === i);
    const pct = (k: number) => ((100 * k) / Math.max(1, mine.length)).toFixed(2);
    const firstOk = mine.filter((l) => l.ms !== null && l.ms <= c.timeoutMs).length;
    const firstLost = mine.filter((l) => l.ms === null || l.ms > c.timeoutMs);
    const lost = mine.filter((l) => l.ms === null);
    console.log(`      ${c.name}: ${mine.length} lookups; answered at the first attempt ${firstOk} (${pct(firstOk)} %; of the others ${firstLost.filter((l) => inExposure(l.at)).length} sent while a hung pod was in the Service)`);
    console.log(`        answered ${mine.length - lost.length} (${pct(mine.length - lost.length)} %) (target ≥ 99.9 %); unanswered ${lost.length}, of them ${lost.filter((l) => inExposure(l.at)).length} sent while a hung pod was in the Service`);
  }
}

const LONG_SOAK_MS = 120_000;
const LONG_FAULT_EVERY_MS = 15_000;
const DNSPERF_QPS = 100;

/** dnsperf's totals: "Queries sent: N", "Queries completed: N (…)". */
function dnsperfTotals(out: string): { sent: number; completed: number } {
  const count = (what: string) => Number(new RegExp(`Queries ${what}:\\s+(\\d+)`).exec(out)?.[1] ?? NaN);
  return { sent: count('sent'), completed: count('completed') };
}

interface LongSoakFigures {
  label: string;
  sent: number;
  completed: number;
  faults: number;
  restarts: number;
  quarantines: number;
  falseRestarts: number;
  mostHungInService: number;
  /** Hung pods × time they were ready endpoints of the Service. */
  exposureMs: number;
  classifications: Map<string, number>;
}

/** A fresh start: no history, no quarantined pod, every replica Ready. */
async function resetCluster(sim: Sim): Promise<void> {
  sim.faults.clear();
  const { client } = connect({ kubeconfig: sim.kubeconfigPath });
  for (const p of await client.listPods(NS, `${QUARANTINE_LABEL}=true`)) await client.deleteQuarantinedPod(NS, p.name, p.uid, 0);
  const cm = await client.findConfigMap(NS, STATE_NAME);
  if (cm) await client.replaceConfigMap({ ...cm, data: {} });
  await until(async () => !(await client.listPods(NS, DNS)).some((p) => p.deletionTimestamp), 60_000);
  await sim.waitReady(60_000);
}

async function longSoak(sim: Sim, label: string, flags: string[], queryFile: string): Promise<LongSoakFigures> {
  await resetCluster(sim);
  const { client } = connect({ kubeconfig: sim.kubeconfigPath });
  const { ip, port } = sim.dnsService();
  const from = sim.requests.length;
  const watcher = run(['watch', '--kubeconfig', sim.kubeconfigPath, '--interval', '2s', '--metrics-addr', '127.0.0.1:0', '-o', 'json', '--timeout', '500ms', '--samples', '2', '--repair', ...flags]);
  // The clients: dnsperf at a steady rate (room for every query outstanding, so lost ones never slow it),
  // each query lost after its own timeout (5 s, dnsperf's default); 10 sockets, each a flow through kube-proxy.
  const perf = spawn('dnsperf', ['-s', ip, '-p', String(port), '-a', '127.0.0.1', '-d', queryFile, '-l', String(LONG_SOAK_MS / 1000), '-Q', String(DNSPERF_QPS), '-q', '1000', '-c', '10', '-t', '5'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let perfOut = '';
  perf.stdout.on('data', (d: Buffer) => (perfOut += d));
  perf.stderr.on('data', (d: Buffer) => (perfOut += d));
  const perfDone = new Promise<void>((resolve) => perf.on('close', () => resolve()));
  const hung = new Set<string>();
  const hungIps = new Map<string, string>();
  let faults = 0;
  let mostHungInService = 0;
  let exposureMs = 0;
  let sampledAt = Date.now();
  try {
    const end = Date.now() + LONG_SOAK_MS;
    let nextFault = Date.now() + 2000;
    while (Date.now() < end) {
      if (Date.now() >= nextFault) {
        const pods = await client.listPods(NS, DNS);
        const serving = pods.filter((p) => !p.deletionTimestamp && !hung.has(p.name) && p.conditions.some((c) => c.type === 'Ready' && c.status === 'True'));
        const victim = serving[Math.floor(Math.random() * serving.length)];
        if (victim) {
          sim.faults.hangDns(victim.name);
          hung.add(victim.name);
          hungIps.set(victim.name, victim.podIPs[0] ?? '');
          faults++;
        }
        nextFault += LONG_FAULT_EVERY_MS;
      }
      // Pods that answer nothing while the Service still sends them clients: ready endpoints of hung pods.
      const slices = await client.listEndpointSlices(NS, 'kube-dns');
      const inService = new Set(slices.flatMap((sl) => sl.endpoints.filter((e) => e.ready).flatMap((e) => e.addresses)));
      const hungInService = [...hungIps.values()].filter((a) => inService.has(a)).length;
      mostHungInService = Math.max(mostHungInService, hungInService);
      exposureMs += hungInService * (Date.now() - sampledAt);
      sampledAt = Date.now();
      await sleep(100);
    }
    await perfDone;
  } finally {
    perf.kill('SIGTERM');
    watcher.child.kill('SIGTERM');
  }
  const watched = await watcher.done;
  sim.faults.clear();
  type Cycle = { classification?: string; repair?: { actions: { method: string; outcome: string }[]; before?: { classification: string } } };
  const cycles = watched.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Cycle);
  // What each cycle concluded before acting (a cycle that repaired reports the verification's verdict).
  const classifications = new Map<string, number>();
  for (const c of cycles) {
    const judged = c.repair?.before?.classification ?? c.classification ?? 'error';
    classifications.set(judged, (classifications.get(judged) ?? 0) + 1);
  }
  const evicted = sim.requests.slice(from).filter((r) => r.resource === 'pods/eviction' && r.code < 300 && r.namespace === NS).map((r) => r.name ?? '');
  const quarantines = cycles.flatMap((c) => c.repair?.actions ?? []).filter((a) => a.method === 'quarantine' && a.outcome === 'done').length;
  const { sent, completed } = dnsperfTotals(perfOut);
  if (!Number.isFinite(sent)) throw new Error(`dnsperf printed no totals: ${perfOut.slice(-500)}`);
  return { label, sent, completed, faults, restarts: evicted.length, quarantines, falseRestarts: evicted.filter((n) => !hung.has(n)).length, mostHungInService, exposureMs, classifications };
}

async function longSoaks(sim: Sim): Promise<void> {
  if (spawnSync('dnsperf', ['-h']).error) throw new Error('(c) needs dnsperf (Debian package dnsperf): run scripts/install-deps.sh');
  const dir = mkdtempSync(join(tmpdir(), 'chaos-'));
  try {
    const queries = join(dir, 'queries');
    writeFileSync(queries, `${DNS_NAME} A\n`);
    const figures = [
      await longSoak(sim, 'before (--no-quarantine --no-timeline)', ['--no-quarantine', '--no-timeline'], queries),
      await longSoak(sim, 'now (quarantine and timeline)', [], queries),
    ];
    console.log(`(c) watch --repair --interval 2s (repair defaults) for ${LONG_SOAK_MS / 1000} s, a pod hung every ${LONG_FAULT_EVERY_MS / 1000} s at random, dnsperf ${DNSPERF_QPS} q/s through the Service IP (timeout 5 s)`);
    for (const f of figures) {
      const pct = ((100 * f.completed) / Math.max(1, f.sent)).toFixed(2);
      console.log(`    ${f.label}: answered ${f.completed} of ${f.sent} (${pct} %) (target ≥ 99.5 %)`);
      console.log(`      faults ${f.faults}, restarts ${f.restarts}, quarantines ${f.quarantines}; false restarts ${f.falseRestarts} (target 0); most hung pods in the Service at once: ${f.mostHungInService}`);
      console.log(`      hung pods in the Service: ${(f.exposureMs / 1000).toFixed(1)} pod-seconds, ${(f.exposureMs / 1000 / Math.max(1, f.faults)).toFixed(2)} s per fault`);
      console.log(`      cycles, as judged before acting: ${[...f.classifications].map(([k, n]) => `${k} ×${n}`).join(', ')}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
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
  if (!process.env.CHAOS_SKIP_LONG) await longSoaks(sim);
} finally {
  await sim.stop();
}
