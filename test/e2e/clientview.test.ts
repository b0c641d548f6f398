// --client-view on the sim: the probe pod resolves a short name through its own resolv.conf (the sim
// gives each pod one whose nameserver is the DNS Service IP) and sends A+AAAA pairs to every target;
// with the conntrack-race fault on the Service forwarder, the Service IP's pairs are answered only
// after a retry while the pod IPs answer at once — named as the node's problem, never a restart.
import assert from 'node:assert/strict';
import type { Sim } from '../sim/index.ts';
import { sharedSim } from './cluster.ts';
import { cli } from './cli.ts';

describe('--client-view', function () {
  this.timeout(120_000);
  let sim: Sim;
  const base = () => ['check', '--kubeconfig', sim.kubeconfigPath, '-o', 'json', '--timeout', '500ms', '--samples', '1', '--client-view'];

  sharedSim({ dns: { replicas: 2 } }, (started) => (sim = started));

  it('healthy: the lookup follows the search path, every pair is answered at once', async () => {
    const run = await cli(base());
    assert.equal(run.code, 0, run.stderr);
    const v = run.json?.clientView;
    assert.equal(v?.lookup.answeredAs, 'kubernetes.default.svc.cluster.local');
    assert.equal(v?.lookup.glibcQueries, 4);
    assert.equal(v?.resolvConf.ndots, 5);
    assert.ok(v?.bursts.length === 3 && v.bursts.every((b) => b.firstTry === b.queries), JSON.stringify(v?.bursts));
  });

  it('conntrack race on the Service forwarder → late answers on the Service IP only, a node finding, no restart', async () => {
    sim.faults.conntrackRace();
    const run = await cli([...base(), '--repair', '--dry-run']);
    const bursts = run.json?.clientView?.bursts ?? [];
    const service = bursts.find((b) => b.targetId === 'service');
    assert.ok(service && service.afterRetry > 0, JSON.stringify(bursts));
    assert.ok(bursts.filter((b) => b.targetId !== 'service').every((b) => b.firstTry === b.queries), JSON.stringify(bursts));
    assert.ok(run.json?.notes.some((n) => /^client view from node \S+: \d+ of 20 A\/AAAA queries to service kube-dns answered only after a retry.*conntrack insertion race/.test(n)), JSON.stringify(run.json?.notes));
    assert.deepEqual(run.json?.repair?.actions ?? [], []);
  });
});
