// End to end: transient API faults (test/sim/apiserver/faults.ts) are retried under the one policy of
// src/kube/retry.ts, so one 5xx, 429 or connection reset never fails a run; persistent ones fail with
// one line naming the request. The built CLI against the sim; faults only exist there.
import assert from 'node:assert/strict';
import type { Sim } from '../sim/index.ts';
import type { ApiFault } from '../sim/types.ts';
import { DNS_NAMESPACE as NS, quickCheck, REPAIR, resetRepairState, sharedSim, THREE_REPLICAS } from './cluster.ts';
import { connect } from '../../src/kube/index.ts';
import { cli, oneErrorLine } from './cli.ts';

/** The sim answered the fault (once) and then served the same request. */
function assertRetried(sim: Sim, from: number, f: Pick<ApiFault, 'verb' | 'resource'>, failedCode: number): void {
  const seen = sim.requests.slice(from).filter((r) => r.resource === f.resource && (r.verb === f.verb || (f.verb === 'exec' && r.resource === 'pods/exec')));
  const codes = seen.map((r) => r.code);
  assert.ok(codes.includes(failedCode), `the fault was never hit: ${codes.join(', ')}`);
  assert.ok(codes.slice(codes.indexOf(failedCode) + 1).some((c) => c < 300 || c === 101), `no successful retry after the fault: ${codes.join(', ')}`);
}

