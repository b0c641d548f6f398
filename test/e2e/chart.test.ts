// charts/coredns-sentinel in the sim: the objects the real helm renders are applied with the real
// kubectl (`kubectl apply`, as `helm template | kubectl apply -f -` would), first the check-only example,
// then the repair example over it (an upgrade: apply patches what exists); then the CLI runs the way the
// chart's CronJob container would — its args, its ServiceAccount's token and the in-cluster environment
// (test/sim/incluster.ts) — healthy with the check-only RBAC, repairing a hung pod with the repair RBAC,
// and, as a second release in probe-pod mode, through a probe pod with that mode's RBAC.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { dormant, isolationProblem, podEnvironment } from '../sim/incluster.ts';
import { kubectl } from '../sim/sim-fixtures.ts';
import type { Sim } from '../sim/types.ts';
import { helmBinary, renderChart, type K8sObject } from '../ecosystem/helm.ts';
import { simOnly, startCluster, type E2ECluster } from './cluster.ts';
import { buildCli, CLI, finish, probePodsLeft, type Run } from './cli.ts';
import { expectValidOutput } from '../schema/validate.ts';

type CronJob = K8sObject & { spec: { jobTemplate: { spec: { template: { spec: { serviceAccountName: string; containers: { args: string[] }[] } } } } } };
const EXAMPLES = 'charts/coredns-sentinel/examples';

describe('e2e: the Helm chart applied to the sim and run as its CronJob', function () {
  this.timeout(120_000);
  let cluster: E2ECluster;
  let sim: Sim;
  let checkOnly: K8sObject[];
  let repair: K8sObject[];
  let probePod: K8sObject[];

  const apply = (objs: K8sObject[]) => kubectl(sim.kubeconfigPath, ['apply', '--validate=false', '-f', '-'], dormant(objs).map((o) => JSON.stringify(o)).join('\n'));

  /** The chart's CronJob container: its args, in the pod's environment, as its ServiceAccount. */
  async function asCronJob(objs: K8sObject[]): Promise<Run> {
    const pod = (objs.find((o) => o.kind === 'CronJob') as CronJob).spec.jobTemplate.spec.template.spec;
    const env = await podEnvironment(sim, 'coredns-sentinel', pod.serviceAccountName);
    const [cmd, ...rest] = env.wrap([process.execPath, CLI, ...pod.containers[0]!.args, '--samples', '2', '--timeout', '800ms']);
    const r = await finish(spawn(cmd!, rest, { env: env.env, stdio: ['ignore', 'pipe', 'pipe'] }));
    if (r.json) expectValidOutput(r.json);
    return r;
  }

  before(async function () {
    simOnly(this);
    if (isolationProblem()) this.skip();
    this.timeout(180_000);
    buildCli();
    const helm = helmBinary();
    checkOnly = renderChart(helm, ['-f', `${EXAMPLES}/check-only.yaml`]);
    repair = renderChart(helm, ['-f', `${EXAMPLES}/repair.yaml`, '--set', 'watch.prometheusRule.enabled=true']);
    probePod = renderChart(helm, ['--set', 'mode=probe-pod'], 'probe', 'coredns-sentinel');
    cluster = await startCluster();
    sim = cluster.sim!;
  });

  after(async () => cluster?.stop());

  it('kubectl apply of the check-only chart succeeds; its CronJob checks with exactly its ServiceAccount RBAC', async () => {
    const out = await apply(checkOnly);
    assert.equal(out.trim().split('\n').length, checkOnly.length, out);
    assert.doesNotMatch(out, /unchanged|configured/);
    const before = sim.requests.length;
    const r = await asCronJob(checkOnly);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json?.mode, 'in-cluster');
    assert.ok(!r.json?.notes.some((n) => /freshness not checked/.test(n)), r.json?.notes.join('\n'));
    const mine = sim.requests.slice(before).filter((q) => q.user === 'system:serviceaccount:coredns-sentinel:coredns-sentinel');
    assert.ok(mine.length > 0);
    // Optional reads may be refused (they become notes); no write, and none of the essentials.
    assert.deepEqual(mine.filter((q) => q.code === 403 && !['get', 'list'].includes(q.verb)), []);
    const essential = (q: (typeof mine)[number]) => (q.resource === 'pods' && q.verb === 'list') || (q.resource === 'services' && q.verb !== 'list') || q.resource === 'configmaps';
    assert.deepEqual(mine.filter((q) => q.code === 403 && essential(q)), []);
  });

  it('kubectl apply of the repair chart over it (an upgrade) succeeds; its CronJob (--repair) evicts a hung pod', async () => {
    const out = await apply(repair);
    assert.match(out, /cronjob\.batch\/coredns-sentinel-check configured/);
    for (const created of ['deployment.apps/coredns-sentinel-watch', 'servicemonitor.monitoring.coreos.com/coredns-sentinel', 'prometheusrule.monitoring.coreos.com/coredns-sentinel', 'role.rbac.authorization.k8s.io/coredns-sentinel-in-cluster-repair'])
      assert.match(out, new RegExp(`${created.replaceAll('.', '\\.')} created`));
    const stored = JSON.parse(await kubectl(sim.kubeconfigPath, ['get', 'cronjob', 'coredns-sentinel-check', '-n', 'coredns-sentinel', '-o', 'json'])) as CronJob;
    assert.ok(stored.spec.jobTemplate.spec.template.spec.containers[0]!.args.includes('--repair'));
    const [sick] = sim.dnsPods();
    sim.faults.hangDns(sick!.name);
    const r = await asCronJob(repair);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.equal(r.json?.repair?.actions[0]?.pod, sick!.name);
    assert.equal(r.json?.repair?.actions[0]?.outcome, 'done');
    sim.faults.clear();
  });

  it('a second release in probe-pod mode: its CronJob checks through a probe pod with exactly that RBAC, and deletes it', async () => {
    await apply(probePod);
    const before = sim.requests.length;
    const r = await asCronJob(probePod);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json?.mode, 'probe-pod');
    const mine = sim.requests.slice(before).filter((q) => q.user === 'system:serviceaccount:coredns-sentinel:probe-coredns-sentinel');
    assert.ok(mine.some((q) => q.verb === 'create' && q.resource === 'pods' && q.code === 201), 'no probe pod created');
    assert.deepEqual(mine.filter((q) => q.code === 403 && !['get', 'list'].includes(q.verb)), []);
    assert.deepEqual(await probePodsLeft(sim.kubeconfigPath, 'coredns-sentinel'), []);
  });
});
