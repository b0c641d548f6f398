// End to end: a failure of the path to a pod (the API server cannot open a tunnel or an exec, as when it
// cannot reach a node's kubelet: "error dialing backend") is never a failure of the pod (design.md, rule
// 12). The target is unknown for the cycle, named with the API's message and never restarted; when
// nothing could be reached the run is an API error (exit 3) or a probe infrastructure error (exit 4).
// One sim; faults are written in the fault CLI's grammar (test/sim/apiserver/faults.ts apiFault).
import assert from 'node:assert/strict';
import type { Sim } from '../sim/index.ts';
import { apiFault } from '../sim/apiserver/faults.ts';
import { DNS_NAMESPACE as NS, quickCheck, sharedSim, THREE_REPLICAS } from './cluster.ts';
import { cli, oneErrorLine } from './cli.ts';

/** What a real API server answers when it cannot reach the pod's kubelet. */
const DIALING = 'error dialing backend: dial tcp 127.0.0.1:10250: connect: connection refused';

describe('e2e: path faults — the API cannot reach a pod, the pod is not blamed', function () {
  this.timeout(90_000);
  let sim: Sim;
  let base: string[];
  let from: number;
  sharedSim(THREE_REPLICAS, (started) => {
    sim = started;
    base = [...quickCheck(sim.kubeconfigPath), '--no-freshness'];
  });

  beforeEach(() => {
    from = sim.requests.length;
  });

  afterEach(() => sim.waitReady(30_000));

  const assertNothingEvicted = () => {
    const evictions = sim.requests.slice(from).filter((r) => r.resource === 'pods/eviction' || (r.verb === 'delete' && r.namespace === NS));
    assert.deepEqual(evictions.map((r) => `${r.verb} ${r.resource} ${r.name}`), [], 'nothing in the DNS workload was evicted or deleted');
  };

  it('port-forward: one pod\'s tunnel refused (500, persistent) → that pod unknown with the API\'s message, no eviction with --repair, the others judged', async () => {
    const [cut, ...others] = sim.dnsPods();
    sim.faults.api(apiFault('api', ['create', 'pods/portforward', '500', '--name', cut!.name, '--message', DIALING]));
    const run = await cli([...base, '--mode', 'port-forward', '--repair', '--cooldown', '1s']);
    assertNothingEvicted();
    assert.equal(run.code, 0, run.stderr + run.stdout);
    const byLabel = new Map(run.json!.targets!.map((t) => [t.label, t]));
    const target = byLabel.get(cut!.name)!;
    assert.deepEqual([target.status, target.tcp, target.classification], ['unknown', 'unknown', 'inconclusive']);
    assert.match(target.reason, new RegExp(`not reached through the API.*create pods/portforward ${cut!.name} in namespace ${NS}.*${DIALING}`));
    for (const p of others) assert.deepEqual([byLabel.get(p.name)?.status, byLabel.get(p.name)?.tcp], ['pass', 'pass']);
    assert.deepEqual(run.json?.repair?.actions, []);
    assert.match(run.json!.message, /1 target unknown/);
    // Retried within the cycle first, then not asked again for every query.
    const tunnels = sim.requests.slice(from).filter((r) => r.resource === 'pods/portforward' && r.name === cut!.name);
    assert.ok(tunnels.length >= 2 && tunnels.length <= 4, `tunnel attempts to ${cut!.name}: ${tunnels.length}`);
  });

  it('port-forward: the table names the API\'s message for that pod, and no node is left empty', async () => {
    const [cut] = sim.dnsPods();
    sim.faults.api(apiFault('api', ['create', 'pods/portforward', '500', '--name', cut!.name, '--message', DIALING]));
    const run = await cli([...base.filter((a) => a !== '-o' && a !== 'json'), '--mode', 'port-forward']);
    assert.equal(run.code, 0, run.stderr + run.stdout);
    const row = run.stdout.split('\n').find((l) => l.startsWith(cut!.name))!;
    assert.match(row, /\sunknown\s.*not reached through the API.*error dialing backend/);
    assert.doesNotMatch(run.stdout, /node {2}|node [,:—]/);
  });

  it('port-forward: every tunnel refused → exit 3, one line naming the request and the API\'s message', async () => {
    sim.faults.api(apiFault('api', ['create', 'pods/portforward', '500', '--message', DIALING]));
    const run = await cli([...base, '--mode', 'port-forward', '--repair']);
    assertNothingEvicted();
    assert.equal(run.code, 3, run.stderr + run.stdout);
    assert.match(oneErrorLine(run), new RegExp(`^error: create pods/portforward coredns-\\S+ in namespace ${NS}: the API server failed \\(HTTP 500\\): ${DIALING} \\(\\d attempts in \\d+\\.\\d s\\)`));
  });

  it('probe-pod: the probe pod\'s exec refused (500, persistent) → exit 4 naming the exec, its pod and node; nothing restarted with --repair', async () => {
    sim.faults.api(apiFault('api', ['exec', 'pods/exec', '500', '--message', DIALING]));
    const run = await cli([...base, '--mode', 'probe-pod', '--repair']);
    assertNothingEvicted();
    assert.equal(run.code, 4, run.stderr + run.stdout);
    assert.match(oneErrorLine(run), new RegExp(`^error: exec of the probe in pod coredns-sentinel-probe-\\S+ on node sim-node-\\d failed: the API server failed \\(HTTP 500\\): ${DIALING}`));
  });

  it('probe-pod --probe-nodes 2: the corroborating probe\'s exec refused → judged from the primary, the failure named as no evidence, nothing restarted', async () => {
    const nodes = [...new Set(sim.dnsPods().map((p) => p.node))].sort();
    const [primary, corroborating] = nodes;
    sim.faults.api(apiFault('api', ['exec', 'pods/exec', '500', '--node', corroborating!, '--message', DIALING]));
    const run = await cli([...base, '--mode', 'probe-pod', '--probe-nodes', '2', '--repair']);
    assertNothingEvicted();
    assert.equal(run.code, 0, run.stderr + run.stdout);
    assert.equal(run.json?.verdict, 'healthy');
    assert.deepEqual(run.json?.probes?.map((p) => p.node), [primary]);
    const note = run.json!.notes.find((n) => n.includes(corroborating!)) ?? '';
    assert.match(note, new RegExp(`^probe on node ${corroborating} could not run, so it is no evidence either way: exec of the probe in pod \\S+ on node ${corroborating} failed: .*${DIALING}`));
    assert.deepEqual(run.json?.repair?.actions, []);
  });
});
