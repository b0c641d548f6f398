// Checks derived from the Corefile, against the sim's distribution presets (test/sim/presets.ts): the
// l7mp seed's file zone, a coredns-custom stub whose forwarder is down, k3s's NodeHosts.
import assert from 'node:assert/strict';
import { startSim, type Sim } from '../sim/index.ts';
import { simOnly } from './cluster.ts';
import { buildCli, cli } from './cli.ts';
import { connect } from '../../src/kube/index.ts';

const evictions = (sim: Sim, from: number) => sim.requests.slice(from).filter((r) => r.resource === 'pods/eviction' || (r.resource === 'pods' && r.verb === 'delete' && !/probe/.test(r.name ?? '')));

describe('derived checks e2e: presets', function () {
  this.timeout(120_000);
  before(function () {
    simOnly(this);
    buildCli();
  });

  it('l7mp: with only the workload flags, healthy, with the file-zone checks derived and no cluster checks', async () => {
    const sim = await startSim({ preset: 'l7mp', timing: { scale: 0.1 } });
    try {
      await sim.waitReady(60_000);
      const s = sim.dnsWorkload();
      const run = await cli(['check', '--kubeconfig', sim.kubeconfigPath, '-o', 'json', '-n', s.namespace, '-l', Object.entries(s.selector).map(([k, v]) => `${k}=${v}`).join(','), '--service', s.service.name, '--configmap', s.configMap, '--no-external']);
      assert.equal(run.code, 0, run.stdout + run.stderr);
      const ids = run.json?.plan?.queries.map((q) => q.id) ?? [];
      assert.ok(ids.some((id) => id.startsWith('zone/')), ids.join(', '));
      assert.ok(!ids.includes('kubernetes-a'), ids.join(', '));
      assert.match(run.json?.notes.join('\n') ?? '', /no kubernetes plugin: the cluster checks are left out/);
    } finally {
      await sim.stop();
    }
  });

  it('k3s: a coredns-custom stub whose forwarder is down → classification stub naming it, no eviction; NodeHosts checked', async () => {
    const sim = await startSim({ preset: 'k3s', timing: { scale: 0.1 } });
    try {
      await sim.waitReady(60_000);
      const args = ['check', '--kubeconfig', sim.kubeconfigPath, '-o', 'json', '--samples', '1', '--timeout', '1s'];
      const healthy = await cli(args);
      assert.equal(healthy.code, 0, healthy.stdout + healthy.stderr);
      const ids = healthy.json?.plan?.queries.map((q) => q.id) ?? [];
      assert.ok(ids.includes('stub/homelab.local'), ids.join(', '));
      assert.ok(ids.some((id) => id.startsWith('hosts/')), ids.join(', '));

      // One NodeHosts name that is no valid DNS name (a 64-character label): dropped with a note, never exit 2.
      const { client } = connect({ kubeconfig: sim.kubeconfigPath });
      const cm = (await client.findConfigMap('kube-system', 'coredns'))!;
      const long = `${'n'.repeat(64)}.lab.example`;
      await client.replaceConfigMap({ ...cm, data: { ...cm.data, NodeHosts: `10.0.0.99 ${long}\n${cm.data.NodeHosts ?? ''}` } });
      const badName = await cli(args);
      assert.equal(badName.code, 0, badName.stdout + badName.stderr);
      assert.ok(badName.json?.notes.some((n) => n.startsWith(`hosts name "${long}"`) && /is not checked: the name must be a DNS name \(labels of 1 to 63 /.test(n)), JSON.stringify(badName.json?.notes));
      assert.ok(badName.json?.plan?.queries.some((q) => q.id.startsWith('hosts/')), 'the other NodeHosts names are still checked');
      sim.faults.stubDown('homelab.local');
      const from = sim.requests.length;
      const run = await cli([...args, '--repair']);
      assert.equal(run.code, 1, run.stdout + run.stderr);
      assert.equal(run.json?.classification, 'stub', run.json?.reason);
      assert.match(run.json?.reason ?? '', /stub domain homelab\.local fails through its forwarder 10\.150\.0\.1/);
      assert.deepEqual(run.json?.repair?.actions ?? [], []);
      assert.equal(evictions(sim, from).length, 0);
    } finally {
      await sim.stop();
    }
  });
});
