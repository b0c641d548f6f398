// bench:cycle — a healthy 3-pod check cycle on the simulated cluster: wall time by stage, API requests
// per cycle, and the same checks done by a kubectl run + kubectl exec dig script, for the speedup.
// Targets (design.md): own overhead beyond the probe pod's start ≤ 0.5 s, ≤ 11 requests, ≥ 5× faster.
// Then the same cycle per deployment mode side by side (target: port-forward and direct ≤ 1 s overhead),
// and the probe pod's start with its container as a host process beside under runc (root, make images),
// and the base cycle on the enterprise preset beside kubeadm's.
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSim } from '../test/sim/index.ts';
import { runcProblem } from '../test/sim/runc.ts';
import { chooseProber, prepareCycle, runCycle } from '../src/engine/index.ts';
import { CHECK_DEFAULTS, validateCheckFlags } from '../src/cli/options.ts';
import { createLogger } from '../src/report/index.ts';

const CYCLES = 3;
const ms = (n: number) => `${n.toFixed(0)} ms`;

/** The script a human would write: discover with kubectl, run a pod, one kubectl exec dig per check. */
const SCRIPT = String.raw`#!/bin/bash
set -euo pipefail
NS=kube-system
SVC_IP=$(kubectl -n $NS get svc kube-dns -o jsonpath='{.spec.clusterIP}')
PORT=$(kubectl -n $NS get svc kube-dns -o jsonpath='{.spec.ports[0].port}')
POD_IPS=$(kubectl -n $NS get pods -l k8s-app=kube-dns -o jsonpath='{.items[*].status.podIP}')
K8S_IP=$(kubectl -n default get svc kubernetes -o jsonpath='{.spec.clusterIP}')
PTR=$(echo "$K8S_IP" | awk -F. '{print $4"."$3"."$2"."$1".in-addr.arpa"}')
kubectl run dns-check --image=node:22-alpine --restart=Never --command -- sh -c 'sleep 120' >/dev/null
trap 'kubectl delete pod dns-check --grace-period=0 --wait=false >/dev/null 2>&1 || true' EXIT
kubectl wait --for=condition=Ready pod/dns-check --timeout=60s >/dev/null
fail=0
for ip in $SVC_IP $POD_IPS; do
  for tr in +notcp +tcp; do
    for q in "kubernetes.default.svc.cluster.local A" "_https._tcp.kubernetes.default.svc.cluster.local SRV" "$PTR PTR" "coredns-sentinel-absent.default.svc.cluster.local A" "kubernetes.io A"; do
      for s in 1 2 3; do
        out=$(kubectl exec dns-check -- sh -c "dig @$ip -p $PORT $tr +time=2 +tries=1 $q" 2>&1) || fail=1
        echo "$out" | grep -q 'status: \(NOERROR\|NXDOMAIN\)' || fail=1
      done
    done
  done
done
exit $fail
`;

function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; ms: number; stderr: string }> {
  const start = process.hrtime.bigint();
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('close', (code) => resolve({ code, ms: Number(process.hrtime.bigint() - start) / 1e6, stderr }));
  });
}

/**
 * The probe pod's start (create → Running, the container started) over CYCLES base cycles on a sim of
 * its own whose kubelet runs containers under runc or as host processes (SIM_RUNC=0), and how many probe
 * containers really ran under runc.
 */
async function probePodStarts(runtime: 'host' | 'runc'): Promise<{ startsMs: number[]; underRunc: number }> {
  const saved = process.env.SIM_RUNC;
  if (runtime === 'host') process.env.SIM_RUNC = '0';
  const sim = await startSim({ dns: { replicas: 3 } });
  if (saved === undefined) delete process.env.SIM_RUNC;
  else process.env.SIM_RUNC = saved;
  try {
    await sim.waitReady(30_000);
    const startsMs: number[] = [];
    const noProgress = { stage: () => {}, done: () => {} };
    const settings = validateCheckFlags({ ...CHECK_DEFAULTS, kubeconfig: sim.kubeconfigPath, external: true, imagePullSecret: [], nodeSelector: [], toleration: [] });
    for (let i = 0; i < CYCLES; i++) {
      const ctx = prepareCycle({ ...settings, freshness: false });
      const { prober } = await chooseProber({ ...ctx, settings: { ...ctx.settings, mode: 'probe-pod' } }, noProgress);
      const cycle = await runCycle({ ctx, prober, progress: noProgress, log: createLogger('text', 'error') });
      startsMs.push(cycle.probed.timings.startMs);
    }
    return { startsMs, underRunc: sim.runcContainers.filter((c) => c.pod.startsWith('coredns-sentinel-probe-')).length };
  } finally {
    await sim.stop();
  }
}

