// check --pushgateway: the cycle's metrics PUT to the real Pushgateway (Debian prometheus-pushgateway),
// started here on a claimed 127.N address, and read back from it.
import { expect } from 'chai';
import { claimSubnet } from '../subnets.ts';
import { createMetrics, cycleRecord } from '../../src/watch/metrics.ts';
import { groupPath, parsePushTarget, pushMetrics, PushError, type PushTarget } from '../../src/report/pushgateway.ts';
import type { CheckOutput } from '../../src/report/index.ts';
import { startDaemon, type Daemon } from './daemons.ts';

const report = (verdict: 'healthy' | 'unhealthy'): CheckOutput => ({
  apiVersion: 'coredns-sentinel/check/v1', kind: 'CheckReport', verdict, exitCode: verdict === 'healthy' ? 0 : 1, message: verdict, classification: verdict === 'healthy' ? 'healthy' : 'pod-local', reason: '-', notes: [],
  targets: [{ id: 'pod/coredns-a', kind: 'pod', label: 'coredns-a', address: '10.0.0.2', port: 53, node: 'n1', udp: verdict === 'healthy' ? 'pass' : 'fail', tcp: 'pass', p50Ms: 1, p99Ms: 2, verdict: verdict === 'healthy' ? 'pass' : 'fail', status: verdict === 'healthy' ? 'pass' : 'fail', classification: 'pod-local', reason: '-', consecutiveFailures: 0, failing: [] }],
});

function registryOf(r: CheckOutput) {
  const m = createMetrics();
  m.recordCycle(cycleRecord(r, 1.5, Date.now()));
  return m.registry;
}

interface Family {
  labels: Record<string, string>;
  [name: string]: unknown;
}

/** The groups the Pushgateway holds (its /api/v1/metrics). */
async function groups(gw: Daemon): Promise<Family[]> {
  const body = (await (await fetch(`${gw.url}/api/v1/metrics`)).json()) as { data: Family[] };
  return body.data;
}

const sampleOf = (group: Family, metric: string, labels: Record<string, string> = {}): string | undefined => {
  const fam = group[metric] as { metrics: { labels: Record<string, string>; value: string }[] } | undefined;
  return fam?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels[k] === v))?.value;
};

describe('Pushgateway push (real prometheus-pushgateway)', function () {
  this.timeout(60_000);
  let gw: Daemon;
  let subnet: string;

  before(async () => {
    subnet = claimSubnet();
    const addr = `${subnet}.0.1:9091`;
    gw = await startDaemon('prometheus-pushgateway', [`--web.listen-address=${addr}`, '--log.level=warn'], `http://${addr}`, '/-/ready');
  });
  after(async () => {
    await gw?.stop();
  });

  it('PUTs the metrics under job and grouping labels (a context with / and :), replacing the group on the next push', async () => {
    const target: PushTarget = { url: gw.url, job: 'ci-dns', labels: [['context', 'arn:aws:eks:eu-west-1:123:cluster/prod'], ['pipeline', '']] };
    await pushMetrics(registryOf(report('unhealthy')), target, 5000);
    let group = (await groups(gw)).find((g) => g.labels.job === 'ci-dns');
    expect(group, JSON.stringify(await groups(gw))).to.not.equal(undefined);
    expect(group!.labels.context).to.equal('arn:aws:eks:eu-west-1:123:cluster/prod');
    expect(sampleOf(group!, 'coredns_sentinel_cycles_total', { result: 'unhealthy' })).to.equal('1');
    expect(sampleOf(group!, 'coredns_sentinel_target_up', { target: 'coredns-a', transport: 'udp' })).to.equal('0');

    await pushMetrics(registryOf(report('healthy')), target, 5000);
    group = (await groups(gw)).find((g) => g.labels.job === 'ci-dns')!;
    // PUT replaces: the second run's counts alone, not a sum or a mix.
    expect(sampleOf(group, 'coredns_sentinel_cycles_total', { result: 'unhealthy' })).to.equal('0');
    expect(sampleOf(group, 'coredns_sentinel_cycles_total', { result: 'healthy' })).to.equal('1');
    expect(sampleOf(group, 'coredns_sentinel_target_up', { target: 'coredns-a', transport: 'udp' })).to.equal('1');
    expect(sampleOf(group, 'push_time_seconds')).to.not.equal(undefined);
    expect(sampleOf(group, 'push_failure_time_seconds')).to.equal('0');
  });

  it('a refusing or absent gateway is one line naming the request', async () => {
    const wrongPath = { url: `${gw.url}/not-here`, job: 'x', labels: [] };
    const refused = await pushMetrics(registryOf(report('healthy')), wrongPath, 5000).then(() => null, (e: unknown) => e);
    expect(refused).to.be.instanceOf(PushError);
    expect((refused as PushError).line).to.match(/^the Pushgateway refused the metrics \(PUT http:\/\/.*\/not-here\/metrics\/job@base64\/eA\): HTTP 404/);
    const nobody = await pushMetrics(registryOf(report('healthy')), { url: `http://${subnet}.0.2:9091`, job: 'x', labels: [] }, 5000).then(() => null, (e: unknown) => e);
    expect((nobody as PushError).line).to.match(/^cannot push metrics \(PUT http:\/\/127\.\d+\.0\.2:9091\/metrics\/job@base64\/eA\): ECONNREFUSED; check --pushgateway$/);
  });
});

describe('Pushgateway flags', () => {
  it('parses URL, job and labels; refuses the rest in one line', () => {
    expect(parsePushTarget('http://gw:9091/', 'j', ['a=1', 'b=x=y'])).to.deep.equal({ url: 'http://gw:9091', job: 'j', labels: [['a', '1'], ['b', 'x=y']] });
    const problems = [
      parsePushTarget('gw:9091', 'j', []),
      parsePushTarget('ftp://gw', 'j', []),
      parsePushTarget('http://gw?x=1', 'j', []),
      parsePushTarget('http://gw', ' ', []),
      parsePushTarget('http://gw', 'j', ['noequals']),
      parsePushTarget('http://gw', 'j', ['1a=b']),
      parsePushTarget('http://gw', 'j', ['job=b']),
      parsePushTarget('http://gw', 'j', ['__x=b']),
      parsePushTarget('http://gw', 'j', ['a=1', 'a=2']),
    ];
    for (const p of problems) expect(p).to.have.property('problem').that.matches(/^--pushgateway/);
  });
  it('encodes every value base64url, an empty one as =', () => {
    expect(groupPath({ job: 'a/b', labels: [['c', ''], ['d', 'é']] })).to.equal('/metrics/job@base64/YS9i/c@base64/=/d@base64/w6k');
  });
});