describe('API faults e2e: transient errors are retried, persistent ones named', function () {
  this.timeout(90_000);
  let sim: Sim;
  let check: string[];
  sharedSim(THREE_REPLICAS, (started) => {
    sim = started;
    // The probe-pod mode explicitly: its requests (create, watch, exec, delete) are the ones under test.
    check = [...quickCheck(sim.kubeconfigPath), '--mode', 'probe-pod'];
  });

  const transient: [string, ApiFault, number][] = [
    ['watch 500 once', { verb: 'watch', resource: 'pods', status: 500, count: 1 }, 500],
    ['exec 500 once', { verb: 'exec', status: 500, count: 1 }, 500],
    ['exec connection reset once', { verb: 'exec', reset: true, count: 1 }, 0],
    ['list pods 503 once', { verb: 'list', resource: 'pods', namespace: NS, status: 503, count: 1 }, 503],
    ['get services 429 (Retry-After 1) once', { verb: 'get', resource: 'services', status: 429, count: 1 }, 429],
    ['list endpointslices connection reset once', { verb: 'list', resource: 'endpointslices', reset: true, count: 1 }, 0],
    ['create pods 503 once', { verb: 'create', resource: 'pods', status: 503, count: 1 }, 503],
    ['delete pods 500 once', { verb: 'delete', resource: 'pods', status: 500, count: 1 }, 500],
  ];
  for (const [name, fault, code] of transient) {
    it(`check: ${name} → still exit 0, the request retried`, async () => {
      const from = sim.requests.length;
      sim.faults.api(fault);
      const run = await cli(check);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.json?.verdict, 'healthy');
      assertRetried(sim, from, { verb: fault.verb, resource: fault.resource ?? 'pods/exec' }, code);
      assert.equal(run.stderr.trim(), '', 'a retried fault prints nothing');
    });
  }

  it('persistent 503 on list pods → exit 3, one line naming the request, the attempts and what to do', async () => {
    sim.faults.api({ verb: 'list', resource: 'pods', namespace: NS, status: 503 });
    const from = sim.requests.length;
    const run = await cli(check);
    assert.equal(run.code, 3, run.stderr);
    const line = oneErrorLine(run);
    assert.match(line, /^error: list pods in namespace kube-system: the API server failed \(HTTP 503\): .* \(4 attempts in \d+\.\d s\) — check the API server's health and run again$/);
    assert.equal(sim.requests.slice(from).filter((r) => r.verb === 'list' && r.namespace === NS && r.resource === 'pods').length, 4);
    assert.equal(run.json?.message, line.replace(/^error: /, ''), '-o json carries the same line');
  });

  it('persistent exec 500 → exit 4, one line naming the exec request and the pod', async () => {
    sim.faults.api({ verb: 'exec', status: 500 });
    const run = await cli(check);
    assert.equal(run.code, 4, run.stderr);
    assert.match(oneErrorLine(run), /^error: exec of the probe in pod coredns-sentinel-probe-\S+ on node sim-node-\d+ failed: the API server failed \(HTTP 500\).*attempts/);
  });

  // Kubernetes ≥ 1.30 reports a kubelet it could not reach after the websocket upgrade (channel 3,
  // InternalError); ≤ 1.29 as a text/plain 500 before it. Either is retried once, its reason kept.
  const dialing = 'error dialing backend: dial tcp 127.0.0.1:10250: i/o timeout';
  it('exec: the kubelet unreachable once after the upgrade (v5) → retried, exit 0', async () => {
    const from = sim.requests.length;
    sim.faults.api({ verb: 'exec', kubelet: dialing, count: 1 });
    const run = await cli(check);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(sim.requests.slice(from).filter((r) => r.resource === 'pods/exec').length, 2, 'one failed exec, one retry');
  });

  it('exec: the kubelet unreachable after the upgrade every time → exit 4 with the reason, the pod deleted', async () => {
    sim.faults.api({ verb: 'exec', kubelet: dialing });
    const run = await cli(check);
    assert.equal(run.code, 4, run.stderr);
    assert.match(oneErrorLine(run), /^error: exec of the probe in pod coredns-sentinel-probe-\S+ on node \S+ failed: the API server could not reach the container after the upgrade: Internal error occurred: error dialing backend: .*\(InternalError\) \(2 execs\)/);
  });

  it('exec: a text/plain 500 before the upgrade (v4) → the kubelet\'s text in the line', async () => {
    sim.faults.api({ verb: 'exec', kubelet: 'container not found ("probe")', legacyExec: true });
    const run = await cli(check);
    assert.equal(run.code, 4, run.stderr);
    assert.match(oneErrorLine(run), /failed: the API server failed \(HTTP 500\): container not found \("probe"\) \(4 attempts/);
  });

  it('an API server that accepts connections but answers nothing → exit 3 and one line in every mode', async () => {
    // Every verb slower than --request-timeout: the requests a mode sends together all fail together.
    sim.faults.api({ latencyMs: 3_000 });
    const modes = ['probe-pod', 'port-forward', 'direct', 'auto'];
    const runs = await Promise.all(modes.map((mode) => cli(['check', '--kubeconfig', sim.kubeconfigPath, '--mode', mode, '--request-timeout', '2s'])));
    sim.faults.clear();
    runs.forEach((run, i) => {
      assert.equal(run.code, 3, `--mode ${modes[i]}: exit ${run.code}\n${run.stderr}`);
      assert.match(oneErrorLine(run), /^error: .*: the API server did not answer .* within 2 s — check that the API server is up and reachable, or raise --request-timeout$/, `--mode ${modes[i]}`);
    });
  });

  describe('repair under transient faults', () => {
    let repair: string[];
    before(() => {
      repair = [...check, ...REPAIR];
    });
    afterEach(() => resetRepairState(sim));

    const faults: [string, ApiFault, number][] = [
      ['eviction 503 once', { verb: 'create', resource: 'pods/eviction', namespace: NS, status: 503, count: 1 }, 503],
      ['lease create 503 once', { verb: 'create', resource: 'leases', namespace: NS, status: 503, count: 1 }, 503],
      ['history write connection reset once', { verb: 'create', resource: 'configmaps', namespace: NS, reset: true, count: 1 }, 0],
      ['event create 500 once', { verb: 'create', resource: 'events', namespace: NS, status: 500, count: 1 }, 500],
    ];
    for (const [name, fault, code] of faults) {
      it(`check --repair with a hung pod: ${name} → exit 0, exactly one eviction`, async () => {
        const victim = sim.dnsPods()[1]!;
        sim.faults.hangDns(victim.name);
        const from = sim.requests.length;
        sim.faults.api(fault);
        const run = await cli(repair);
        assert.equal(run.code, 0, run.stderr + run.stdout);
        assert.deepEqual(run.json?.repair?.actions.map((a) => [a.pod, a.outcome]), [[victim.name, 'done']]);
        assertRetried(sim, from, { verb: fault.verb, resource: fault.resource }, code);
        const evictions = sim.requests.slice(from).filter((r) => r.resource === 'pods/eviction' && r.code < 300);
        assert.equal(evictions.length, 1, 'restarts done vs needed: 1');
      });
    }

    it('lease update 503 once on a held Lease → exit 0', async () => {
      // A released Lease exists: taking it is an update with its resourceVersion as precondition.
      await connect({ kubeconfig: sim.kubeconfigPath }).client.createLease({ name: 'coredns-sentinel-repair', namespace: NS, holderIdentity: '' });
      sim.faults.hangDns(sim.dnsPods()[1]!.name);
      const from = sim.requests.length;
      sim.faults.api({ verb: 'update', resource: 'leases', namespace: NS, status: 503, count: 1 });
      const second = await cli(repair);
      assert.equal(second.code, 0, second.stderr);
      assertRetried(sim, from, { verb: 'update', resource: 'leases' }, 503);
    });
  });
});
