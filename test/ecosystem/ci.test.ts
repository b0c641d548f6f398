// check in CI, end to end (the built CLI against the sim): -o junit and --junit FILE validated with
// xmllint against junit-10.xsd, --pushgateway to the real Pushgateway, --exit-zero, and the flags'
// one-line errors. One sim, one Pushgateway on a claimed 127.N; a fleet kubeconfig adds a context
// whose API server does not answer.
import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { claimSubnet } from '../subnets.ts';
import { startSim, type Sim } from '../sim/index.ts';
import { buildCli, cli, probePodsLeft } from '../e2e/cli.ts';
import { simOnly } from '../e2e/cluster.ts';
import { writeFleetKubeconfig } from '../e2e/kubeconfigs.ts';
import { startDaemon, type Daemon } from './daemons.ts';
import { run } from './tools.ts';

const XSD = 'test/ecosystem/fixtures/junit-10.xsd';

function validates(file: string): void {
  const r = run('xmllint', ['--noout', '--schema', XSD, file]);
  expect(r.status, r.stderr).to.equal(0);
}
const xpath = (file: string, expr: string) => run('xmllint', ['--xpath', expr, file]).stdout.trim();

interface Group {
  labels: Record<string, string>;
  [metric: string]: unknown;
}
const sample = (g: Group, metric: string, labels: Record<string, string>) =>
  (g[metric] as { metrics: { labels: Record<string, string>; value: string }[] } | undefined)?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels[k] === v))?.value;