const built = spawnSync(process.execPath, ['scripts/build.mjs', '--quiet'], { stdio: 'inherit' });
if (built.status !== 0) process.exit(1);

type Sim = Awaited<ReturnType<typeof startSim>>;
const log = createLogger('text', 'error');
const noProgress = { stage: () => {}, done: () => {} };
/** What `check` runs with only a kubeconfig: the same flag validation, context, prober and engine cycle (src/cli/check.ts). */
const checkSettings = (kubeconfig: string) =>
  validateCheckFlags({ ...CHECK_DEFAULTS, probeImage: undefined, kubeconfig, external: true, imagePullSecret: [], nodeSelector: [], toleration: [] });

/** CYCLES base cycles (--mode probe-pod --no-freshness), each printed; their own overheads and the most API requests. */
async function baseCycles(sim: Sim): Promise<{ overheads: number[]; mostRequests: number; walls: number[] }> {
  const baseSettings = { ...checkSettings(sim.kubeconfigPath), freshness: false };
  const overheads: number[] = [];
  const walls: number[] = [];
  let mostRequests = 0;
  for (let i = 0; i < CYCLES; i++) {
    const before = sim.requests.length;
    const ctx = prepareCycle(baseSettings);
    const cycle = await runCycle({ ctx, prober: (await chooseProber({ ...ctx, settings: { ...ctx.settings, mode: 'probe-pod' } }, noProgress)).prober, progress: noProgress, log });
    const t = cycle.probed.timings;
    const probeMs = cycle.probed.runs[0]!.report.durationMs;
    overheads.push(t.totalMs - t.startMs - probeMs);
    walls.push(t.totalMs);
    const requests = sim.requests.slice(before);
    mostRequests = Math.max(mostRequests, requests.length);
    console.log(
      `  cycle ${i + 1}: total ${ms(t.totalMs)} = discover ${ms(t.discoverMs)} + plan ${ms(t.planMs)} + create ${ms(t.createMs)} + ` +
        `pod start ${ms(t.startMs)} + exec ${ms(t.execMs)} (probe ${ms(probeMs)}) + delete ${ms(t.deleteMs)}; verdict ${cycle.output.verdict}; ` +
        `${requests.length} API requests (${requests.map((r) => `${r.verb} ${r.resource}`).join(', ')})`,
    );
  }
  return { overheads, mostRequests, walls };
}

