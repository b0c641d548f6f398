// The judge outside the well-trodden shapes, end to end (issue 21): a probe whose node has no network is
// retried once from another DNS pod's node, so a hung pod is still found; every pod slow is the load's
// doing, never a restart; k3s's only replica with a stale watch is "every pod stale", repairable with
// --allow-single-replica; GKE's kube-dns whose dnsmasq container crash-loops is diagnosed from that
// container's log, its FATAL line quoted.
import assert from 'node:assert/strict';
import type { Sim } from '../sim/index.ts';
import { LOOP_FATAL } from '../sim/dns.ts';
import { waitFor } from '../sim/sim-fixtures.ts';
import type { PresetName } from '../sim/presets.ts';
import { connect } from '../../src/kube/index.ts';
import { sharedSim } from './cluster.ts';
import { cli } from './cli.ts';

/** Restarts served since `from`: evictions, and deletes or patches of pods that are not probe pods. */
const restartsSince = (sim: Sim, from: number) =>
  sim.requests.slice(from).filter((r) => r.resource === 'pods/eviction' || r.verb === 'patch' || (r.resource === 'pods' && r.verb === 'delete' && !/probe/.test(r.name ?? '')));

/** A sim of `preset` (scaled kubelet timing) shared by the tests `body` declares. */
function withSim(preset: PresetName | undefined, body: (sim: () => Sim) => void): void {
  let sim: Sim;
  sharedSim({ ...(preset && { preset }), timing: { scale: 0.1 } }, (started) => (sim = started));
  body(() => sim);
}

