// --probe-nodes all on the sim: a probe pod on every schedulable node, a node × target matrix in the
// table and JSON, and a node whose pods have no network named as that node's problem — never a restart.
import assert from 'node:assert/strict';
import type { Sim } from '../sim/index.ts';
import { sharedSim } from './cluster.ts';
import { cli } from './cli.ts';

describe('--probe-nodes all', function () {
  this.timeout(120_000);
  let sim: Sim;
  const base = () => ['check', '--kubeconfig', sim.kubeconfigPath, '--timeout', '500ms', '--samples', '1', '--probe-nodes', 'all'];

  sharedSim({ nodes: 4, dns: { replicas: 2 } }, (started) => (sim = started));

  it('healthy: one probe per node, every cell of the matrix passes, API requests bounded per node', async () => {
    const before = sim.requests.length;
    const run = await cli([...base(), '-o', 'json']);
    assert.equal(run.code, 0, run.stderr);
    const nodes = run.json?.nodes ?? [];
    assert.deepEqual(nodes.map((n) => n.node).sort(), ['sim-node-1', 'sim-node-2', 'sim-node-3', 'sim-node-4']);
    assert.ok(nodes.every((n) => n.targets.length === 3 && n.targets.every((t) => t.verdict === 'pass')), JSON.stringify(nodes));
    const requests = sim.requests.length - before;
    // Per node: create, watch, exec, delete; once: discovery, access reviews, node list, sweeps, canary.
    assert.ok(requests <= 4 * 4 + 18, `${requests} API requests for 4 nodes`);
  });

  it('a node without network → probe-side (exit 1, never DNS healthy), named in a note, its row fails, no restart planned', async () => {
    sim.faults.nodeNoNetwork('sim-node-3');
    const run = await cli([...base(), '-o', 'json', '--repair', '--dry-run']);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.equal(run.json?.classification, 'probe-side', run.json?.message);
    assert.match(run.json?.reason ?? '', /^DNS fails from node sim-node-3 .* while every CoreDNS pod passes from node/);
    const row = run.json?.nodes?.find((n) => n.node === 'sim-node-3');
    assert.ok(row?.targets.every((t) => t.verdict === 'fail'), JSON.stringify(run.json?.nodes));
    assert.ok(run.json?.notes.some((n) => /^node sim-node-3 reaches no CoreDNS pod while other nodes do/.test(n)), JSON.stringify(run.json?.notes));
    assert.deepEqual(run.json?.repair?.actions ?? [], []);

    const table = await cli(base());
    assert.match(table.stdout, /^NODE VIEW\s+service kube-dns\s+coredns-\S+\s+coredns-\S+$/m);
    assert.match(table.stdout, /^sim-node-3\s+fail\s+fail\s+fail$/m);
    assert.match(table.stdout, /^sim-node-1\s+pass\s+pass\s+pass$/m);
  });

  it('bad values are usage errors', async () => {
    const run = await cli(['check', '--kubeconfig', sim.kubeconfigPath, '--probe-nodes', 'some']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /--probe-nodes must be an integer from 1 to 10 or "all", got "some"/);
  });
});
