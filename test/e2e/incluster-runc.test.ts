// manifests/deploy/overlays/repair for real: rendered by the real `kubectl kustomize`, applied to the sim
// with kubectl, and the CLI image (probe-image/Dockerfile.cli, built by `make images`) run under runc by
// the sim's kubelet — as a Job from the CronJob (`kubectl create job --from=cronjob/…`) and as the watch
// Deployment — with the ServiceAccount volume the kubelet mounts, KUBERNETES_SERVICE_HOST/PORT naming the
// sim's API server, the manifests' securityContext (non-root, read-only root, no capabilities, seccomp
// RuntimeDefault). A hung CoreDNS pod is repaired by each. Needs runc (root) and the images: skipped
// otherwise, saying why (CI is root and builds them).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { dormant } from '../sim/incluster.ts';
import { imageBuilt, runcProblem } from '../sim/runc.ts';
import { kubectl, waitFor } from '../sim/sim-fixtures.ts';
import type { Sim } from '../sim/types.ts';
import { expectValidOutput } from '../schema/validate.ts';
import { simOnly, startCluster, type E2ECluster } from './cluster.ts';

const run = promisify(execFile);
const NS = 'coredns-sentinel';
const SERVICE_ACCOUNT_USER = `system:serviceaccount:${NS}:coredns-sentinel`;

type K8sObject = { kind: string; metadata: { name: string }; spec?: Record<string, unknown> };
type Container = { args: string[]; env?: unknown[]; image: string };
type PodStatus = { phase: string; containerStatuses?: { state: { terminated?: { exitCode: number; reason: string } } }[] };

/**
 * The repair overlay, dormant (its CronJob suspended: the Jobs here are made by hand, a scheduled one
 * could start in the middle of a test; its watch Deployment at 0 replicas until its test), the watch made
 * to cycle every 5 s and serve metrics on its pod IP only.
 */
async function renderRepairOverlay(): Promise<K8sObject[]> {
  const { stdout } = await run('kubectl', ['kustomize', 'manifests/deploy/overlays/repair'], { timeout: 30_000 });
  const objects = dormant(parseAllDocuments(stdout).map((d) => d.toJS() as K8sObject));
  const watch = objects.find((o) => o.kind === 'Deployment')!.spec as { template: { spec: { containers: Container[] } } };
  const container = watch.template.spec.containers[0]!;
  // ":9469" would listen on every host address (the sim's pods share the host network): the pod's own IP, through $(POD_IP).
  container.args = [...container.args.map((a) => (a === ':9469' ? '$(POD_IP):9469' : a)), '--interval', '5s'];
  container.env = [{ name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }];
  return objects;
}

/** The report a `check -o json` container printed, out of its log (the JSON log lines are single lines). */
function reportIn(log: string): { exitCode: number; mode: string; repair?: { actions: { pod: string; outcome: string }[] } } {
  const lines = log.split('\n');
  const start = lines.indexOf('{');
  const end = lines.indexOf('}', start);
  assert.ok(start >= 0 && end > start, `no report in the log:\n${log}`);
  const report = JSON.parse(lines.slice(start, end + 1).join('\n')) as ReturnType<typeof reportIn>;
  expectValidOutput(report as Parameters<typeof expectValidOutput>[0]);
  return report;
}