describe('judgment e2e: shapes outside the well-trodden ones', function () {
  this.timeout(120_000);

  describe('kubeadm, 3 nodes, 2 CoreDNS pods (on sim-node-1 and sim-node-2)', () => {
    withSim(undefined, (sim) => {
      const base = () => ['check', '--kubeconfig', sim().kubeconfigPath, '-o', 'json', '--samples', '1', '--no-freshness'];

      it('the probe lands on sim-node-3, which has no network → probed again from a DNS pod\'s node; the hung pod is pod-local, planned', async () => {
        // The scheduler puts the probe pod on the node with the fewest pods: sim-node-3, where no DNS pod runs.
        sim().faults.nodeNoNetwork('sim-node-3');
        const victim = sim().dnsPods().find((p) => p.node === 'sim-node-2')!.name;
        sim().faults.hangDns(victim);
        const from = sim().requests.length;
        const run = await cli([...base(), '--timeout', '500ms', '--repair', '--dry-run']);
        assert.equal(run.code, 1, run.stdout + run.stderr);
        const notes = run.json?.notes ?? [];
        assert.ok(notes.some((n) => /^the probe on node sim-node-3 could not be trusted \(.+\); judged from a second probe on node sim-node-1$/.test(n)), notes.join('\n'));
        assert.deepEqual(run.json?.probes?.map((p) => p.node), ['sim-node-1']);
        assert.equal(run.json?.classification, 'pod-local', run.json?.message);
        assert.deepEqual(run.json?.targets?.filter((t) => t.kind === 'pod' && t.verdict === 'fail').map((t) => t.label), [victim]);
        assert.deepEqual(run.json?.repair?.actions.map((a) => a.pod), [victim]);
        assert.equal(restartsSince(sim(), from).length, 0);
      });

      it('every pod answering in 800 ms → slow, the load\'s doing (not one pod much slower than its peers), exit 1, nothing restarted by --repair', async () => {
        for (const p of sim().dnsPods()) sim().faults.slow(p.name, 800);
        const from = sim().requests.length;
        const run = await cli([...base(), '--timeout', '2s', '--repair']);
        assert.equal(run.code, 1, run.stdout + run.stderr);
        assert.equal(run.json?.classification, 'slow', run.json?.message);
        assert.match(run.json?.reason ?? '', /^every CoreDNS pod answers slower than 500 ms \(p50 up to \d+(\.\d+)? ms\): the load, the upstream or the nodes, not one sick pod — not restarting/);
        assert.doesNotMatch(run.json?.message ?? '', /much slower than|repairable/);
        const pods = run.json?.targets?.filter((t) => t.kind === 'pod') ?? [];
        assert.ok(pods.length === 2 && pods.every((t) => t.classification === 'slow'), JSON.stringify(pods));
        assert.deepEqual(run.json?.repair?.actions ?? [], []);
        assert.equal(restartsSince(sim(), from).length, 0);
      });
    });
  });

  describe('k3s: one CoreDNS replica', () => {
    withSim('k3s', (sim) => {
      const base = () => ['check', '--kubeconfig', sim().kubeconfigPath, '-o', 'json', '--samples', '1', '--timeout', '500ms'];

      it('its watch stale → every pod stale after a second look (pod-local, exit 1); restarted only with --allow-single-replica, then healthy', async () => {
        const only = sim().dnsPods();
        assert.equal(only.length, 1);
        sim().faults.staleWatch(only[0]!.name);
        const run = await cli(base());
        assert.equal(run.code, 1, run.stdout + run.stderr);
        assert.equal(run.json?.classification, 'pod-local', run.json?.message);
        assert.match(run.json?.reason ?? '', new RegExp(`^the only CoreDNS pod ${only[0]!.name} does not resolve the freshness canary Service, even on a second look, while answering every other check: its Kubernetes watch is stale: it is repairable — restarting it takes DNS to 0 Ready pods, so --repair needs --allow-single-replica`));

        const from = sim().requests.length;
        const refused = await cli([...base(), '--repair']);
        assert.equal(refused.code, 1, refused.stdout + refused.stderr);
        assert.deepEqual(refused.json?.repair?.actions ?? [], []);
        assert.ok(refused.json?.repair?.skipped.some((s) => s.pod === only[0]!.name && /--allow-single-replica/.test(s.reason)), JSON.stringify(refused.json?.repair));
        assert.equal(restartsSince(sim(), from).length, 0);

        const repaired = await cli([...base(), '--repair', '--allow-single-replica', '--repair-timeout', '30s']);
        assert.equal(repaired.code, 0, repaired.stdout + repaired.stderr);
        assert.deepEqual(repaired.json?.repair?.actions.map((a) => [a.pod, a.outcome]), [[only[0]!.name, 'done']], JSON.stringify(repaired.json?.repair));
        assert.equal(repaired.json?.classification, 'healthy');
      });
    });
  });

  describe('GKE: kube-dns (kubedns, dnsmasq and sidecar containers)', () => {
    withSim('gke', (sim) => {
      it('the dnsmasq container crash-looping → not repairable, diagnosed from the log of dnsmasq (not kubedns), its FATAL line quoted; no restart', async () => {
        const victim = sim().dnsPods()[0]!.name;
        sim().faults.crashLoop(victim);
        const { client } = connect({ kubeconfig: sim().kubeconfigPath });
        await waitFor('dnsmasq in CrashLoopBackOff', async () => (await client.listPods('kube-system', 'k8s-app=kube-dns')).some((p) => p.name === victim && p.containerStatuses.some((c) => c.name === 'dnsmasq' && c.waitingReason === 'CrashLoopBackOff')), 20_000, 100);
        const from = sim().requests.length;
        const run = await cli(['check', '--kubeconfig', sim().kubeconfigPath, '-o', 'json', '--samples', '1', '--timeout', '500ms', '--no-freshness', '--repair']);
        assert.equal(run.code, 1, run.stdout + run.stderr);
        const target = run.json?.targets?.find((t) => t.label === victim);
        assert.equal(target?.classification, 'not-repairable', JSON.stringify(target));
        assert.ok(target?.diagnosis?.some((d) => d.kind === 'forwarding-loop' && d.evidence.includes(LOOP_FATAL)), JSON.stringify(target?.diagnosis));
        const logs = sim().requests.slice(from).filter((r) => r.resource === 'pods/log');
        assert.ok(logs.length > 0 && logs.every((r) => r.name === victim && /container=dnsmasq/.test(r.path)), JSON.stringify(logs));
        assert.equal(restartsSince(sim(), from).length, 0);
      });
    });
  });
});
