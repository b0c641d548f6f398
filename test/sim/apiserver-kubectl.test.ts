// The simulated API server driven by the real kubectl (1.32): discovery fallback from aggregated
// discovery, Table output, exec over websocket (v5, kubectl's default since 1.30), annotate, delete.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { startHarness, type Harness } from './apiserver-fixtures.ts';

const NS = 'default';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function kubectl(h: Harness, args: string[], kubeconfig = h.server.admin.kubeconfigPath): Promise<Run> {
  return new Promise((resolve) => {
    // A private cache dir per run: discovery is fetched from this server, never from a stale cache.
    execFile('kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', `${h.dir}/kubectl-cache`, '--request-timeout', '10s', ...args], { timeout: 15000 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
    );
  });
}

describe('sim API server with kubectl', function () {
  let h: Harness;

  before(async () => {
    h = await startHarness('127.60.0.3');
    h.store.create('pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web-1', namespace: NS, labels: { app: 'web' } },
      spec: { nodeName: 'node-1', terminationGracePeriodSeconds: 30, containers: [{ name: 'main', image: 'nginx' }] },
      status: { phase: 'Running', podIP: '10.0.0.7', conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [{ name: 'main', ready: true, restartCount: 2 }] },
    });
    h.store.create('events', {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'web-1.1', namespace: NS },
      involvedObject: { kind: 'Pod', name: 'web-1', namespace: NS },
      reason: 'Restarted',
      message: 'coredns-sentinel restarted web-1',
      type: 'Normal',
      lastTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    });
  });
  after(async () => h.close());

  it('get pods prints the server-side Table; -o json prints the PodList', async () => {
    const table = await kubectl(h, ['get', 'pods']);
    expect(table.code, table.stderr).to.equal(0);
    expect(table.stdout).to.match(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\n/);
    expect(table.stdout).to.match(/\nweb-1\s+1\/1\s+Running\s+2\s+\d+s\n/);
    const json = await kubectl(h, ['get', 'pods', '-o', 'json']);
    const list = JSON.parse(json.stdout) as { kind: string; items: { metadata: { name: string } }[] };
    expect(list.kind).to.equal('List');
    expect(list.items.map((p) => p.metadata.name)).to.deep.equal(['web-1']);
  });

  it('get ns and get events', async () => {
    const ns = await kubectl(h, ['get', 'ns']);
    expect(ns.stdout).to.match(/\nkube-system\s+Active\s+/);
    const ev = await kubectl(h, ['get', 'events']);
    expect(ev.code, ev.stderr).to.equal(0);
    expect(ev.stdout).to.match(/Normal\s+Restarted\s+pod\/web-1\s+coredns-sentinel restarted web-1/);
  });

  it('exec prints the output, and a non-zero exit as "command terminated with exit code 3" with exit 3', async () => {
    const ok = await kubectl(h, ['exec', 'web-1', '--', 'echo', 'hi']);
    expect(ok).to.deep.include({ code: 0, stdout: 'hi\n' });
    const bad = await kubectl(h, ['exec', 'web-1', '--', 'sh', '-c', 'exit 3']);
    expect(bad.code).to.equal(3);
    expect(bad.stderr).to.contain('command terminated with exit code 3');
    const execs = h.server.requests.filter((r) => r.resource === 'pods/exec');
    expect(execs.map((r) => r.code), 'kubectl used the websocket, no SPDY fallback').to.deep.equal([101, 101]);
  });

  it('annotate, label and the 403 of a restricted user', async () => {
    expect((await kubectl(h, ['annotate', 'pod', 'web-1', 'sentinel/checked=yes'])).stdout).to.equal('pod/web-1 annotated\n');
    expect((await kubectl(h, ['label', 'pod', 'web-1', 'tier=front'])).stdout).to.equal('pod/web-1 labeled\n');
    const pod = h.store.get('pods', NS, 'web-1')!;
    expect(pod.metadata.annotations).to.deep.equal({ 'sentinel/checked': 'yes' });
    expect(pod.metadata.labels).to.deep.equal({ app: 'web', tier: 'front' });
    const viewer = h.server.addUser('kviewer', [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }]);
    const denied = await kubectl(h, ['delete', 'pod', 'web-1'], viewer.kubeconfigPath);
    expect(denied.code).to.equal(1);
    expect(denied.stderr).to.contain('Error from server (Forbidden): pods "web-1" is forbidden: User "kviewer" cannot delete resource "pods" in API group "" in the namespace "default"');
  });

  it('rollout restart sets the restartedAt annotation through a strategic merge patch', async () => {
    const create = await kubectl(h, ['create', 'deployment', 'coredns', '--image=coredns', '-n', 'kube-system']);
    expect(create.code, create.stderr).to.equal(0);
    const restart = await kubectl(h, ['rollout', 'restart', 'deployment/coredns', '-n', 'kube-system']);
    expect(restart.code, restart.stderr).to.equal(0);
    const dep = h.store.get('deployments.apps', 'kube-system', 'coredns')!;
    const annotations = (dep.spec as { template: { metadata: { annotations?: Record<string, string> } } }).template.metadata.annotations;
    expect(annotations).to.have.property('kubectl.kubernetes.io/restartedAt');
  });

  it('delete leaves a graceful deletionTimestamp; --grace-period=0 --force removes at once', async () => {
    const soft = await kubectl(h, ['delete', 'pod', 'web-1', '--wait=false']);
    expect(soft.stdout).to.equal('pod "web-1" deleted\n');
    expect(h.store.get('pods', NS, 'web-1')?.metadata.deletionTimestamp).to.be.a('string');
    expect((await kubectl(h, ['get', 'pod', 'web-1'])).stdout).to.match(/\sTerminating\s/);
    const hard = await kubectl(h, ['delete', 'pod', 'web-1', '--grace-period=0', '--force']);
    expect(hard.code, hard.stderr).to.equal(0);
    expect(h.store.get('pods', NS, 'web-1')).to.equal(undefined);
  });
});
