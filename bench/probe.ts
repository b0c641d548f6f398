// Probe benchmark (`npm run bench:probe`): prints figures, asserts nothing.
// The REAL bundled probe (dist/probe.cjs, as a child process) runs 100 targets × 6 queries × 2 transports
// × 3 samples against 10 local dnsmasq servers on 127.53.200.1-10 (10 targets each).
//
// Latency method, to compare like with like: dig's own "Query time" in microseconds (`dig -u`), which
// BIND measures from sending the query to receiving the answer, over many sequential UDP queries in one
// dig process (`dig -f batch`), against the probe's latency for the same queries, sequential
// (concurrency 1), to the same server, in the same run. The p50 under full load is printed too; it
// includes queueing behind the other queries in flight and is not comparable to a sequential dig.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { CheckPlan, ProbeReport, Query, Target } from '../src/probe/contract.ts';
import { PLAN_SCHEMA, PROBE_NODE_OPTIONS } from '../src/probe/contract.ts';
import { percentile } from '../src/probe/summary.ts';
import { CLUSTER_RECORDS, QUERIES } from '../test/probe/cluster.ts';
import { startDnsmasq, stopAllDnsmasq } from '../test/probe/dnsmasq.ts';

const run = promisify(execFile);
const SERVERS = Array.from({ length: 10 }, (_, i) => `127.53.200.${i + 1}`);
const BENCH_QUERIES: Query[] = QUERIES.filter((q) => ['a', 'aaaa', 'srv', 'ptr', 'txt', 'nx'].includes(q.id));
const CONCURRENCY = Number(process.env.PROBE_CONCURRENCY ?? 16);
const DIG_QUERIES = 300;

const MiB = 1024 * 1024;
const ms = (n: number | null): string => (n === null ? 'n/a' : `${n.toFixed(3)} ms`);

function benchPlan(targets: Target[], extra: Partial<CheckPlan> = {}): CheckPlan {
  return { schema: PLAN_SCHEMA, targets, queries: BENCH_QUERIES, transports: ['udp', 'tcp'], samples: 3, timeoutMs: 2000, concurrency: CONCURRENCY, ...extra };
}

/** Runs the bundled probe as the pod does (PROBE_NODE_OPTIONS) under /usr/bin/time: report, wall time, peak RSS. */
async function runProbe(plan: CheckPlan, dir: string): Promise<{ report: ProbeReport; wallMs: number; peakRssBytes: number }> {
  const rssFile = path.join(dir, 'rss');
  const b64 = Buffer.from(JSON.stringify(plan)).toString('base64');
  const started = process.hrtime.bigint();
  const { stdout } = await run('/usr/bin/time', ['-f', '%M', '-o', rssFile, 'node', ...PROBE_NODE_OPTIONS, 'dist/probe.cjs', '--plan-base64', b64], { maxBuffer: 64 * MiB });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  return { report: JSON.parse(stdout) as ProbeReport, wallMs, peakRssBytes: Number(readFileSync(rssFile, 'utf8').trim()) * 1024 };
}

/** Peak RSS of node doing nothing with the same options: the floor no probe code can go below. */
async function bareNodeRss(dir: string): Promise<number> {
  const rssFile = path.join(dir, 'rss-bare');
  await run('/usr/bin/time', ['-f', '%M', '-o', rssFile, 'node', ...PROBE_NODE_OPTIONS, '-e', '']);
  return Number(readFileSync(rssFile, 'utf8').trim()) * 1024;
}

/** UDP latencies of answered samples for the targets on one server. */
function udpLatencies(report: ProbeReport, targetIds: Set<string>): number[] {
  return report.results
    .filter((r) => r.transport === 'udp' && targetIds.has(r.targetId))
    .flatMap((r) => r.samples.map((s) => s.latencyMs))
    .filter((l): l is number => l !== null)
    .sort((a, b) => a - b);
}

