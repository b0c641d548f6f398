// Every metric `watch` serves and `check --pushgateway` pushes passes `promtool check metrics`
// (Debian's prometheus package): the metric names follow Prometheus's conventions.
import { expect } from 'chai';
import { createMetrics, cycleRecord } from '../../src/watch/metrics.ts';
import type { CheckOutput, TargetResult } from '../../src/report/index.ts';
import { run } from './tools.ts';

const target = (label: string, kind: 'service' | 'pod', ok: boolean): TargetResult => ({
  id: label, kind, label, address: '10.0.0.1', port: 53, node: 'node-a', udp: ok ? 'pass' : 'fail', tcp: 'pass', p50Ms: 1.5, p99Ms: 3,
  verdict: ok ? 'pass' : 'fail', status: ok ? 'pass' : 'fail', classification: ok ? 'healthy' : 'pod-local', reason: ok ? 'ok' : 'timeout', consecutiveFailures: ok ? 0 : 2, failing: [],
});

/** A repaired, escalated, budget-limited cycle: every metric gets at least one series. */
const report: CheckOutput = {
  apiVersion: 'coredns-sentinel/check/v1', kind: 'CheckReport', verdict: 'unhealthy', exitCode: 5, message: 'DNS unhealthy', classification: 'pod-local', reason: 'one pod times out',
  targets: [target('service kube-dns', 'service', true), target('coredns-a', 'pod', false), target('coredns-b', 'pod', true)],
  notes: [],
  repair: {
    mode: 'repair',
    actions: [{ pod: 'coredns-a', method: 'evict', outcome: 'done', detail: 'replaced' }],
    skipped: [{ pod: 'coredns-c', reason: 'restart budget used: 3 restarts in the last 1h (budget 3)' }],
    escalations: [{ pod: 'coredns-a', evidence: ['timeout again'], isNew: true }],
  },
};

const promtool = (text: string) => run('promtool', ['check', 'metrics'], { input: text });

describe('metrics pass promtool check metrics', function () {
  this.timeout(30_000);

  it('watch with process metrics, after a repaired and escalated cycle', async () => {
    const m = createMetrics({ processMetrics: true });
    m.recordCycle(cycleRecord(report, 2.5, Date.now()));
    const text = await m.registry.metrics();
    // Every metric family of the product is in the text checked (promtool passes empty input).
    for (const name of ['cycles_total', 'cycle_duration_seconds', 'last_cycle_timestamp_seconds', 'target_up', 'target_latency_seconds', 'restarts_total', 'escalations_total', 'restart_budget_exhausted', 'classification', 'process_cpu_seconds_total', 'nodejs_eventloop_lag_seconds'])
      expect(text).to.match(new RegExp(`^# TYPE coredns_sentinel_${name} `, 'm'));
    const r = promtool(text);
    expect(r.stdout + r.stderr).to.equal('');
    expect(r.status).to.equal(0);
  });

  it('an error cycle (no targets) and a fresh registry', async () => {
    const m = createMetrics();
    expect(promtool(await m.registry.metrics()).status).to.equal(0);
    m.recordCycle(cycleRecord({ apiVersion: 'coredns-sentinel/check/v1', kind: 'CheckReport', verdict: 'error', exitCode: 3, message: 'API unreachable', notes: [] }, 0.2, Date.now()));
    expect(promtool(await m.registry.metrics()).status).to.equal(0);
  });

  it('promtool does flag what the names avoid (the check can fail)', () => {
    const r = promtool('# HELP x_latency_seconds l\n# TYPE x_latency_seconds gauge\nx_latency_seconds{quantile="0.5"} 1\n# HELP y_total y\n# TYPE y_total gauge\ny_total 1\n');
    expect(r.status).to.not.equal(0);
    expect(r.stdout + r.stderr).to.match(/quantile/).and.match(/_total/);
  });
});

describe('cycleRecord: the metrics of a report', () => {
  it('counts done restarts, new escalations and an exhausted budget', () => {
    const r = cycleRecord(report, 2.5, 1_700_000_000_000);
    expect(r.result).to.equal('unhealthy');
    expect(r.restarts).to.deep.equal([{ pod: 'coredns-a', method: 'evict', outcome: 'done' }]);
    expect(r.newEscalations).to.equal(1);
    expect(r.budgetExhausted).to.equal(true);
  });

  it('a dry run restarts nothing; no repair section leaves the budget gauge alone', () => {
    const dry = cycleRecord({ ...report, repair: { mode: 'dry-run', actions: [{ pod: 'coredns-a', method: 'evict', outcome: 'dry-run', detail: 'would evict' }], skipped: [], escalations: [] } }, 1, 0);
    expect(dry.restarts).to.deep.equal([]);
    expect(dry.budgetExhausted).to.equal(false);
    const { repair: _none, ...plain } = report;
    expect(cycleRecord(plain, 1, 0)).to.not.have.property('budgetExhausted');
  });

  it('the budget gauge follows the last judged cycle', async () => {
    const m = createMetrics();
    const gauge = async () => (await m.registry.getSingleMetric('coredns_sentinel_restart_budget_exhausted')!.get()).values[0]!.value;
    m.recordCycle(cycleRecord(report, 1, 0));
    expect(await gauge()).to.equal(1);
    m.recordCycle(cycleRecord({ ...report, repair: { ...report.repair!, skipped: [] } }, 1, 0));
    expect(await gauge()).to.equal(0);
  });
});