const sim = await startSim({ dns: { replicas: 3 } });
let kubeadm: Awaited<ReturnType<typeof baseCycles>>;
try {
  await sim.waitReady(30_000);
  const settings = checkSettings(sim.kubeconfigPath);

  // The base cycle (--mode probe-pod --no-freshness); the per-mode table below adds the freshness canary, as `check` does.
  console.log(`healthy base cycle (probe-pod, no freshness canary), 3 CoreDNS pods, ${CYCLES} cycles in-process (default plan: 4 targets × 5 queries × udp,tcp × 3 samples)`);
  kubeadm = await baseCycles(sim);
  const { overheads, mostRequests } = kubeadm;
  const overhead = Math.max(...overheads);
  console.log(`own overhead beyond the probe pod's start and the probe's DNS work: ${ms(overhead)} (worst of ${CYCLES}; target ≤ 500 ms)`);
  console.log(`API requests per base cycle: ${mostRequests} (worst of ${CYCLES}; target ≤ 11)`);

  // The same healthy cycle in every mode that can run here, side by side (docs/modes.md). Own overhead:
  // the wall time minus the probe's DNS work and, for probe-pod, the pod's start.
  console.log(`\nper mode, with the freshness canary as check runs it, ${CYCLES} cycles each (worst shown):`);
  const rows = [['MODE', 'WALL', 'OWN OVERHEAD', 'API REQUESTS', 'TARGETS', 'VERDICT']];
  for (const mode of ['probe-pod', 'port-forward', 'direct'] as const) {
    const modeSettings = { ...settings, mode };
    let worst = { wall: 0, overhead: 0, requests: 0, targets: 0, verdict: '' };
    for (let i = 0; i < CYCLES; i++) {
      const before = sim.requests.length;
      const started = Date.now();
      const ctx = prepareCycle(modeSettings);
      const { prober } = await chooseProber(ctx, noProgress);
      const cycle = await runCycle({ ctx, prober, progress: noProgress, log });
      const wall = Date.now() - started;
      const t = cycle.probed.timings;
      const overhead = wall - t.startMs - cycle.probed.runs[0]!.report.durationMs;
      worst = {
        wall: Math.max(worst.wall, wall),
        overhead: Math.max(worst.overhead, overhead),
        requests: Math.max(worst.requests, sim.requests.length - before),
        targets: cycle.output.targets?.length ?? 0,
        verdict: cycle.output.verdict,
      };
    }
    rows.push([mode, ms(worst.wall), ms(worst.overhead), String(worst.requests), String(worst.targets), worst.verdict]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) console.log(`  ${r.map((c, i) => c.padEnd(widths[i]!)).join('  ')}`);
  console.log('  target: port-forward and direct own overhead ≤ 1000 ms');

  const env = { ...process.env, KUBECONFIG: sim.kubeconfigPath };
  const cli = await timed(process.execPath, ['dist/cli.js', 'check', '-o', 'json'], env);
  console.log(`CLI end to end (node dist/cli.js check): ${ms(cli.ms)}, exit ${cli.code}`);

  const scriptPath = join(sim.dir, 'dns-check.sh');
  writeFileSync(scriptPath, SCRIPT, { mode: 0o755 });
  const script = await timed('bash', [scriptPath], env);
  if (script.code !== 0) console.log(`  script exit ${script.code}: ${script.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  console.log(`kubectl run + kubectl exec dig script (120 execs): ${ms(script.ms)}, exit ${script.code}`);
  console.log(`speedup: ${(script.ms / cli.ms).toFixed(1)}× (target ≥ 5×)`);
} finally {
  await sim.stop();
}

{
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const host = await probePodStarts('host');
  console.log(`\nprobe pod start (create → Running, its container started; the sim's kubelet waits 300 ms first), ${CYCLES} cycles each, image node:22-alpine:`);
  console.log(`  host process: median ${ms(median(host.startsMs))}, worst ${ms(Math.max(...host.startsMs))}`);
  const problem = runcProblem();
  if (problem) console.log(`  runc: not measured: ${problem}`);
  else {
    const runc = await probePodStarts('runc');
    console.log(`  runc:         median ${ms(median(runc.startsMs))}, worst ${ms(Math.max(...runc.startsMs))} (${runc.underRunc} of ${CYCLES} probe containers under runc)`);
  }
}

// The same base cycle on the enterprise preset (docs/real-clusters.md): nodes at capacity with a cluster
// autoscaler (1.5 s here, a minute or two on a cloud), Docker Hub rate-limited, Pod Security restricted,
// Istio injection, a LimitRange and a quota, a tainted control plane, a Windows node.
const enterprise = await startSim({ preset: 'enterprise' });
try {
  await enterprise.waitReady(30_000);
  console.log(`\nthe same base cycle on the enterprise preset (2 CoreDNS pods), ${CYCLES} cycles in-process; cycle 1 waits for the autoscaler's node:`);
  const e = await baseCycles(enterprise);
  const worst = (xs: number[]) => Math.max(...xs);
  console.log(`  kubeadm vs enterprise: wall ${ms(worst(kubeadm.walls))} vs ${ms(e.walls[0]!)} (cycle 1, a node added) and ${ms(worst(e.walls.slice(1)))} (worst of the rest); ` +
    `API requests ${kubeadm.mostRequests} vs ${e.mostRequests} (the default image's failed pod: create, watch, delete)`);
} finally {
  await enterprise.stop();
}
