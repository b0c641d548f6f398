// Probe benchmark (`npm run bench:probe`): prints figures, asserts nothing.
// The REAL bundled probe (dist/probe.cjs, as a child process, with the pod's node options) runs the
// planner's default plan (src/plan/plan.ts buildPlan, default settings and concurrency) for 100
// targets — a Service and 99 pods — against 10 local dnsmasq servers (10 targets each) and an upstream.
//
// Latency, like with like, on the same servers in the same run: the probe's UDP latency of the
// kubernetes A query, against
//  - dig's own "Query time" in microseconds (`dig -u`, measured by BIND from send to receive), for the
//    same query, sequential, in one dig process per server (`dig -f batch`);
//  - prometheus-blackbox-exporter (Debian), started here on 127.x with a dns module for the same query,
//    scraped sequentially per server: probe_dns_duration_seconds{phase="request"} is its DNS round
//    trip; probe_dns_lookup_time_seconds (= phase "resolve") is the time it took to resolve the
//    *target* (an IP address here: parsing only), printed because issue 14 quoted it.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { CheckPlan, ProbeReport, Target } from '../src/probe/contract.ts';
import { PROBE_NODE_OPTIONS } from '../src/probe/contract.ts';
import { percentile } from '../src/probe/summary.ts';
import { buildPlan, PLAN_DEFAULTS } from '../src/plan/plan.ts';
import { pods, workload } from '../test/fixtures/reports.ts';
import { CLUSTER_RECORDS } from '../test/probe/cluster.ts';
import { startDnsmasq, stopAllDnsmasq } from '../test/probe/dnsmasq.ts';
import { claimSubnet } from '../test/subnets.ts';
import { Runc, runcProblem } from '../test/sim/runc.ts';
import { PROBE_MEMORY_MIB } from '../src/probepod/spec.ts';

const run = promisify(execFile);
const NET = claimSubnet();
const SERVERS = Array.from({ length: 10 }, (_, i) => `${NET}.53.${i + 1}`);
const UPSTREAM = `${NET}.53.100`;
const BLACKBOX = `${NET}.91.1:9115`;
const QUERY = { name: 'kubernetes.default.svc.cluster.local', type: 'A' } as const;
const PER_SERVER = 60;
const CONCURRENCY = process.env.PROBE_CONCURRENCY ? Number(process.env.PROBE_CONCURRENCY) : PLAN_DEFAULTS.concurrency;

const MiB = 1024 * 1024;
const ms = (n: number | null): string => (n === null ? 'n/a' : `${n.toFixed(3)} ms`);
const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);

/** The planner's default plan for a Service and 99 pods, its addresses moved onto the local servers. */
function defaultPlan(): CheckPlan {
  return widePlan(99);
}

/** The planner's default plan for a Service and this many pods, on the local servers. */
function widePlan(replicas: number): CheckPlan {
  const built = buildPlan(workload(pods(replicas)), { ...PLAN_DEFAULTS, concurrency: CONCURRENCY });
  const targets: Target[] = built.targets.map((t, i) => ({ ...t, address: SERVERS[i % SERVERS.length] as string }));
  const connects = built.connects?.map((c) => ({ ...c, address: SERVERS[0] as string, port: 53 }));
  return { ...built, targets, ...(connects && { connects }) };
}

/** Runs the bundled probe as the pod does (PROBE_NODE_OPTIONS) under /usr/bin/time: report, wall time, peak RSS. */
async function runProbe(plan: CheckPlan, dir: string): Promise<{ report: ProbeReport; wallMs: number; peakRssBytes: number }> {
  const rssFile = path.join(dir, 'rss');
  const planFile = path.join(dir, 'plan.json');
  writeFileSync(planFile, JSON.stringify(plan));
  const started = process.hrtime.bigint();
  const { stdout } = await run('/usr/bin/time', ['-f', '%M', '-o', rssFile, 'node', ...PROBE_NODE_OPTIONS, 'dist/probe.cjs', '--plan-file', planFile], { maxBuffer: 64 * MiB });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  return { report: JSON.parse(stdout) as ProbeReport, wallMs, peakRssBytes: Number(readFileSync(rssFile, 'utf8').trim()) * 1024 };
}

/**
 * The probe image (make images) under runc as in a probe pod — user 65534, read-only root, no
 * capabilities, the pod's 64 Mi memory limit as a cgroup — running the plan as its entrypoint: the
 * cgroup's peak usage (what the limit counts; sampled every 10 ms), or why it cannot run here.
 */
