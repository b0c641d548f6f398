// NodeLocal DNSCache on the sim (preset nodelocal): every probe node also checks its own cache (the
// local address, and the Service IP the cache binds there). One node's cache hung → that node is
// named as a node-local finding, and --repair restarts nothing, CoreDNS least of all.
import assert from 'node:assert/strict';
import type { Sim } from '../sim/index.ts';
import { sharedSim } from './cluster.ts';
import { cli } from './cli.ts';

/** Requests that restart or change a pod (probe pods aside): evictions, deletions, patches. */
const restarts = (sim: Sim, from: number) =>
  sim.requests.slice(from).filter((r) => r.resource === 'pods/eviction' || r.verb === 'patch' || (r.resource === 'pods' && r.verb === 'delete' && !/probe/.test(r.name ?? '')));

describe('NodeLocal DNSCache, per node', function () {
  this.timeout(120_000);
  let sim: Sim;
  const base = () => ['check', '--kubeconfig', sim.kubeconfigPath, '--timeout', '2s', '--samples', '1', '--probe-nodes', 'all', '-o', 'json'];
  const NODES = ['sim-node-1', 'sim-node-2', 'sim-node-3'];

  sharedSim({ preset: 'nodelocal', nodes: 3 }, (started) => (sim = started));

  it('every cache answers: healthy, exit 0, each node\'s row has its cache\'s address passing', async () => {
    const run = await cli(base());
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.equal(run.json?.classification, 'healthy');
    const local = run.json?.targets?.filter((t) => t.kind === 'node-local') ?? [];
    assert.equal(local.length, 1, JSON.stringify(run.json?.targets));
    assert.match(local[0]!.label, /^node-local-dns \d+\.\d+\.\d+\.\d+$/);
    const rows = run.json?.nodes ?? [];
    assert.deepEqual(rows.map((n) => n.node).sort(), NODES);
    assert.ok(rows.every((n) => n.targets.some((t) => t.id === local[0]!.id) && n.targets.every((t) => t.verdict === 'pass')), JSON.stringify(rows));
  });

  it('one node\'s cache hung → exit 1, classification node-local naming that node only; --repair evicts no CoreDNS pod', async () => {
    const victim = 'sim-node-2';
    sim.faults.nodeLocalDown(victim);
    const from = sim.requests.length;
    const run = await cli([...base(), '--repair']);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.equal(run.json?.classification, 'node-local', run.json?.reason);
    assert.match(run.json?.reason ?? '', new RegExp(`^NodeLocal DNSCache \\(kube-system/node-local-dns\\) on node ${victim} fails .*not restarting CoreDNS.*nodeName=${victim} `));
    for (const other of NODES.filter((n) => n !== victim)) assert.doesNotMatch(run.json?.reason ?? '', new RegExp(other));
    // The victim's row: the cache's address and the Service IP (which the cache answers there) fail, every CoreDNS pod passes.
    const row = run.json?.nodes?.find((n) => n.node === victim);
    const kinds = new Map(run.json?.targets?.map((t) => [t.id, t.kind]));
    assert.deepEqual(row?.targets.filter((t) => t.verdict === 'fail').map((t) => kinds.get(t.id)).sort(), ['node-local', 'service'], JSON.stringify(row));
    assert.ok(run.json?.nodes?.filter((n) => n.node !== victim).every((n) => n.targets.every((t) => t.verdict === 'pass')), JSON.stringify(run.json?.nodes));
    assert.deepEqual(run.json?.repair?.actions, []);
    assert.deepEqual(restarts(sim, from), []);
  });

  it('a hung CoreDNS pod behind the caches → that pod flagged and the only one planned; no cache blamed', async () => {
    const victim = sim.dnsPods()[0]!.name;
    sim.faults.hangDns(victim);
    const run = await cli([...base(), '--repair', '--dry-run']);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.equal(run.json?.classification, 'pod-local', run.json?.reason);
    assert.deepEqual(run.json?.repair?.actions.map((a) => a.pod), [victim]);
    assert.ok(!run.json?.notes.some((n) => /^NodeLocal DNSCache .* fails/.test(n)), run.json?.notes.join('\n'));
  });

  it('one node\'s cache dead (crash-looping) → that node named, nothing restarted', async () => {
    const victim = 'sim-node-3';
    sim.faults.nodeLocalDown(victim, 'dead');
    const from = sim.requests.length;
    const run = await cli([...base(), '--repair', '--dry-run']);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.equal(run.json?.classification, 'node-local', run.json?.reason);
    assert.match(run.json?.reason ?? '', new RegExp(`on node ${victim} fails `));
    assert.deepEqual(run.json?.repair?.actions, []);
    assert.deepEqual(restarts(sim, from), []);
  });
});
