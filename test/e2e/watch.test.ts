// End to end: `watch` (the built CLI, dist/cli.js) against the simulated cluster, its metrics scraped
// over HTTP. One sim for the file (a claimed subnet), metrics on 127.212.0.1 port 0 (the bound URL is
// read from the info log). Faults are cleared and the watcher stopped after every test; no probe pod
// may be left behind.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import type { Sim } from '../sim/index.ts';
import { sharedSim } from './cluster.ts';
import { CLI, probePodsLeft } from './cli.ts';
import { connect } from '../../src/kube/index.ts';

const METRICS_HOST = '127.212.0.1';

interface Watcher {
  child: ChildProcess;
  url: Promise<string>;
  exited: Promise<{ code: number | null; stdout: string; stderr: string }>;
  stderr: () => string;
}

function startWatch(args: string[]): Watcher {
  const child = spawn(process.execPath, [CLI, 'watch', '--metrics-addr', `${METRICS_HOST}:0`, '--log-level', 'info', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const url = new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d;
      const m = /serving metrics on (http:\/\/\S+)\/metrics/.exec(stderr);
      if (m) resolve(m[1]!);
    });
    child.on('close', () => reject(new Error(`watch exited before serving metrics: ${stderr}`)));
  });
  url.catch(() => undefined);
  child.stdout!.on('data', (d: Buffer) => (stdout += d));
  const exited = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return { child, url, exited, stderr: () => stderr };
}

/** Samples of the Prometheus text format: `name{a="b",…} value` → { name, labels, value }. */
interface MetricSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parseMetrics(text: string): MetricSample[] {
  return text
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((line) => {
      const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      assert.ok(m, `unparsable metrics line: ${line}`);
      const labels = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1]!, l[2]!]));
      return { name: m[1]!, labels, value: Number(m[3]) };
    });
}

