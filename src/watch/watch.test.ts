import { expect } from 'chai';
import type { TargetResult } from '../report/index.ts';
import { nextDelayMs, runLoop } from './loop.ts';
import { createMetrics, targetLabel, type CycleRecord } from './metrics.ts';
import { loopHealth, parseListenAddress, startMetricsServer } from './server.ts';

function target(label: string, kind: 'service' | 'pod', udp: TargetResult['udp'], tcp: TargetResult['tcp'], p50Ms: number | null = 1, p99Ms: number | null = 2): TargetResult {
  const verdict = udp === 'fail' || tcp === 'fail' ? 'fail' : 'pass';
  return { id: label, kind, label, address: '10.0.0.1', port: 53, node: '', udp, tcp, p50Ms, p99Ms, verdict, status: verdict, classification: verdict === 'pass' ? 'healthy' : 'pod-local', reason: 'ok', consecutiveFailures: verdict === 'pass' ? 0 : 1, failing: [] };
}

const cycle = (over: Partial<CycleRecord>): CycleRecord => ({ result: 'healthy', durationSeconds: 1.5, endedAt: 1_700_000_000_000, ...over });

async function series(metrics: ReturnType<typeof createMetrics>, name: string): Promise<{ labels: Record<string, string | number>; value: number }[]> {
  const metric = metrics.registry.getSingleMetric(name);
  if (!metric) return [];
  return (await metric.get()).values.map((v) => ({ labels: { ...v.labels } as Record<string, string | number>, value: v.value }));
}

async function histogramCount(metrics: ReturnType<typeof createMetrics>, name: string): Promise<number | undefined> {
  const values = (await metrics.registry.getSingleMetric(name)?.get())?.values ?? [];
  return values.find((v) => (v as { metricName?: string }).metricName === `${name}_count`)?.value;
}

describe('watch loop timing', () => {
  it('waits the rest of the interval measured from the cycle start', () => {
    expect(nextDelayMs(5000, { startedAt: 0, endedAt: 1200, consecutiveErrors: 0 })).to.equal(3800);
  });
  it('starts at once when a cycle took longer than the interval (cycles never overlap)', () => {
    expect(nextDelayMs(5000, { startedAt: 0, endedAt: 7000, consecutiveErrors: 0 })).to.equal(0);
  });
  it('backs off 1 s, 2 s, 4 s … after failed cycles, capped at the interval', () => {
    const delays = [1, 2, 3, 4, 5, 40].map((n) => nextDelayMs(10_000, { startedAt: 0, endedAt: 100, consecutiveErrors: n }));
    expect(delays).to.deep.equal([1000, 2000, 4000, 8000, 10_000, 10_000]);
  });

  it('runs cycles one at a time and stops after maxCycles with the last outcome', async () => {
    let running = 0;
    let clock = 0;
    const outcomes = ['error', 'error', 'ok', 'ok'];
    const summary = await runLoop(
      { intervalMs: 1, maxCycles: 4 },
      async (n) => {
        expect(running).to.equal(0);
        running++;
        clock += 10;
        await new Promise((r) => setImmediate(r));
        running--;
        return outcomes[n - 1]!;
      },
      (o) => o === 'error',
      new AbortController().signal,
      () => clock,
    );
    expect(summary).to.deep.equal({ cycles: 4, stopped: false, last: 'ok' });
  });

  it('stops at once when aborted while waiting, and does not start another cycle', async () => {
    const stop = new AbortController();
    let cycles = 0;
    const summary = await runLoop(
      { intervalMs: 60_000 },
      async () => {
        cycles++;
        setImmediate(() => stop.abort());
        return 'ok';
      },
      () => false,
      stop.signal,
    );
    expect(cycles).to.equal(1);
    expect(summary.stopped).to.equal(true);
  });
});