describe('e2e: the CLI image in the cluster under runc (CronJob → Job, watch Deployment)', function () {
  this.timeout(180_000);
  let cluster: E2ECluster;
  let sim: Sim;
  /** The DNS pods at the start: each test hangs its own, never the replacement of a pod restarted before (in cooldown, so quarantined instead). */
  let original: string[];
  const k = (...args: string[]) => kubectl(sim.kubeconfigPath, args);
  const cliImage = 'ghcr.io/coredns-sentinel/coredns-sentinel:0.1.0';

  before(async function () {
    simOnly(this);
    const problem = runcProblem() ?? (imageBuilt(cliImage) ? undefined : 'the CLI image is not built (make images)');
    if (problem) {
      process.stderr.write(`    skipped: the CLI image runs only under runc: ${problem}\n`);
      return this.skip();
    }
    const objects = await renderRepairOverlay();
    cluster = await startCluster({ podStartMs: 50 });
    sim = cluster.sim!;
    original = sim.dnsPods().map((p) => p.name);
    await kubectl(sim.kubeconfigPath, ['apply', '--validate=false', '-f', '-'], objects.map((o) => JSON.stringify(o)).join('\n'));
  });

  after(async () => cluster?.stop());
  afterEach(() => sim?.faults.clear());

  it('a Job from the CronJob finds and repairs a hung pod: Job Complete, exit 0, the eviction in its report, as its ServiceAccount', async () => {
    const sick = original[0]!;
    sim.faults.hangDns(sick);
    const before = sim.requests.length;
    await k('create', 'job', '-n', NS, '--from=cronjob/coredns-sentinel-check', 'check-now');
    const job = await waitFor(
      'the Job to finish',
      async () => {
        const j = JSON.parse(await k('get', 'job', '-n', NS, 'check-now', '-o', 'json')) as { status: { succeeded?: number; failed?: number; conditions?: { type: string; status: string }[] } };
        return j.status.conditions?.some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True') && j;
      },
      120_000,
      500,
    );
    const pods = (JSON.parse(await k('get', 'pods', '-n', NS, '-l', 'batch.kubernetes.io/job-name=check-now', '-o', 'json')) as { items: { metadata: { name: string }; status: PodStatus }[] }).items;
    const log = await k('logs', '-n', NS, 'job/check-now');
    assert.deepEqual(job.status.conditions?.filter((c) => c.status === 'True').map((c) => c.type), ['SuccessCriteriaMet', 'Complete'], log);
    assert.equal(pods.length, 1);
    assert.deepEqual(pods[0]!.status.containerStatuses?.[0]?.state.terminated, { ...pods[0]!.status.containerStatuses?.[0]?.state.terminated, exitCode: 0, reason: 'Completed' });
    assert.ok(sim.runcContainers.some((c) => c.pod === pods[0]!.metadata.name && c.image === cliImage), 'the Job ran as a host process, not under runc');
    const report = reportIn(log);
    assert.equal(report.mode, 'in-cluster');
    assert.equal(report.exitCode, 0);
    assert.deepEqual(report.repair?.actions.map((a) => [a.pod, a.outcome]), [[sick, 'done']]);
    // Every request of the run was its ServiceAccount's, through the token the kubelet mounted; no write refused.
    const mine = sim.requests.slice(before).filter((q) => q.user === SERVICE_ACCOUNT_USER);
    assert.ok(mine.some((q) => q.resource === 'pods/eviction' && q.code === 201), JSON.stringify(mine.filter((q) => q.resource === 'pods/eviction')));
    assert.deepEqual(mine.filter((q) => q.code === 403 && !['get', 'list', 'watch'].includes(q.verb)), []);
  });

  it('the watch Deployment repairs a hung pod: its metrics Service counts the restart; the container runs confined (seccomp, no capabilities)', async () => {
    await k('scale', '-n', NS, 'deployment/coredns-sentinel-watch', '--replicas=1');
    await k('rollout', 'status', '-n', NS, 'deployment/coredns-sentinel-watch', '--timeout=60s');
    const [pod] = (JSON.parse(await k('get', 'pods', '-n', NS, '-l', 'app.kubernetes.io/component=watch', '-o', 'json')) as { items: { metadata: { name: string } }[] }).items;
    assert.ok(sim.runcContainers.some((c) => c.pod === pod!.metadata.name), 'the watch pod ran as a host process, not under runc');
    // The kernel's view of the container's process: a seccomp filter (RuntimeDefault), no_new_privs, no capabilities.
    const status = await k('exec', '-n', NS, pod!.metadata.name, '--', '/nodejs/bin/node', '-e', "process.stdout.write(require('fs').readFileSync('/proc/self/status', 'utf8'))");
    assert.match(status, /^Seccomp:\s+2$/m);
    assert.match(status, /^NoNewPrivs:\s+1$/m);
    assert.match(status, /^CapEff:\s+0+$/m);
    const svc = JSON.parse(await k('get', 'svc', '-n', NS, 'coredns-sentinel-metrics', '-o', 'json')) as { spec: { clusterIP: string } };
    const metrics = async () => {
      const res = await fetch(`http://${svc.spec.clusterIP}:9469/metrics`, { signal: AbortSignal.timeout(5_000) });
      return res.text();
    };
    await waitFor('a first healthy cycle', async () => /coredns_sentinel_classification\{classification="healthy"\} 1/.test(await metrics().catch(() => '')) || undefined, 60_000, 500);
    const sick = original[1]!;
    sim.faults.hangDns(sick);
    const restarted = new RegExp(`^coredns_sentinel_restarts_total\\{[^}]*pod="${sick}"[^}]*method="evict"[^}]*\\} 1$`, 'm');
    await waitFor('the watch to restart the hung pod', async () => restarted.test(await metrics().catch(() => '')) || undefined, 90_000, 500).catch(async (e) => {
      console.log(await metrics().catch(String));
      console.log(await k('logs', '-n', NS, pod!.metadata.name).catch(String));
      throw e;
    });
    await waitFor('the hung pod to go', () => !sim.dnsPods().some((p) => p.name === sick) || undefined, 30_000, 200);
  });

  it('a pod that asks for no seccomp profile runs Unconfined, as the kubelet’s default', async () => {
    await k('run', 'unconfined', '-n', 'default', '--image=node:22-alpine', '--restart=Never', '--command', '--', 'sleep', '600');
    await k('wait', '-n', 'default', '--for=condition=Ready', 'pod/unconfined', '--timeout=30s');
    assert.ok(sim.runcContainers.some((c) => c.pod === 'unconfined'), 'the pod ran as a host process, not under runc');
    const status = await k('exec', '-n', 'default', 'unconfined', '--', 'cat', '/proc/self/status');
    assert.match(status, /^Seccomp:\s+0$/m);
    await k('delete', 'pod', '-n', 'default', 'unconfined', '--grace-period=0', '--force');
  });
});