async function scrape(url: string): Promise<MetricSample[]> {
  const res = await fetch(`${url}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return parseMetrics(await res.text());
}

function value(samples: MetricSample[], name: string, labels: Record<string, string> = {}): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

/** Scrapes until `done` holds (bounded in count and time); returns the last scrape. */
async function scrapeUntil(url: string, done: (m: MetricSample[]) => boolean, what: string, timeoutMs = 30_000): Promise<MetricSample[]> {
  const deadline = Date.now() + timeoutMs;
  let last: MetricSample[] = [];
  for (let i = 0; i < 600 && Date.now() < deadline; i++) {
    last = await scrape(url);
    if (done(last)) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail(`${what} within ${timeoutMs} ms; last scrape: ${last.filter((s) => s.name.startsWith('coredns_sentinel_')).map((s) => `${s.name}${JSON.stringify(s.labels)} ${s.value}`).join('; ')}`);
}

// Every test here injects faults: simulated cluster only (SENTINEL_E2E_KUBECONFIG skips it).
describe('watch e2e: 3 CoreDNS replicas', function () {
  this.timeout(90_000);
  let sim: Sim;
  let base: string[];
  let watcher: Watcher | undefined;
  // A SIGKILLed watcher may leave its probe pod: the afterEach below deletes it as the next run's sweep would.
  sharedSim({ dns: { replicas: 3 } }, (started) => {
    sim = started;
    base = ['--kubeconfig', sim.kubeconfigPath, '--timeout', '500ms', '--samples', '2', '--no-process-metrics'];
  }, { checkEachTest: false });

  afterEach(async () => {
    if (watcher && watcher.child.exitCode === null && watcher.child.signalCode === null) {
      watcher.child.kill('SIGKILL');
      await watcher.exited;
    }
    watcher = undefined;
    sim.faults.clear();
    await sim.waitReady(30_000);
    // A SIGKILLed watcher may leave its probe pod: delete it as the next run's sweep would.
    const { client } = connect({ kubeconfig: sim.kubeconfigPath });
    const left = await probePodsLeft(sim.kubeconfigPath);
    await Promise.all(left.map((p) => client.deletePod('default', p)));
  });

  it('healthy cluster: every target up on both transports, latency gauges, healthy cycles counted, /healthz ok', async () => {
    watcher = startWatch([...base, '--interval', '1s']);
    const url = await watcher.url;
    const m = await scrapeUntil(url, (s) => (value(s, 'coredns_sentinel_cycles_total', { result: 'healthy' }) ?? 0) >= 2, 'two healthy cycles');
    const up = m.filter((s) => s.name === 'coredns_sentinel_target_up');
    assert.equal(up.length, 8, 'service + 3 pods × udp, tcp');
    assert.ok(up.every((s) => s.value === 1));
    assert.deepEqual([...new Set(up.map((s) => s.labels.kind))].sort(), ['pod', 'service']);
    assert.equal(value(m, 'coredns_sentinel_target_up', { target: 'kube-dns', kind: 'service', transport: 'udp' }), 1);
    for (const pod of sim.dnsPods()) {
      const p50 = value(m, 'coredns_sentinel_target_latency_seconds', { target: pod.name, percentile: '50' });
      assert.ok(p50 !== undefined && p50 > 0 && p50 < 0.5, `p50 of ${pod.name}: ${p50}`);
    }
    assert.equal(value(m, 'coredns_sentinel_classification', { classification: 'healthy' }), 1);
    assert.equal(value(m, 'coredns_sentinel_cycles_total', { result: 'error' }), 0);
    assert.ok((value(m, 'coredns_sentinel_cycle_duration_seconds_count') ?? 0) >= 2);
    assert.ok(Math.abs((value(m, 'coredns_sentinel_last_cycle_timestamp_seconds') ?? 0) - Date.now() / 1000) < 60);
    assert.equal(m.filter((s) => s.name.startsWith('process_') || s.name.startsWith('coredns_sentinel_process_')).length, 0, '--no-process-metrics');
    const health = await fetch(`${url}/healthz`);
    assert.equal(health.status, 200);
    assert.equal(await health.text(), 'ok\n');
    assert.equal((await fetch(`${url}/nope`)).status, 404);
  });

  it('hung pod: its target_up drops to 0 on both transports while its peers stay 1; classification pod-local', async () => {
    const victim = sim.dnsPods()[1]!.name;
    sim.faults.hangDns(victim);
    watcher = startWatch([...base, '--interval', '1s', '-o', 'json']);
    const url = await watcher.url;
    const m = await scrapeUntil(url, (s) => value(s, 'coredns_sentinel_target_up', { target: victim, transport: 'udp' }) === 0, `target_up of ${victim} at 0`);
    assert.equal(value(m, 'coredns_sentinel_target_up', { target: victim, transport: 'tcp' }), 0);
    for (const peer of sim.dnsPods().filter((p) => p.name !== victim)) assert.equal(value(m, 'coredns_sentinel_target_up', { target: peer.name, transport: 'udp' }), 1);
    assert.equal(value(m, 'coredns_sentinel_classification', { classification: 'pod-local' }), 1);
    assert.equal(m.filter((s) => s.name === 'coredns_sentinel_classification').length, 1, 'only the current classification');
    assert.ok((value(m, 'coredns_sentinel_cycles_total', { result: 'unhealthy' }) ?? 0) >= 1);
    // Back to healthy without a restart: the same series return to 1.
    sim.faults.clear();
    await scrapeUntil(url, (s) => value(s, 'coredns_sentinel_target_up', { target: victim, transport: 'udp' }) === 1, `target_up of ${victim} back at 1`);
    watcher.child.kill('SIGTERM');
    const run = await watcher.exited;
    const lines = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as { verdict: string });
    assert.ok(lines.some((l) => l.verdict === 'unhealthy') && lines.some((l) => l.verdict === 'healthy'), 'one JSON line per cycle');
  });

  it('--repair: a hung pod shows target_up 0, is evicted, its replacement is up, restarts_total counts it', async () => {
    const victim = sim.dnsPods()[2]!.name;
    sim.faults.hangDns(victim);
    const before = sim.requests.length;
    // Two failing cycles before a restart: the first one shows the failure in the metrics.
    watcher = startWatch([...base, '--interval', '1s', '--repair', '--confirm-cycles', '2']);
    const url = await watcher.url;
    const down = await scrapeUntil(url, (s) => value(s, 'coredns_sentinel_target_up', { target: victim, transport: 'udp' }) === 0, `target_up of ${victim} at 0`);
    assert.equal(value(down, 'coredns_sentinel_restarts_total', { pod: victim }), undefined, 'no restart before confirmation');
    const repaired = await scrapeUntil(
      url,
      (s) => value(s, 'coredns_sentinel_restarts_total', { pod: victim, method: 'evict', outcome: 'done' }) === 1 && value(s, 'coredns_sentinel_target_up', { target: victim }) === undefined,
      `${victim} evicted and gone from target_up`,
      60_000,
    );
    const up = repaired.filter((s) => s.name === 'coredns_sentinel_target_up');
    assert.equal(up.length, 8, 'service + 3 pods (one new) × udp, tcp');
    assert.ok(up.every((s) => s.value === 1), JSON.stringify(up));
    assert.equal(value(repaired, 'coredns_sentinel_classification', { classification: 'healthy' }), 1);
    const restarts = sim.requests.slice(before).filter((r) => r.resource === 'pods/eviction' && r.code < 300);
    assert.deepEqual(restarts.map((r) => r.name), [victim], 'exactly one eviction, of the victim');
    watcher.child.kill('SIGTERM');
    const run = await watcher.exited;
    // Cycles run back to back at a 1 s interval: the signal may land between cycles (0) or in one (130).
    assert.ok(run.code === 0 || run.code === 130, `exit ${run.code}: ${run.stderr}`);
    assert.match(run.stdout, new RegExp(`^ {2}done: evict ${victim}: replacement Ready`, 'm'));
  });

  it('API fault for a while: cycles_total{result="error"} grows, the loop goes on and recovers', async () => {
    watcher = startWatch([...base, '--interval', '1s']);
    const url = await watcher.url;
    await scrapeUntil(url, (s) => (value(s, 'coredns_sentinel_cycles_total', { result: 'healthy' }) ?? 0) >= 1, 'a first healthy cycle');
    const fault = sim.faults.api({ verb: 'list', resource: 'pods', namespace: 'kube-system', status: 503 });
    const during = await scrapeUntil(url, (s) => (value(s, 'coredns_sentinel_cycles_total', { result: 'error' }) ?? 0) >= 2, 'two error cycles');
    // The last judged targets stay while the cycles fail.
    assert.equal(value(during, 'coredns_sentinel_target_up', { target: 'kube-dns', transport: 'udp' }), 1);
    sim.faults.clearApi(fault);
    const healthyBefore = value(during, 'coredns_sentinel_cycles_total', { result: 'healthy' }) ?? 0;
    await scrapeUntil(url, (s) => (value(s, 'coredns_sentinel_cycles_total', { result: 'healthy' }) ?? 0) > healthyBefore, 'a healthy cycle after the fault');
    watcher.child.kill('SIGTERM');
    const run = await watcher.exited;
    // A 1 s interval under load runs the cycles back to back: the signal may land between cycles (0) or in one (130).
    assert.ok(run.code === 0 || run.code === 130, `exit ${run.code}: ${run.stderr}`);
    assert.match(run.stderr, /error: cycle \d+: .*API server failed/);
  });

  it('SIGTERM during a probe exec → probe pod deleted, exit 130, metrics server closed', async () => {
    // Every pod hung: the exec lasts (timeouts), so the signal lands while the probe pod lives.
    for (const pod of sim.dnsPods()) sim.faults.hangDns(pod.name);
    const before = sim.requests.length;
    watcher = startWatch([...base, '--interval', '5s', '--timeout', '2s', '--samples', '3']);
    const url = await watcher.url;
    for (let i = 0; i < 200 && !sim.requests.slice(before).some((r) => r.resource === 'pods/exec'); i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(sim.requests.slice(before).some((r) => r.resource === 'pods/exec'), 'exec never started');
    watcher.child.kill('SIGTERM');
    const run = await watcher.exited;
    assert.equal(run.code, 130, run.stderr);
    assert.match(run.stderr, /interrupted: probe pod coredns-sentinel-probe-[0-9a-f]{8} deleted/);
    assert.deepEqual(await probePodsLeft(sim.kubeconfigPath), []);
    await assert.rejects(fetch(`${url}/metrics`));
  });

  it('SIGTERM between cycles → exit 0 at once, no probe pod left', async () => {
    watcher = startWatch([...base, '--interval', '60s']);
    const url = await watcher.url;
    await scrapeUntil(url, (s) => (value(s, 'coredns_sentinel_cycles_total', { result: 'healthy' }) ?? 0) >= 1, 'a first cycle');
    watcher.child.kill('SIGTERM');
    const run = await watcher.exited;
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /cycle 1: DNS healthy/);
    assert.deepEqual(await probePodsLeft(sim.kubeconfigPath), []);
  });

  it('--max-cycles 2 → two cycles, exit with the last cycle\'s code (1 for a broken pod)', async () => {
    sim.faults.dropUdp(sim.dnsPods()[0]!.name);
    watcher = startWatch([...base, '--interval', '1s', '--max-cycles', '2']);
    const run = await watcher.exited;
    assert.equal(run.code, 1, run.stderr);
    assert.equal(run.stdout.match(/^\S+ cycle \d+: DNS unhealthy/gm)?.length, 2, run.stdout);
    assert.match(run.stdout, /^TARGET\s+NODE\s+IP\s+UDP\s+TCP/m);
  });

  it('bad flags → exit 2 with one line, nothing served', async () => {
    for (const [flags, message] of [
      [['--interval', '500ms'], /--interval must be from 1s/],
      [['--metrics-addr', 'nowhere'], /--metrics-addr must be host:port/],
      [['--max-cycles', '0'], /--max-cycles must be an integer from 1 to 1000000/],
    ] as const) {
      const child = spawn(process.execPath, [CLI, 'watch', ...base, ...flags], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d));
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      assert.equal(code, 2, stderr);
      assert.match(stderr, message);
      assert.equal(stderr.trim().split('\n').length, 1, stderr);
    }
  });

  it('metrics address in use → exit 2 naming it', async () => {
    watcher = startWatch([...base, '--interval', '60s']);
    const url = await watcher.url;
    const taken = url.replace('http://', '');
    const child = spawn(process.execPath, [CLI, 'watch', ...base, '--metrics-addr', taken], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 2, stderr);
    assert.match(stderr, new RegExp(`cannot serve metrics on ${taken.replace(/\./g, '\\.')} \\(EADDRINUSE\\)`));
  });
});
