// Dual-stack judgment through the built CLI on the sim's dual-stack preset (IPv6 pod and Service
// addresses on lo; root only): IPv6 lost on every pod is the network's (ip-family, no eviction), IPv6
// lost on one pod while its peers answer IPv6 is that pod's (pod-local, repairable).
import assert from 'node:assert/strict';
import { startSim, type Sim } from '../sim/index.ts';
import { skipWithoutIpv6 } from '../sim/network6.ts';
import { simOnly } from './cluster.ts';
import { buildCli, cli } from './cli.ts';

const evictions = (sim: Sim, from: number) => sim.requests.slice(from).filter((r) => r.resource === 'pods/eviction' || (r.resource === 'pods' && r.verb === 'delete' && !/probe/.test(r.name ?? '')));

describe('dual-stack e2e: judgment per IP family', function () {
  this.timeout(180_000);
  let sim: Sim;
  before(async function () {
    simOnly(this);
    skipWithoutIpv6(this);
    buildCli();
    sim = await startSim({ preset: 'dual-stack', timing: { scale: 0.1 } });
    await sim.waitReady(60_000);
  });
  after(async () => {
    await sim?.stop();
  });
  afterEach(() => sim?.faults.clear());

  const args = () => ['check', '--kubeconfig', sim.kubeconfigPath, '-o', 'json', '--timeout', '1s'];

  it('healthy: every pod and the Service answer on both families; the IPv6 addresses are asked the one reachability check', async () => {
    const run = await cli(args());
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const targets = run.json?.targets ?? [];
    assert.equal(targets.length, 2 * (sim.dnsPods().length + 1));
    assert.deepEqual(
      [...new Set(targets.map((t) => `${t.address.includes(':') ? 'ipv6' : 'ipv4'} ${t.kind} ${t.queries?.join(',') ?? 'every check'}`))].sort(),
      ['ipv4 pod every check', 'ipv4 service every check', 'ipv6 pod kubernetes-a', 'ipv6 service kubernetes-a'],
    );
  });

  it('IPv6 dropped on every pod → ip-family naming IPv6, exit 1, --repair and --dry-run plan no eviction', async () => {
    sim.faults.dropFamily('ipv6');
    for (const extra of [['--repair', '--dry-run'], ['--repair']]) {
      const from = sim.requests.length;
      const run = await cli([...args(), ...extra]);
      assert.equal(run.code, 1, run.stdout + run.stderr);
      assert.equal(run.json?.classification, 'ip-family', run.json?.reason);
      assert.match(run.json?.reason ?? '', /^IPv6 fails on every CoreDNS pod while IPv4 passes .* not restarting; fix IPv6 routing or probe with --ip-family ipv4$/);
      assert.deepEqual(run.json?.repair?.actions ?? [], [], JSON.stringify(run.json?.repair));
      assert.equal(evictions(sim, from).length, 0);
      // Every IPv6 pod address fails, every IPv4 one passes.
      const pods = run.json?.targets?.filter((t) => t.kind === 'pod') ?? [];
      assert.deepEqual([...new Set(pods.map((t) => `${t.address.includes(':') ? 'ipv6' : 'ipv4'} ${t.verdict}`))].sort(), ['ipv4 pass', 'ipv6 fail']);
    }
  });

  it('IPv6 dropped on one pod while its peers answer IPv6 → pod-local for IPv6, repairable: --dry-run plans that pod only, --repair evicts it alone', async () => {
    const victim = sim.dnsPods()[0]!.name;
    sim.faults.dropFamily('ipv6', victim);
    const from = sim.requests.length;
    const run = await cli([...args(), '--repair', '--dry-run']);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.equal(run.json?.classification, 'pod-local', run.json?.reason);
    assert.match(run.json?.reason ?? '', new RegExp(`^${victim} \\(IPv6\\) fails while .* pass(es)? IPv6 from the same probe — it is repairable`));
    assert.equal(run.json?.repair?.mode, 'dry-run');
    assert.deepEqual(run.json?.repair?.actions.map((a) => [a.pod, a.outcome]), [[victim, 'dry-run']]);
    assert.equal(evictions(sim, from).length, 0);
    const failing = run.json?.targets?.filter((t) => t.verdict === 'fail') ?? [];
    assert.deepEqual(failing.filter((t) => t.kind === 'pod').map((t) => [t.label, t.address.includes(':'), t.classification]), [[`${victim} (ipv6)`, true, 'pod-local']]);
    // The IPv6 Service IP may land on the victim too: then it is the victim's failure, never a restart of its own.
    for (const t of failing.filter((x) => x.kind === 'service')) assert.deepEqual([t.address.includes(':'), t.classification], [true, 'pod-local'], t.reason);
    // --repair evicts that pod and no other; its replacement answers IPv6 (the fault is the pod's).
    const repairFrom = sim.requests.length;
    const repaired = await cli([...args(), '--repair']);
    assert.equal(repaired.code, 0, repaired.stdout + repaired.stderr);
    assert.deepEqual(evictions(sim, repairFrom).filter((r) => r.code < 300).map((r) => r.name), [victim]);
    assert.equal((await cli(args())).code, 0);
  });
});
