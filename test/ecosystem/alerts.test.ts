// The alerting rules (manifests/alerts) and the Grafana dashboard (manifests/grafana): promtool checks
// and unit-tests the rules, the PrometheusRule carries the same groups, and every expression names
// only metrics the product serves (read from src/watch/metrics.ts's registry, not listed here).
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { createMetrics } from '../../src/watch/metrics.ts';
import { run } from './tools.ts';

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
}
interface Groups {
  groups: { name: string; rules: Rule[] }[];
}

const RULES = 'manifests/alerts/rules.yaml';
const plain = parse(readFileSync(RULES, 'utf8')) as Groups;
const operator = parse(readFileSync('manifests/alerts/prometheus-rule.yaml', 'utf8')) as { apiVersion: string; kind: string; spec: Groups };
const dashboard = JSON.parse(readFileSync('manifests/grafana/coredns-sentinel.json', 'utf8')) as { title: string; uid: string; panels: { id: number; title: string; type: string; targets: { expr: string }[] }[]; templating: { list: { name: string; query: unknown }[] } };

/** Every series name the product can expose (histograms as _bucket, _sum, _count). */
async function servedNames(): Promise<Set<string>> {
  const names = new Set<string>();
  for (const m of await createMetrics({ processMetrics: true }).registry.getMetricsAsJSON()) {
    names.add(m.name);
    // prom-client types `type` as a numeric enum; at run time it is the text-format name.
    if (String(m.type) === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(`${m.name}${s}`);
  }
  return names;
}

const referenced = (expr: string) => [...expr.matchAll(/\bcoredns_sentinel_[a-z0-9_]+/g)].map((m) => m[0]);

let dir: string;
before(() => (dir = mkdtempSync(join(tmpdir(), 'alerts-'))));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('alerting rules (promtool)', function () {
  this.timeout(30_000);

  it('pass promtool check rules and the unit tests of promtool test rules', () => {
    const check = run('promtool', ['check', 'rules', RULES]);
    expect(check.status, check.stdout + check.stderr).to.equal(0);
    const tests = run('promtool', ['test', 'rules', 'manifests/alerts/rules.test.yaml']);
    expect(tests.status, tests.stdout + tests.stderr).to.equal(0);
    expect(tests.stdout).to.match(/SUCCESS/);
  });

  it('cover what the issue asks: unhealthy for N minutes, a failing pod, escalation, budget, the sentinel absent', () => {
    const byName = new Map(plain.groups.flatMap((g) => g.rules).map((r) => [r.alert, r]));
    expect(byName.get('CoreDNSUnhealthy')?.for).to.equal('5m');
    expect(byName.get('CoreDNSPodFailing')?.expr).to.contain('kind="pod"');
    expect(byName.get('CoreDNSRepairEscalated')?.expr).to.contain('coredns_sentinel_escalations_total');
    expect(byName.get('CoreDNSRestartBudgetExhausted')?.expr).to.contain('coredns_sentinel_restart_budget_exhausted');
    expect(byName.get('CoreDNSSentinelAbsent')?.expr).to.match(/^absent\(/);
    // The unit tests exercise every alert.
    const tested = readFileSync('manifests/alerts/rules.test.yaml', 'utf8');
    for (const name of byName.keys()) expect(tested, name).to.contain(`alertname: ${name}`);
  });

  it('the PrometheusRule carries the same groups, and they pass promtool too', () => {
    expect(operator.apiVersion).to.equal('monitoring.coreos.com/v1');
    expect(operator.kind).to.equal('PrometheusRule');
    expect(operator.spec.groups).to.deep.equal(plain.groups);
    const file = join(dir, 'operator-rules.yaml');
    writeFileSync(file, stringify({ groups: operator.spec.groups }));
    expect(run('promtool', ['check', 'rules', file]).status).to.equal(0);
  });

  it('name only metrics the product serves', async () => {
    const served = await servedNames();
    for (const r of plain.groups.flatMap((g) => g.rules)) {
      expect(referenced(r.expr).length, r.alert).to.be.greaterThan(0);
      for (const name of referenced(r.expr)) expect(served, `${r.alert}: ${name}`).to.include(name);
    }
  });
});

describe('Grafana dashboard', function () {
  this.timeout(30_000);

  it('is a dashboard with named, uniquely numbered panels and query variables', () => {
    expect(dashboard.title).to.equal('coredns-sentinel');
    expect(dashboard.uid).to.match(/^[a-z0-9-]{1,40}$/);
    expect(dashboard.panels.length).to.be.greaterThan(5);
    for (const p of dashboard.panels) {
      expect(p.title, `panel ${p.id}`).to.be.a('string').with.length.greaterThan(0);
      expect(p.targets.length, p.title).to.be.greaterThan(0);
    }
    expect(new Set(dashboard.panels.map((p) => p.id)).size).to.equal(dashboard.panels.length);
    expect(new Set(dashboard.panels.map((p) => p.title)).size).to.equal(dashboard.panels.length);
    expect(dashboard.templating.list.map((v) => v.name)).to.deep.equal(['datasource', 'job', 'instance']);
  });

  it('every expression names served metrics and parses as PromQL (promtool, as recording rules)', async () => {
    const served = await servedNames();
    const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => ({ panel: p.title, expr: t.expr })));
    for (const { panel, expr } of exprs) {
      expect(referenced(expr).length, panel).to.be.greaterThan(0);
      for (const name of referenced(expr)) expect(served, `${panel}: ${name}`).to.include(name);
    }
    // Grafana's variables become a match-anything regex; each expression is then checked by promtool.
    const rules = exprs.map(({ expr }, i) => ({ record: `dashboard:expr_${i}`, expr: expr.replace(/\$(job|instance)/g, '.*') }));
    const file = join(dir, 'dashboard-rules.yaml');
    writeFileSync(file, stringify({ groups: [{ name: 'dashboard', rules }] }));
    const r = run('promtool', ['check', 'rules', file]);
    expect(r.status, r.stdout + r.stderr).to.equal(0);
    expect(r.stdout).to.contain(`SUCCESS: ${rules.length} rules found`);
  });
});
