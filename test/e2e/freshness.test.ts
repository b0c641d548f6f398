// The freshness canary on the sim: every pod must resolve a Service created moments before the probe;
// a pod whose records stopped following Service changes (the sim's stale-watch fault, like a CoreDNS
// whose Kubernetes watch went stale) is flagged alone and repaired; the canary never stays behind.
import assert from 'node:assert/strict';
import type { Sim } from '../sim/index.ts';
import { quickCheck, sharedSim, THREE_REPLICAS } from './cluster.ts';
import { cli } from './cli.ts';
import { connect } from '../../src/kube/index.ts';
import { CANARY_SELECTOR } from '../../src/freshness/canary.ts';

describe('freshness canary e2e', function () {
  this.timeout(120_000);
  let sim: Sim;
  const base = () => quickCheck(sim.kubeconfigPath);
  const canariesLeft = async () => (await connect({ kubeconfig: sim.kubeconfigPath }).client.listServices('default', CANARY_SELECTOR)).map((s) => s.name);

  sharedSim(THREE_REPLICAS, (started) => (sim = started));
  afterEach(async () => assert.deepEqual(await canariesLeft(), []));

  it('healthy: every pod answers the canary; it is created and deleted in the probe namespace', async () => {
    const before = sim.requests.length;
    const run = await cli(base());
    assert.equal(run.code, 0, run.stderr);
    const q = run.json?.plan?.queries.find((x) => x.id === 'freshness');
    assert.match(q?.name ?? '', /^coredns-sentinel-canary-[0-9a-f]{8}\.default\.svc\.cluster\.local$/);
    const services = sim.requests.slice(before).filter((r) => r.resource === 'services' && r.namespace === 'default');
    assert.deepEqual(services.filter((r) => r.verb === 'create' || r.verb === 'delete').map((r) => r.verb), ['create', 'delete']);
  });

  it('one pod with a stale watch → exactly that pod fails the freshness check, pod-local; --repair replaces it', async () => {
    const stale = sim.dnsPods()[1]!.name;
    sim.faults.staleWatch(stale);
    const run = await cli(base());
    assert.equal(run.code, 1, run.stderr);
    assert.equal(run.json?.classification, 'pod-local');
    const failing = run.json?.targets?.filter((t) => t.kind === 'pod' && t.verdict === 'fail') ?? [];
    assert.deepEqual(failing.map((t) => t.label), [stale]);
    assert.deepEqual([...new Set(failing[0]!.failing.map((f) => f.queryId))], ['freshness']);

    const repaired = await cli([...base(), '--repair']);
    assert.equal(repaired.code, 0, repaired.stderr);
    assert.deepEqual(repaired.json?.repair?.actions.map((a) => [a.pod, a.outcome]), [[stale, 'done']]);
  });

  it('every pod with a stale watch → a bounded second look, then every pod stale (pod-local, exit 1); --repair restarts them one at a time', async () => {
    for (const p of sim.dnsPods()) sim.faults.staleWatch(p.name);
    const from = sim.requests.length;
    const run = await cli(base());
    assert.equal(run.code, 1, run.stderr + run.stdout);
    assert.equal(run.json?.classification, 'pod-local', run.json?.message);
    assert.match(run.json?.reason ?? '', /^every CoreDNS pod \(.*\) does not resolve the freshness canary Service, even on a second look/);
    assert.ok(run.json?.notes.some((n) => /on a second look 3 s later — every pod is stale/.test(n)), JSON.stringify(run.json?.notes));
    const probePods = sim.requests.slice(from).filter((r) => r.resource === 'pods' && r.verb === 'create' && r.namespace === 'default');
    assert.equal(probePods.length, 2, 'the second look is one more probe pod');

    // The earlier test's repair left a lineage in cooldown and a restart in the budget: not this test's business.
    const repaired = await cli([...base(), '--repair', '--cooldown', '0s', '--restart-budget', '6/1h']);
    assert.equal(repaired.code, 0, repaired.stderr + repaired.stdout);
    assert.deepEqual(repaired.json?.repair?.actions.map((a) => a.outcome), ['done', 'done', 'done'], JSON.stringify(repaired.json?.repair));
    assert.equal(repaired.json?.classification, 'healthy');
  });

  it('--no-freshness: no canary, no Service written', async () => {
    const before = sim.requests.length;
    const run = await cli([...base(), '--no-freshness']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.json?.plan?.queries.find((x) => x.id === 'freshness'), undefined);
    assert.deepEqual(sim.requests.slice(before).filter((r) => r.resource === 'services' && (r.verb === 'create' || r.verb === 'delete')), []);
  });

  it('no RBAC for Services in the probe namespace → a note, the check still runs', async () => {
    const user = sim.addUser('no-canary', [
      { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch', 'create', 'delete'] },
      { apiGroups: [''], resources: ['pods/exec'], verbs: ['get', 'create'] },
      { apiGroups: [''], resources: ['services', 'configmaps'], verbs: ['get'] },
      { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list'] },
    ]);
    const from = sim.requests.length;
    const run = await cli(['check', '--kubeconfig', user.kubeconfigPath, '-o', 'json', '--timeout', '500ms', '--samples', '1']);
    assert.equal(run.code, 0, run.stderr);
    assert.ok(run.json?.notes.some((n) => /^freshness not checked: .*services.*manifests\/rbac-check\.yaml/.test(n)), JSON.stringify(run.json?.notes));
    // The refused sweep list is the only refused request of the canary: no create is tried that would be
    // refused too. (The probe namespace's get, for an OpenShift SCC's UID range, is refused as well and
    // leaves the fixed UID: docs/real-clusters.md.)
    const refused = sim.requests.slice(from).filter((r) => r.user === 'no-canary' && r.code === 403 && r.namespace === 'default');
    assert.deepEqual(refused.map((r) => `${r.verb} ${r.resource}`).sort(), ['get namespaces', 'list services']);
  });
});