describe('check in CI: JUnit, Pushgateway, --exit-zero (built CLI, sim)', function () {
  this.timeout(120_000);
  let sim: Sim;
  let gw: Daemon;
  let fleet: string;
  let subnet: string;
  const base = () => ['check', '--kubeconfig', sim.kubeconfigPath, '--timeout', '500ms', '--samples', '2'];

  before(async function () {
    simOnly(this);
    this.timeout(90_000);
    buildCli();
    subnet = claimSubnet();
    sim = await startSim({ dns: { replicas: 3 } });
    await sim.waitReady(30_000);
    gw = await startDaemon('prometheus-pushgateway', [`--web.listen-address=${subnet}.0.1:9091`, '--log.level=warn'], `http://${subnet}.0.1:9091`, '/-/ready');
    fleet = writeFleetKubeconfig(join(sim.dir, 'ci-fleet.kubeconfig'), [
      { name: 'alpha', kubeconfig: sim.kubeconfigPath },
      { name: 'gamma', unreachable: `https://${subnet}.0.9:9` },
    ]);
  });
  after(async () => {
    await gw?.stop();
    if (sim) {
      expect(await probePodsLeft(sim.kubeconfigPath)).to.deep.equal([]);
      await sim.stop();
    }
  });
  afterEach(() => sim?.faults.clear());

  it('healthy, -o junit: the document is the report on stdout, valid, no failures, exit 0', async () => {
    const r = await cli([...base(), '-o', 'junit']);
    expect(r.code, r.stderr).to.equal(0);
    const file = join(sim.dir, 'healthy.xml');
    writeFileSync(file, r.stdout);
    validates(file);
    // 4 targets (Service + 3 pods) × every planned check × udp, tcp.
    const tests = Number(xpath(file, 'string(/testsuites/@tests)'));
    expect(tests).to.be.greaterThan(8);
    expect(tests % 8).to.equal(0);
    expect(xpath(file, 'string(/testsuites/@failures)')).to.equal('0');
    expect(xpath(file, 'string(//property[@name="verdict"]/@value)')).to.equal('healthy');
  });

  it('a hung pod: --junit FILE beside -o json, the push to the Pushgateway, exit 1; --exit-zero keeps the report and exits 0', async () => {
    const victim = sim.dnsPods()[1]!.name;
    sim.faults.hangDns(victim);
    const file = join(sim.dir, 'sick.xml');
    const r = await cli([...base(), '-o', 'json', '--junit', file, '--pushgateway', gw.url, '--pushgateway-job', 'ci', '--pushgateway-label', 'pipeline=nightly']);
    expect(r.code, r.stderr).to.equal(1);
    expect(r.json?.verdict).to.equal('unhealthy');
    validates(file);
    expect(Number(xpath(file, 'string(/testsuites/@failures)'))).to.be.greaterThan(0);
    // The victim fails; so may the Service (it balances onto the hung pod); no peer does.
    // The suite is named by the kubeconfig's context, never a placeholder.
    const context = (parse(readFileSync(sim.kubeconfigPath, 'utf8')) as { 'current-context': string })['current-context'];
    expect(xpath(file, 'string(/testsuites/testsuite/@name)')).to.equal(context);
    expect(Number(xpath(file, `count(//testcase[failure][@classname="${context}.${victim}"])`))).to.be.greaterThan(0);
    expect(xpath(file, `count(//testcase[failure][@classname!="${context}.${victim}" and @classname!="${context}.service kube-dns"])`)).to.equal('0');
    expect(xpath(file, 'string(//property[@name="exitCode"]/@value)')).to.equal('1');
    expect(xpath(file, 'string(//property[@name="classification"]/@value)')).to.equal(r.json!.classification);

    const groups = ((await (await fetch(`${gw.url}/api/v1/metrics`)).json()) as { data: Group[] }).data;
    const g = groups.find((x) => x.labels.job === 'ci' && x.labels.pipeline === 'nightly');
    expect(g, JSON.stringify(groups.map((x) => x.labels))).to.not.equal(undefined);
    expect(sample(g!, 'coredns_sentinel_target_up', { target: victim, transport: 'udp' })).to.equal('0');
    expect(sample(g!, 'coredns_sentinel_cycles_total', { result: 'unhealthy' })).to.equal('1');

    const zero = await cli([...base(), '--exit-zero']);
    expect(zero.code, zero.stderr).to.equal(0);
    expect(zero.stdout).to.match(/DNS unhealthy/);
  });

  it('several contexts: a suite per cluster, the unreachable one an error case; pushed per context; --exit-zero keeps exit 3', async () => {
    const file = join(sim.dir, 'fleet.xml');
    const r = await cli(['check', '--kubeconfig', fleet, '--context', 'alpha,gamma', '--timeout', '500ms', '--samples', '2', '--junit', file, '--exit-zero', '--pushgateway', gw.url, '--pushgateway-job', 'fleet']);
    expect(r.code, r.stderr).to.equal(3);
    validates(file);
    expect(xpath(file, 'count(/testsuites/testsuite)')).to.equal('2');
    expect(xpath(file, 'string(//testsuite[@name="gamma"]//error/@type)')).to.equal('exit-3');
    expect(xpath(file, 'string(//testsuite[@name="alpha"]/@failures)')).to.equal('0');
    const groups = ((await (await fetch(`${gw.url}/api/v1/metrics`)).json()) as { data: Group[] }).data.filter((x) => x.labels.job === 'fleet');
    expect(groups.map((x) => x.labels.context).sort()).to.deep.equal(['alpha', 'gamma']);
    expect(sample(groups.find((x) => x.labels.context === 'gamma')!, 'coredns_sentinel_cycles_total', { result: 'error' })).to.equal('1');
  });

  it('an unreachable cluster with -o junit: one error case, exit 3, the error line on stderr', async () => {
    const r = await cli(['check', '--kubeconfig', fleet, '--context', 'gamma', '-o', 'junit']);
    expect(r.code).to.equal(3);
    expect(r.stderr).to.match(/^error: /);
    const file = join(sim.dir, 'gamma.xml');
    writeFileSync(file, r.stdout);
    validates(file);
    expect(xpath(file, 'string(//testsuite/@name)')).to.equal('gamma');
    expect(xpath(file, 'string(//testsuite/@errors)')).to.equal('1');
  });

  it('bad CI flags: exit 2, one line, nothing written or pushed', async () => {
    const before = sim.requests.length;
    for (const [flags, message] of [
      [['--pushgateway', 'ftp://gw'], /--pushgateway must be an http/],
      [['--pushgateway', gw.url, '--pushgateway-label', 'job=x'], /--pushgateway-label job/],
      [['--pushgateway-label', 'a=b'], /need --pushgateway URL/],
      [['--junit', '/nonexistent-dir/r.xml'], /--junit .*does not exist/],
      [['-o', 'xml'], /invalid|Allowed choices/],
    ] as const) {
      const r = await cli([...base(), ...flags]);
      expect(r.code, `${flags.join(' ')}: ${r.stderr}`).to.equal(2);
      expect(r.stderr).to.match(message);
      expect(r.stderr.trim().split('\n')).to.have.length(1);
    }
    expect(sim.requests.length).to.equal(before);
    expect(() => readFileSync('/nonexistent-dir/r.xml')).to.throw();
  });
});