async function cgroupPeak(plan: CheckPlan, dir: string): Promise<{ peakBytes: number; report: ProbeReport } | string> {
  const problem = runcProblem();
  if (problem) return problem;
  const runc = new Runc(dir);
  const image = 'ghcr.io/coredns-sentinel/probe:bench';
  if (!runc.has(image)) return 'the probe image is older than dist/probe.cjs (make images)';
  const id = `bench-probe-${process.pid}`;
  try {
    const started = runc.start({
      id,
      image,
      args: ['--plan-base64', Buffer.from(JSON.stringify(plan)).toString('base64')],
      env: {},
      securityContext: { runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
      memoryLimit: `${PROBE_MEMORY_MIB}Mi`,
      emptyDirs: [{ path: '/tmp', sizeLimit: '8Mi' }],
      readOnlyVolumes: [],
      hostname: id,
      noNetwork: false,
      pod: id,
      container: 'probe',
    });
    if ('reason' in started) return `${started.reason}: ${started.message}`;
    let stdout = '';
    started.child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    let peakBytes = 0;
    let ended = false;
    void started.exited.then(() => (ended = true));
    while (!ended) {
      peakBytes = Math.max(peakBytes, runc.memoryPeak(id) ?? 0);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const exit = await started.exited;
    if (exit.code !== 0) return `the probe exited with ${exit.code ?? exit.signal}${exit.code === 137 ? ' (OOM-killed)' : ''}`;
    return { peakBytes, report: JSON.parse(stdout) as ProbeReport };
  } finally {
    await runc.stop();
  }
}

/** Peak RSS of node doing nothing with the same options: the floor no probe code can go below. */
async function bareNodeRss(dir: string): Promise<number> {
  const rssFile = path.join(dir, 'rss-bare');
  await run('/usr/bin/time', ['-f', '%M', '-o', rssFile, 'node', ...PROBE_NODE_OPTIONS, '-e', '']);
  return Number(readFileSync(rssFile, 'utf8').trim()) * 1024;
}

/** The probe's UDP latencies of one query over all targets. */
function probeLatencies(report: ProbeReport, queryId: string): number[] {
  return sorted(
    report.results
      .filter((r) => r.transport === 'udp' && r.queryId === queryId)
      .flatMap((r) => r.samples.map((s) => s.latencyMs))
      .filter((l): l is number => l !== null),
  );
}

/** dig's own query times (µs, from send to receive) for PER_SERVER sequential UDP queries per server. */
async function digLatencies(dir: string): Promise<number[]> {
  const all: number[] = [];
  for (const server of SERVERS) {
    const batch = path.join(dir, 'dig-batch');
    writeFileSync(batch, `${`@${server} ${QUERY.name} ${QUERY.type} +tries=1 +noall +stats +notcp\n`.repeat(PER_SERVER)}`);
    const { stdout } = await run('dig', ['-u', '-f', batch], { maxBuffer: 16 * MiB });
    all.push(...[...stdout.matchAll(/Query time: (\d+) usec/g)].map((m) => Number(m[1]) / 1000));
  }
  return sorted(all);
}

/** blackbox_exporter on BLACKBOX with one dns module for QUERY; resolves once it serves. */
async function startBlackbox(dir: string): Promise<ChildProcess> {
  const config = path.join(dir, 'blackbox.yml');
  writeFileSync(
    config,
    ['modules:', '  dns_udp:', '    prober: dns', '    timeout: 2s', '    dns:', '      transport_protocol: udp', '      preferred_ip_protocol: ip4',
      `      query_name: ${QUERY.name}`, `      query_type: ${QUERY.type}`, ''].join('\n'),
  );
  const child = spawn('prometheus-blackbox-exporter', [`--config.file=${config}`, `--web.listen-address=${BLACKBOX}`], { stdio: 'ignore' });
  for (let attempt = 0; attempt < 100; attempt++) {
    if (child.exitCode !== null) throw new Error(`prometheus-blackbox-exporter exited with ${child.exitCode}`);
    if (await fetch(`http://${BLACKBOX}/-/healthy`).then((r) => r.ok, () => false)) return child;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill();
  throw new Error(`prometheus-blackbox-exporter did not serve on ${BLACKBOX}`);
}

/** PER_SERVER sequential probes per server: the request phase and the lookup time, in ms. */
async function blackboxLatencies(): Promise<{ request: number[]; lookup: number[]; failed: number }> {
  const request: number[] = [];
  const lookup: number[] = [];
  let failed = 0;
  for (const server of SERVERS) {
    for (let i = 0; i < PER_SERVER; i++) {
      const text = await (await fetch(`http://${BLACKBOX}/probe?module=dns_udp&target=${server}:53`)).text();
      const metric = (re: RegExp) => Number(re.exec(text)?.[1] ?? NaN) * 1000;
      if (!/^probe_success 1$/m.test(text)) failed++;
      request.push(metric(/^probe_dns_duration_seconds\{phase="request"\} (\S+)$/m));
      lookup.push(metric(/^probe_dns_lookup_time_seconds (\S+)$/m));
    }
  }
  return { request: sorted(request.filter(Number.isFinite)), lookup: sorted(lookup.filter(Number.isFinite)), failed };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-probe-'));
  let blackbox: ChildProcess | undefined;
  try {
    // The default plan's SRV check asks for the kubernetes Service's https port.
    const records = { ...CLUSTER_RECORDS, srv: [...(CLUSTER_RECORDS.srv ?? []), ['_https._tcp.kubernetes.default.svc.cluster.local', 'kubernetes.default.svc.cluster.local', 443] as [string, string, number]] };
    await startDnsmasq({ address: UPSTREAM, records: { hosts: { 'kubernetes.io': ['15.197.167.90'] } } });
    await Promise.all(SERVERS.map((address) => startDnsmasq({ address, records, localZones: ['cluster.local'], upstream: UPSTREAM })));
    blackbox = await startBlackbox(dir);
    const plan = defaultPlan();
    const exchanges = plan.targets.length * plan.queries.length * plan.transports.length * plan.samples;
    const queryId = plan.queries.find((q) => q.name === QUERY.name && q.type === QUERY.type)?.id as string;

    await runProbe({ ...plan, targets: plan.targets.slice(0, 10), samples: 1 }, dir); // warm the page cache and dnsmasq
    const { report, wallMs, peakRssBytes } = await runProbe(plan, dir);
    const failed = report.results.filter((r) => r.verdict === 'fail');
    const probeMs = probeLatencies(report, queryId);
    const digMs = await digLatencies(dir);
    const bb = await blackboxLatencies();
    const [probeP50, digP50, bbP50] = [percentile(probeMs, 50), percentile(digMs, 50), percentile(bb.request, 50)];
    const delta = (a: number | null, b: number | null) => ms(a !== null && b !== null ? a - b : null);

    const line = (label: string, value: string, note = ''): void => console.log(`${label.padEnd(44)} ${value.padEnd(12)} ${note}`);
    console.log(`node ${process.version} ${PROBE_NODE_OPTIONS.join(' ')}; bare node peak RSS ${(await bareNodeRss(dir) / MiB).toFixed(1)} MiB`);
    console.log(`default plan: ${plan.targets.length} targets × ${plan.queries.length} queries × ${plan.transports.length} transports × ${plan.samples} samples = ${exchanges} exchanges, ${SERVERS.length} dnsmasq, concurrency ${plan.concurrency}`);
    line('wall time (process, incl. start)', ms(wallMs), 'target ≤ 2000 ms');
    line('plan run time (report.durationMs)', ms(report.durationMs));
    line('peak RSS', `${(peakRssBytes / MiB).toFixed(1)} MiB`, 'target ≤ 48 MiB');
    line('failed checks', `${failed.length}/${report.results.length}`, failed[0] ? failed[0].reason : '');
    console.log(`UDP ${QUERY.name} ${QUERY.type}, same ${SERVERS.length} servers, same run:`);
    line('  p50 probe (whole plan, default concurrency)', ms(probeP50), `p99 ${ms(percentile(probeMs, 99))}, ${probeMs.length} samples`);
    line('  p50 dig -u (sequential)', ms(digP50), `p99 ${ms(percentile(digMs, 99))}, ${digMs.length} queries`);
    line('  p50 blackbox_exporter request phase', ms(bbP50), `p99 ${ms(percentile(bb.request, 99))}, ${bb.request.length} probes, ${bb.failed} failed`);
    line('  p50 blackbox probe_dns_lookup_time_seconds', ms(percentile(bb.lookup, 50)), 'target-address resolution, not the query');
    line('  Δ probe − dig', delta(probeP50, digP50), 'target |Δ| ≤ 0.2 ms');
    line('  Δ probe − blackbox (request)', delta(probeP50, bbP50), 'target |Δ| ≤ 0.2 ms');
    line('dist/probe.cjs size', `${(readFileSync('dist/probe.cjs').length / 1024).toFixed(1)} KiB`);
    const wide = widePlan(250);
    for (const [label, p] of [['default plan', plan], [`${wide.targets.length - 1}-replica plan`, wide]] as const) {
      const bound = await cgroupPeak(p, dir);
      if (typeof bound === 'string') line(`${label}: in the probe image under runc`, 'not run', bound);
      else
        line(`${label}: in the probe image, ${PROBE_MEMORY_MIB} Mi cgroup`, `${(bound.peakBytes / MiB).toFixed(1)} MiB`,
          `cgroup peak, the image's Node 22 under runc as in the pod; ${bound.report.results.filter((r) => r.verdict === 'fail').length} failed checks`);
    }
  } finally {
    blackbox?.kill();
    await stopAllDnsmasq();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(`bench:probe failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