describe('watch metrics', () => {
  it('sets target_up per target and transport (n/a left out) and latency in seconds', async () => {
    const m = createMetrics();
    m.recordCycle(cycle({ result: 'unhealthy', targets: [target('service kube-dns', 'service', 'pass', 'pass'), target('coredns-a', 'pod', 'fail', 'n/a', 4, null)], classification: 'pod-local' }));
    expect(await series(m, 'coredns_sentinel_target_up')).to.deep.equal([
      { labels: { target: 'kube-dns', kind: 'service', transport: 'udp' }, value: 1 },
      { labels: { target: 'kube-dns', kind: 'service', transport: 'tcp' }, value: 1 },
      { labels: { target: 'coredns-a', kind: 'pod', transport: 'udp' }, value: 0 },
    ]);
    expect(await series(m, 'coredns_sentinel_target_latency_seconds')).to.deep.equal([
      { labels: { target: 'kube-dns', percentile: '50' }, value: 0.001 },
      { labels: { target: 'kube-dns', percentile: '99' }, value: 0.002 },
      { labels: { target: 'coredns-a', percentile: '50' }, value: 0.004 },
    ]);
  });

  it('drops the series of targets that disappeared (a replaced pod) and keeps one classification', async () => {
    const m = createMetrics();
    m.recordCycle(cycle({ result: 'unhealthy', targets: [target('coredns-old', 'pod', 'fail', 'fail')], classification: 'pod-local' }));
    m.recordCycle(cycle({ targets: [target('coredns-new', 'pod', 'pass', 'pass')], classification: 'healthy' }));
    const targets = new Set((await series(m, 'coredns_sentinel_target_up')).map((s) => s.labels.target));
    expect([...targets]).to.deep.equal(['coredns-new']);
    expect(await series(m, 'coredns_sentinel_classification')).to.deep.equal([{ labels: { classification: 'healthy' }, value: 1 }]);
  });

  it('an error cycle counts and times, keeps the last judged targets', async () => {
    const m = createMetrics();
    m.recordCycle(cycle({ targets: [target('coredns-a', 'pod', 'pass', 'pass')] }));
    m.recordCycle(cycle({ result: 'error', endedAt: 1_700_000_005_000 }));
    const cycles = await series(m, 'coredns_sentinel_cycles_total');
    expect(cycles.map((c) => [c.labels.result, c.value])).to.deep.equal([['healthy', 1], ['unhealthy', 0], ['error', 1]]);
    expect((await series(m, 'coredns_sentinel_last_cycle_timestamp_seconds'))[0]!.value).to.equal(1_700_000_005);
    expect(await series(m, 'coredns_sentinel_target_up')).to.have.length(2);
    expect(await histogramCount(m, 'coredns_sentinel_cycle_duration_seconds')).to.equal(2);
  });

  it('counts restarts by pod, method and outcome, and new escalations', async () => {
    const m = createMetrics();
    m.recordCycle(cycle({ restarts: [{ pod: 'coredns-a', method: 'evict', outcome: 'restarted' }], newEscalations: 1 }));
    m.recordCycle(cycle({ restarts: [{ pod: 'coredns-a', method: 'evict', outcome: 'restarted' }] }));
    expect(await series(m, 'coredns_sentinel_restarts_total')).to.deep.equal([{ labels: { pod: 'coredns-a', method: 'evict', outcome: 'restarted' }, value: 2 }]);
    expect((await series(m, 'coredns_sentinel_escalations_total'))[0]!.value).to.equal(1);
  });

  it('keeps its own registry: two instances do not clash, process metrics only on request', async () => {
    const a = createMetrics();
    const b = createMetrics({ processMetrics: true });
    expect(await a.registry.metrics()).to.not.match(/process_cpu/);
    expect(await b.registry.metrics()).to.match(/^coredns_sentinel_process_cpu_seconds_total /m);
  });

  it('labels the Service target by its name', () => {
    expect(targetLabel({ kind: 'service', label: 'service kube-dns' })).to.equal('kube-dns');
    expect(targetLabel({ kind: 'pod', label: 'coredns-a' })).to.equal('coredns-a');
  });
});

describe('watch metrics server', () => {
  it('parses host:port, [ipv6]:port and :port; rejects the rest', () => {
    expect(parseListenAddress('0.0.0.0:9469')).to.deep.equal({ host: '0.0.0.0', port: 9469 });
    expect(parseListenAddress(':9469')).to.deep.equal({ host: '0.0.0.0', port: 9469 });
    expect(parseListenAddress('[::1]:0')).to.deep.equal({ host: '::1', port: 0 });
    expect(parseListenAddress('localhost:80')).to.deep.equal({ host: 'localhost', port: 80 });
    for (const bad of ['9469', 'host', '1.2.3.4:70000', '[nope]:1', 'a b:1', '::1:80']) expect(parseListenAddress(bad), bad).to.equal(null);
  });

  it('health fails once no cycle finished within the limit', () => {
    expect(loopHealth(0, 1000, 1000)).to.deep.equal({ ok: true, line: 'ok' });
    expect(loopHealth(0, 1000, 61_000)).to.deep.equal({ ok: false, line: 'no cycle finished for 61s (limit 1s)' });
  });

  it('serves /metrics, /healthz (200/503), 404 elsewhere, 405 for POST', async () => {
    const m = createMetrics();
    m.recordCycle(cycle({}));
    let ok = true;
    const server = await startMetricsServer({ host: '127.212.0.2', port: 0 }, m.registry, () => (ok ? { ok, line: 'ok' } : { ok, line: 'stuck' }));
    try {
      const metrics = await fetch(`${server.url}/metrics`);
      expect(metrics.status).to.equal(200);
      expect(await metrics.text()).to.match(/^coredns_sentinel_cycles_total\{result="healthy"\} 1$/m);
      expect((await fetch(`${server.url}/healthz`)).status).to.equal(200);
      ok = false;
      const stuck = await fetch(`${server.url}/healthz`);
      expect([stuck.status, await stuck.text()]).to.deep.equal([503, 'stuck\n']);
      expect((await fetch(`${server.url}/`)).status).to.equal(404);
      expect((await fetch(`${server.url}/metrics`, { method: 'POST' })).status).to.equal(405);
    } finally {
      await server.close();
    }
  });
});
