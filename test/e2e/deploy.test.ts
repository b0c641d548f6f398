// manifests/deploy: `kubectl kustomize` (the real kubectl) renders both overlays; the rendered objects
// are created in the sim with kubectl; then the CLI runs the way the CronJob's container would — its
// args, its ServiceAccount's token, the in-cluster environment (test/sim/incluster.ts) — healthy with
// the check-only RBAC, and repairing a hung pod with the repair overlay's.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { dormant, isolationProblem, podEnvironment } from '../sim/incluster.ts';
import { kubectl } from '../sim/sim-fixtures.ts';
import type { Sim } from '../sim/types.ts';
import { simOnly, startCluster, type E2ECluster } from './cluster.ts';
import { buildCli, CLI, finish, type Run } from './cli.ts';
import { expectValidOutput } from '../schema/validate.ts';

const run = promisify(execFile);

before(function () {
  this.timeout(60_000);
  buildCli();
});

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  spec?: Record<string, unknown>;
}
type Container = { name: string; image: string; args: string[]; securityContext?: Record<string, unknown>; livenessProbe?: { grpc?: { port: number } }; readinessProbe?: { httpGet?: { path: string } } };
type PodSpec = { serviceAccountName: string; securityContext: { runAsNonRoot?: boolean; runAsUser?: number }; containers: Container[] };

async function render(overlay: string): Promise<K8sObject[]> {
  const { stdout } = await run('kubectl', ['kustomize', `manifests/deploy/overlays/${overlay}`], { timeout: 30_000 });
  return parseAllDocuments(stdout).map((d) => d.toJS() as K8sObject);
}

const key = (o: K8sObject) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
const cronPod = (objs: K8sObject[]) => ((objs.find((o) => o.kind === 'CronJob')!.spec as { jobTemplate: { spec: { template: { spec: PodSpec } } } }).jobTemplate.spec.template.spec);

describe('e2e: manifests/deploy (kustomize) run as in the cluster', function () {
  this.timeout(120_000);
  let checkOnly: K8sObject[];
  let repair: K8sObject[];

  before(async () => {
    [checkOnly, repair] = await Promise.all([render('check-only'), render('repair')]);
  });

  it('renders both overlays with the real kubectl: a check-only CronJob; with repair, --repair, the watch Deployment, its Service and ServiceMonitor', () => {
    assert.deepEqual(checkOnly.map((o) => o.kind).sort(), ['CronJob', 'Namespace', 'Role', 'Role', 'Role', 'RoleBinding', 'RoleBinding', 'RoleBinding', 'ServiceAccount']);
    const check = cronPod(checkOnly).containers[0]!;
    assert.deepEqual(check.args.slice(0, 3), ['check', '--mode', 'in-cluster']);
    assert.ok(!check.args.includes('--repair'));
    assert.ok(cronPod(repair).containers[0]!.args.includes('--repair'));
    assert.deepEqual(repair.map((o) => o.kind).filter((k) => !checkOnly.some((c) => c.kind === k)).sort(), ['Deployment', 'Service', 'ServiceMonitor']);
    const watch = (repair.find((o) => o.kind === 'Deployment')!.spec as { template: { spec: PodSpec } }).template.spec;
    assert.deepEqual(watch.containers[0]!.args.slice(0, 4), ['watch', '--mode', 'in-cluster', '--repair']);
    assert.equal(watch.containers[0]!.livenessProbe?.grpc?.port, 9469);
    assert.equal(watch.containers[0]!.readinessProbe?.httpGet?.path, '/healthz');
    for (const pod of [cronPod(repair), watch]) {
      assert.equal(pod.serviceAccountName, 'coredns-sentinel');
      assert.equal(pod.securityContext.runAsNonRoot, true);
      for (const c of pod.containers) {
        assert.equal(c.image, 'ghcr.io/coredns-sentinel/coredns-sentinel:0.1.0');
        assert.deepEqual(c.securityContext, { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
      }
    }
  });

  describe('in the sim', () => {
    let cluster: E2ECluster;
    let sim: Sim;
    const create = (objs: K8sObject[]) => kubectl(sim.kubeconfigPath, ['create', '--validate=false', '-f', '-'], dormant(objs).map((o) => JSON.stringify(o)).join('\n'));

    /** The CronJob's container: its args, in the pod's environment, as its ServiceAccount. */
    async function asCronJob(objs: K8sObject[]): Promise<Run> {
      const pod = await podEnvironment(sim, 'coredns-sentinel', cronPod(objs).serviceAccountName);
      const [cmd, ...rest] = pod.wrap([process.execPath, CLI, ...cronPod(objs).containers[0]!.args, '--samples', '2', '--timeout', '800ms']);
      const r = await finish(spawn(cmd!, rest, { env: pod.env, stdio: ['ignore', 'pipe', 'pipe'] }));
      if (r.json) expectValidOutput(r.json);
      return r;
    }

    before(async function () {
      simOnly(this);
      const problem = isolationProblem();
      if (problem) this.skip();
      cluster = await startCluster();
      sim = cluster.sim!;
      await create(checkOnly);
    });

    after(async () => cluster?.stop());

    it('check-only: the CronJob container checks with exactly its ServiceAccount RBAC, no probe pod, no refusal', async () => {
      const before = sim.requests.length;
      const r = await asCronJob(checkOnly);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.json?.mode, 'in-cluster');
      assert.ok(!r.json?.notes.some((n) => /freshness not checked/.test(n)), r.json?.notes.join('\n'));
      const mine = sim.requests.slice(before).filter((q) => q.user === 'system:serviceaccount:coredns-sentinel:coredns-sentinel');
      assert.ok(mine.length > 0);
      // Reads the tool can do without (newer discovery reads) may be refused and become notes; never a write.
      assert.deepEqual(mine.filter((q) => q.code === 403 && !['get', 'list'].includes(q.verb)), []);
      // What the manifest must grant: the DNS Service, its pods, the Corefile, the canary.
      const essential = (q: (typeof mine)[number]) => (q.resource === 'pods' && q.verb === 'list') || (q.resource === 'services' && q.verb !== 'list') || q.resource === 'configmaps';
      assert.deepEqual(mine.filter((q) => q.code === 403 && essential(q)), []);
      assert.deepEqual(mine.filter((q) => q.verb === 'create' && q.resource === 'pods'), []);
    });

    it('repair overlay: the CronJob container (--repair) evicts a hung pod with the overlay RBAC', async () => {
      const created = new Set(checkOnly.map(key));
      await create(repair.filter((o) => !created.has(key(o))));
      const [sick] = sim.dnsPods();
      sim.faults.hangDns(sick!.name);
      const r = await asCronJob(repair);
      assert.equal(r.code, 0, r.stderr + r.stdout);
      assert.equal(r.json?.repair?.actions[0]?.pod, sick!.name);
      assert.equal(r.json?.repair?.actions[0]?.outcome, 'done');
      sim.faults.clear();
    });
  });
});
