// End to end at scale: the built CLI against a simulated cluster with 100 CoreDNS replicas, one broken.
// The plan then has 101 targets; exactly the broken pod must be flagged, and no probe pod left behind.
import assert from 'node:assert/strict';
import { startSim, type Sim } from '../sim/index.ts';
import { simOnly } from './cluster.ts';
import { buildCli, cli, probePodsLeft } from './cli.ts';

const check = (args: string[]) => cli(['check', ...args]);

describe('check e2e: 100 CoreDNS replicas', function () {
  this.timeout(120_000);
  let sim: Sim;

  before(async function () {
    simOnly(this);
    buildCli();
    sim = await startSim({ dns: { replicas: 100 } });
    await sim.waitReady(60_000);
  });

  after(async () => {
    await sim?.stop();
  });

  it('one of 100 pods with UDP dropped → exit 1, exactly that pod flagged over UDP only', async () => {
    const pods = sim.dnsPods();
    assert.equal(pods.length, 100);
    const victim = pods[57]!.name;
    sim.faults.dropUdp(victim);
    const run = await check(['--kubeconfig', sim.kubeconfigPath, '-o', 'json', '--samples', '1']); // default 2 s timeout: the sim's dnsmasq forks per TCP connection, 200 forks at once on 2 cores
    assert.equal(run.code, 1, run.stderr);
    assert.equal(run.json?.targets?.length, 101);
    const failing = (run.json?.targets ?? []).filter((t) => t.verdict === 'fail');
    const failingPods = failing.filter((t) => t.kind === 'pod');
    assert.deepEqual(failingPods.map((t) => t.label), [victim]);
    assert.equal(failingPods[0]!.udp, 'fail');
    assert.equal(failingPods[0]!.tcp, 'pass');
    assert.deepEqual(await probePodsLeft(sim.kubeconfigPath), [], 'a probe pod was left behind');
  });
});
