// End to end with the real Prometheus server (Debian prometheus): it scrapes `watch --repair` (the
// built CLI) against the simulated cluster every second, loads manifests/alerts/rules.yaml, and the
// test reads the series back through Prometheus's HTTP API while a fault is injected and repaired.
// Addresses: a claimed 127.N/16 (watch on .0.1, Prometheus on .0.2); everything stopped afterwards.
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { claimSubnet } from '../subnets.ts';
import { startSim, type Sim } from '../sim/index.ts';
import { buildCli, CLI, probePodsLeft } from '../e2e/cli.ts';
import { simOnly } from '../e2e/cluster.ts';
import { startDaemon, type Daemon } from './daemons.ts';

interface Vector {
  metric: Record<string, string>;
  value: [number, string];
}

async function query(prom: Daemon, q: string): Promise<Vector[]> {
  const res = await fetch(`${prom.url}/api/v1/query?query=${encodeURIComponent(q)}`);
  const body = (await res.json()) as { status: string; data: { resultType: string; result: Vector[] }; error?: string };
  expect(body.status, body.error).to.equal('success');
  return body.data.result;
}

/** Queries until `done` holds (bounded in count and time); returns the last result. */
async function queryUntil(prom: Daemon, q: string, done: (v: Vector[]) => boolean, what: string, timeoutMs = 60_000): Promise<Vector[]> {
  const deadline = Date.now() + timeoutMs;
  let last: Vector[] = [];
  for (let i = 0; i < 600 && Date.now() < deadline; i++) {
    last = await query(prom, q);
    if (done(last)) return last;
    await sleep(250);
  }
  throw new Error(`${what} within ${timeoutMs} ms; last ${q}: ${JSON.stringify(last)}`);
}

const num = (v: Vector[]) => (v.length ? Number(v[0]!.value[1]) : undefined);

describe('Prometheus scrapes watch against the sim (real prometheus)', function () {
  this.timeout(150_000);
  let sim: Sim;
  let prom: Daemon | undefined;
  let watch: ChildProcess | undefined;
  let watchLog = '';
  let dir: string;

  before(async function () {
    simOnly(this);
    this.timeout(90_000);
    buildCli();
    dir = mkdtempSync(join(tmpdir(), 'prom-e2e-'));
    sim = await startSim({ dns: { replicas: 3 } });
    await sim.waitReady(30_000);
    const subnet = claimSubnet();
    const watchAddr = `${subnet}.0.1:9469`;
    watch = spawn(process.execPath, [CLI, 'watch', '--kubeconfig', sim.kubeconfigPath, '--metrics-addr', watchAddr, '--interval', '1s', '--timeout', '500ms', '--samples', '2', '--repair', '--confirm-cycles', '2', '--no-process-metrics'], { stdio: ['ignore', 'ignore', 'pipe'] });
    watch.stderr!.on('data', (d: Buffer) => (watchLog += d));
    const config = {
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      rule_files: [resolve('manifests/alerts/rules.yaml')],
      scrape_configs: [{ job_name: 'coredns-sentinel', static_configs: [{ targets: [watchAddr] }] }],
    };
    writeFileSync(join(dir, 'prometheus.yml'), stringify(config));
    const promAddr = `${subnet}.0.2:9090`;
    prom = await startDaemon('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=${promAddr}`, '--log.level=warn'], `http://${promAddr}`, '/-/ready', 30_000);
  });

  after(async () => {
    if (watch && watch.exitCode === null && watch.signalCode === null) {
      const exited = new Promise((r) => watch!.on('close', r));
      watch.kill('SIGTERM');
      const killed = setTimeout(() => watch!.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killed);
    }
    await prom?.stop();
    if (sim) {
      sim.faults.clear();
      expect(await probePodsLeft(sim.kubeconfigPath)).to.deep.equal([]);
      await sim.stop();
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the scrape is up, the rules loaded healthy, every target up and the cluster healthy', async () => {
    const p = prom!;
    await queryUntil(p, 'up{job="coredns-sentinel"}', (v) => num(v) === 1, `watch scraped (watch log: ${watchLog})`);
    await queryUntil(p, 'coredns_sentinel_classification{classification="healthy"}', (v) => num(v) === 1, 'a healthy cycle scraped');
    const up = await query(p, 'coredns_sentinel_target_up');
    expect(up).to.have.length(8, 'service + 3 pods × udp, tcp');
    expect(up.every((v) => v.value[1] === '1')).to.equal(true);
    const rules = (await (await fetch(`${p.url}/api/v1/rules`)).json()) as { data: { groups: { name: string; rules: { name: string; health: string }[] }[] } };
    const group = rules.data.groups.find((g) => g.name === 'coredns-sentinel');
    expect(group?.rules.map((r) => r.name)).to.include.members(['CoreDNSUnhealthy', 'CoreDNSPodFailing', 'CoreDNSSentinelAbsent']);
    expect(group!.rules.filter((r) => r.health === 'err'), 'rules that failed to evaluate').to.deep.equal([]);
    await queryUntil(p, 'count(ALERTS{alertname="CoreDNSSentinelAbsent"})', (v) => v.length === 0, 'no absent alert while the sentinel runs', 5000);
  });

  it('a hung pod: Prometheus sees its target_up at 0, then its eviction counted, the replacement up and the cluster healthy', async () => {
    const p = prom!;
    const victim = sim.dnsPods()[1]!.name;
    sim.faults.hangDns(victim);
    await queryUntil(p, `coredns_sentinel_target_up{target="${victim}",transport="udp"}`, (v) => num(v) === 0, `${victim} down in Prometheus`);
    const pending = await query(p, `ALERTS{alertname="CoreDNSPodFailing",target="${victim}"}`);
    // The pod alert waits its 3 minutes: pending at most, never firing this early.
    expect(pending.every((v) => v.metric.alertstate === 'pending')).to.equal(true);
    await queryUntil(p, `coredns_sentinel_restarts_total{pod="${victim}",method="evict",outcome="done"}`, (v) => num(v) === 1, `${victim} evicted (watch log: ${watchLog.slice(-2000)})`, 90_000);
    await queryUntil(p, 'coredns_sentinel_classification{classification="healthy"}', (v) => num(v) === 1, 'healthy after the repair');
    const now = await query(p, 'coredns_sentinel_target_up');
    expect(now.map((v) => v.metric.target)).to.not.include(victim);
    expect(now.every((v) => v.value[1] === '1'), JSON.stringify(now)).to.equal(true);
    // The history in Prometheus keeps the failure the repair fixed.
    expect(num(await query(p, `min_over_time(coredns_sentinel_target_up{target="${victim}"}[10m])`))).to.equal(0);
    expect(num(await query(p, 'max_over_time(coredns_sentinel_cycles_total{result="unhealthy"}[10m])'))).to.be.greaterThan(0);
  });
});
