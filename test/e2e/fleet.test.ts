// Several clusters in one run: --context a,b,c and --all-contexts against two sims and a server that
// does not answer. One row per cluster, the unreachable one an error row (never the end of the run),
// the exit code the worst of all, and --repair repairs each cluster under its own Lease.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startSim, type Sim } from '../sim/index.ts';
import { buildCli, cli, probePodsLeft } from './cli.ts';
import { writeFleetKubeconfig } from './kubeconfigs.ts';
import type { FleetOutput } from '../../src/report/index.ts';

describe('fleet: several contexts in one run', function () {
  this.timeout(120_000);
  let healthy: Sim;
  let sick: Sim;
  let kubeconfig: string;
  const base = () => ['check', '--kubeconfig', kubeconfig, '--timeout', '500ms', '--samples', '2'];

  before(async function () {
    this.timeout(90_000);
    buildCli();
    [healthy, sick] = await Promise.all([startSim({ dns: { replicas: 2 } }), startSim({ dns: { replicas: 3 }, timing: { scale: 0.1 } })]);
    await Promise.all([healthy.waitReady(30_000), sick.waitReady(30_000)]);
    kubeconfig = writeFleetKubeconfig(join(healthy.dir, 'fleet.kubeconfig'), [
      { name: 'alpha', kubeconfig: healthy.kubeconfigPath },
      { name: 'beta', kubeconfig: sick.kubeconfigPath },
      // A loopback port nothing listens on: connection refused, at once.
      { name: 'gamma', unreachable: 'https://127.0.0.1:9' },
    ]);
  });
  after(async () => Promise.all([healthy?.stop(), sick?.stop()]));

  it('one healthy, one with a hung pod, one unreachable → three rows, worst exit code (3), the error is a row', async () => {
    const hung = sick.dnsPods()[0]!.name;
    sick.faults.hangDns(hung);
    try {
      const run = await cli([...base(), '--context', 'alpha,beta', '--context', 'gamma', '-o', 'json']);
      const fleet = JSON.parse(run.stdout) as FleetOutput;
      assert.equal(fleet.kind, 'FleetReport');
      assert.deepEqual(fleet.clusters.map((c) => [c.context, c.report.verdict, c.report.exitCode]), [['alpha', 'healthy', 0], ['beta', 'unhealthy', 1], ['gamma', 'error', 3]]);
      assert.equal(fleet.clusters[1]!.report.classification, 'pod-local');
      assert.deepEqual(fleet.clusters[1]!.report.targets?.filter((t) => t.verdict === 'fail' && t.kind === 'pod').map((t) => t.label), [hung]);
      assert.match(fleet.clusters[2]!.report.message, /127\.0\.0\.1:9|unreachable|refused/i);
      assert.equal(run.code, 3);
      assert.equal(fleet.exitCode, 3);

      const table = await cli([...base(), '--all-contexts', '--parallel', '3']);
      assert.equal(table.code, 3);
      const lines = table.stdout.split('\n');
      assert.match(lines[0]!, /^CONTEXT\s+VERDICT\s+CLASSIFICATION\s+FAILING PODS\s+MODE\s+DURATION\s+EXIT$/);
      assert.match(table.stdout, /^alpha\s+healthy\s+healthy\s+-\s+probe-pod\s+[\d.]+s\s+0$/m);
      assert.match(table.stdout, new RegExp(`^beta\\s+unhealthy\\s+pod-local\\s+${hung}\\s+probe-pod\\s+[\\d.]+s\\s+1$`, 'm'));
      assert.match(table.stdout, /^gamma\s+error\s+.+\s+3$/m);
      assert.match(table.stdout, /--- beta ---/);
      assert.match(table.stdout, /DNS not healthy in 2 of 3 clusters: beta, gamma/);
    } finally {
      sick.faults.clear();
    }
    assert.deepEqual(await probePodsLeft(healthy.kubeconfigPath), []);
    assert.deepEqual(await probePodsLeft(sick.kubeconfigPath), []);
  });

  it('--repair per cluster: the sick cluster is repaired under its own Lease, the healthy one untouched', async () => {
    const hung = sick.dnsPods()[0]!.name;
    sick.faults.hangDns(hung);
    const run = await cli([...base(), '--context', 'alpha,beta', '--repair', '-o', 'json']);
    const fleet = JSON.parse(run.stdout) as FleetOutput;
    const [alpha, beta] = fleet.clusters;
    assert.equal(alpha!.report.repair?.actions.length ?? 0, 0);
    assert.deepEqual(beta!.report.repair?.actions.map((a) => [a.pod, a.outcome]), [[hung, 'done']], run.stderr);
    assert.equal(run.code, 0, run.stderr);
    const leases = sick.requests.filter((r) => r.resource === 'leases' && r.verb === 'create');
    assert.ok(leases.length >= 1, 'the sick cluster took its own Lease');
    assert.equal(healthy.requests.filter((r) => r.resource === 'leases' && r.verb !== 'get').length, 0);
  });

  it('flag conflicts are usage errors', async () => {
    for (const [args, re] of [
      [['--all-contexts', '--context', 'alpha'], /--all-contexts and --context contradict/],
      [['--context', 'alpha,alpha'], /names a context twice/],
      [['--context', 'alpha', '--parallel', '2'], /--parallel only applies with several/],
      [['--context', 'alpha,beta', '--parallel', '0'], /--parallel must be an integer from 1 to 32/],
    ] as const) {
      const run = await cli([...base(), ...args]);
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, re);
    }
    const watch = await cli(['watch', '--kubeconfig', kubeconfig, '--context', 'alpha,beta']);
    assert.equal(watch.code, 2);
    assert.match(watch.stderr, /watch checks one cluster/);
  });
});