/** dig's own query times (µs, from send to receive) for DIG_QUERIES sequential UDP queries. */
async function digLatencies(server: string, dir: string): Promise<number[]> {
  const batch = path.join(dir, 'dig-batch');
  const lines = Array.from({ length: DIG_QUERIES }, (_, i) => {
    const q = BENCH_QUERIES[i % BENCH_QUERIES.length] as Query;
    return `@${server} ${q.name} ${q.type} +tries=1 +noall +stats +notcp`;
  });
  writeFileSync(batch, lines.join('\n') + '\n');
  const { stdout } = await run('dig', ['-u', '-f', batch], { maxBuffer: 16 * MiB });
  return [...stdout.matchAll(/Query time: (\d+) usec/g)].map((m) => Number(m[1]) / 1000).sort((a, b) => a - b);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-probe-'));
  try {
    await Promise.all(SERVERS.map((address) => startDnsmasq({ address, records: CLUSTER_RECORDS, localZones: ['cluster.local'] })));
    const targets: Target[] = Array.from({ length: 100 }, (_, i) => ({
      id: `t${String(i).padStart(3, '0')}`,
      address: SERVERS[i % SERVERS.length] as string,
      port: 53,
      kind: 'pod',
      label: `coredns-${i}`,
    }));
    const plan = benchPlan(targets);
    const exchanges = plan.targets.length * plan.queries.length * plan.transports.length * plan.samples;

    await runProbe(benchPlan(targets.slice(0, 1), { samples: 1 }), dir); // warm the page cache and dnsmasq
    const { report, wallMs, peakRssBytes } = await runProbe(plan, dir);
    const failed = report.results.filter((r) => r.verdict === 'fail');

    const server = SERVERS[0] as string;
    const onServer = new Set(targets.filter((t) => t.address === server).map((t) => t.id));
    const sequentialPlan = benchPlan([targets[0] as Target], { transports: ['udp'], samples: 20, concurrency: 1 });
    const digMs: number[] = [];
    const probeSequentialMs: number[] = [];
    for (let round = 0; round < 2; round++) {
      digMs.push(...(await digLatencies(server, dir)));
      probeSequentialMs.push(...udpLatencies((await runProbe(sequentialPlan, dir)).report, new Set([targets[0]?.id as string])));
    }
    digMs.sort((a, b) => a - b);
    probeSequentialMs.sort((a, b) => a - b);
    const digP50 = percentile(digMs, 50);
    const probeP50 = percentile(probeSequentialMs, 50);

    const line = (label: string, value: string, target = ''): void => console.log(`${label.padEnd(34)} ${value.padEnd(22)} ${target}`);
    console.log(`node ${process.version} ${PROBE_NODE_OPTIONS.join(' ')}; bare node peak RSS ${(await bareNodeRss(dir) / MiB).toFixed(1)} MiB`);
    console.log(`probe bench: ${plan.targets.length} targets × ${plan.queries.length} queries × 2 transports × ${plan.samples} samples = ${exchanges} exchanges, ${SERVERS.length} dnsmasq, concurrency ${plan.concurrency}`);
    line('wall time (process, incl. start)', ms(wallMs), 'target ≤ 2000 ms');
    line('plan run time (report.durationMs)', ms(report.durationMs));
    line('queries/s (over plan run time)', (exchanges / (report.durationMs / 1000)).toFixed(0));
    line('peak RSS', `${(peakRssBytes / MiB).toFixed(1)} MiB`, 'target ≤ 48 MiB');
    line('failed checks', `${failed.length}/${report.results.length}`, failed[0] ? failed[0].reason : '');
    line(`p50 UDP, dig -u (${server}, seq.)`, ms(digP50), `${digMs.length} queries`);
    line(`p50 UDP, probe (${server}, seq.)`, ms(probeP50), `${probeSequentialMs.length} queries; target |Δ| ≤ 0.2 ms`);
    line('Δ probe − dig', ms(probeP50 !== null && digP50 !== null ? probeP50 - digP50 : null));
    line(`p50 UDP, probe under full load`, ms(percentile(udpLatencies(report, onServer), 50)), 'includes queueing');
    line('dist/probe.cjs size', `${(readFileSync('dist/probe.cjs').length / 1024).toFixed(1)} KiB`);
  } finally {
    await stopAllDnsmasq();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(`bench:probe failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
