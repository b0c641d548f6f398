// The simulated API server driven by the real @kubernetes/client-node 1.4.
import {
  ApiException,
  AppsV1Api,
  AuthorizationV1Api,
  CoordinationV1Api,
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  PolicyV1Api,
  V1MicroTime,
  VersionApi,
  Watch,
  makeInformer,
  setHeaderOptions,
  type V1Pod,
} from '@kubernetes/client-node';
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { startHarness, type Harness } from './apiserver-fixtures.ts';
import { kubeconfigYaml } from './pki.ts';
import type { KObject } from './store.ts';

const NS = 'default';

const kc = (path: string) => {
  const k = new KubeConfig();
  k.loadFromFile(path);
  return k;
};

const podBody = (name: string, labels: Record<string, string> = {}): V1Pod => ({
  metadata: { name, labels },
  spec: { containers: [{ name: 'c', image: 'busybox' }] },
});

/** The Status of a failed call (client-node keeps it as a raw JSON string). */
async function failure(p: Promise<unknown>): Promise<{ code: number; status: { reason?: string; message?: string; details?: { causes?: { reason?: string; message?: string }[] } }; headers: Record<string, string> }> {
  try {
    await p;
  } catch (e) {
    if (!(e instanceof ApiException)) throw e;
    return { code: e.code, status: JSON.parse(e.body as string) as never, headers: e.headers };
  }
  throw new Error('expected the call to fail');
}

/** A request with only a bearer token, trusting the sim CA: to read bodies client-node drops. */
function rawRequest(h: Harness, method: string, path: string, token: string, body?: string): Promise<{ code: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(`${h.server.url}${path}`, { method, ca: readFileSync(h.server.caPath), headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d)).on('end', () => resolve({ code: res.statusCode ?? 0, body: text }));
    });
    req.once('error', reject).end(body);
  });
}

/** Makes a pod look scheduled, running and (optionally) ready, as the node side would. */
function runPod(h: Harness, name: string, ready = true): void {
  h.store.mutate('pods', NS, name, (p) => {
    (p.spec as Record<string, unknown>).nodeName = 'node-1';
    p.status = { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] };
  });
}

describe('sim API server with @kubernetes/client-node', function () {
  let h: Harness;
  let admin: KubeConfig;
  let core: CoreV1Api;

  before(async () => {
    h = await startHarness('127.60.0.1');
    admin = kc(h.server.admin.kubeconfigPath);
    core = admin.makeApiClient(CoreV1Api);
  });
  after(async () => h.close());
  afterEach(async () => {
    h.server.faults.clear();
    for (const p of h.store.list('pods', NS)) h.store.remove('pods', NS, p.metadata.name!);
  });

  it('serves the system namespaces and the version', async () => {
    const names = (await core.listNamespace()).items.map((n) => n.metadata?.name);
    expect(names).to.include.members(['default', 'kube-system', 'kube-public', 'kube-node-lease']);
    expect((await admin.makeApiClient(VersionApi).getCode()).gitVersion).to.match(/^v1\.31\.\d+-sim$/);
  });

  it('answers 401 with a Status for a bad token', async () => {
    const bad = new KubeConfig();
    bad.loadFromString(kubeconfigYaml({ server: h.server.url, caPem: readFileSync(h.server.caPath, 'utf8'), user: 'nobody', token: 'not-a-token' }));
    // client-node drops the body of a 401 (its OpenAPI spec declares none): read it raw.
    const e = await bad.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: NS }).catch((err: unknown) => err);
    expect(e).to.be.instanceOf(ApiException).with.property('code', 401);
    const raw = await rawRequest(h, 'GET', `/api/v1/namespaces/${NS}/pods`, 'not-a-token');
    expect(raw.code).to.equal(401);
    expect(JSON.parse(raw.body)).to.include({ kind: 'Status', reason: 'Unauthorized', message: 'Unauthorized', code: 401 });
  });

  it('answers 403 with the real message for a user without the rule, and lets the granted verb through', async () => {
    const viewer = h.server.addUser('viewer', [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'], namespaces: [NS] }]);
    const vcore = kc(viewer.kubeconfigPath).makeApiClient(CoreV1Api);
    expect((await vcore.listNamespacedPod({ namespace: NS })).items).to.be.an('array');
    const f = await failure(vcore.deleteNamespacedPod({ name: 'x', namespace: NS }));
    expect(f.code).to.equal(403);
    expect(f.status.message).to.equal('pods "x" is forbidden: User "viewer" cannot delete resource "pods" in API group "" in the namespace "default"');
    const g = await failure(vcore.listNamespacedPod({ namespace: 'kube-system' }));
    expect(g.status.message).to.equal('pods is forbidden: User "viewer" cannot list resource "pods" in API group "" in the namespace "kube-system"');
    const d = await failure(kc(viewer.kubeconfigPath).makeApiClient(AppsV1Api).listNamespacedDeployment({ namespace: NS }));
    expect(d.status.message).to.equal('deployments.apps is forbidden: User "viewer" cannot list resource "deployments" in API group "apps" in the namespace "default"');
    expect(h.server.requests.at(-1)).to.include({ verb: 'list', resource: 'deployments', user: 'viewer', code: 403 });
  });

  it('answers selfsubjectaccessreviews from the same RBAC', async () => {
    const user = h.server.addUser('evictor', [{ apiGroups: [''], resources: ['pods/eviction'], verbs: ['create'] }]);
    const authz = kc(user.kubeconfigPath).makeApiClient(AuthorizationV1Api);
    const ask = async (resource: string, subresource?: string) =>
      (await authz.createSelfSubjectAccessReview({ body: { spec: { resourceAttributes: { namespace: NS, verb: 'create', resource, ...(subresource ? { subresource } : {}) } } } })).status;
    expect((await ask('pods', 'eviction'))?.allowed).to.equal(true);
    expect((await ask('pods'))?.allowed).to.equal(false);
  });

  it('creates pods: namespace from the path, generateName, Pending status, 409 on a duplicate, 404 without the namespace', async () => {
    const made = await core.createNamespacedPod({ namespace: NS, body: { ...podBody(''), metadata: { generateName: 'probe-', namespace: 'elsewhere' } } });
    expect(made.metadata?.name).to.match(/^probe-[a-z0-9]{5}$/);
    expect(made.metadata?.namespace).to.equal(NS);
    expect(made.status?.phase).to.equal('Pending');
    expect(made.metadata?.resourceVersion).to.be.a('string');
    await core.createNamespacedPod({ namespace: NS, body: podBody('dup') });
    const f = await failure(core.createNamespacedPod({ namespace: NS, body: podBody('dup') }));
    expect(f.code).to.equal(409);
    expect(f.status).to.include({ reason: 'AlreadyExists', message: 'pods "dup" already exists' });
    const n = await failure(core.createNamespacedPod({ namespace: 'nope', body: podBody('x') }));
    expect(n.code).to.equal(404);
    expect(n.status.message).to.equal('namespaces "nope" not found');
  });

  it('answers 422 for a pod without containers or without a name, and stores nothing on dryRun', async () => {
    const f = await failure(core.createNamespacedPod({ namespace: NS, body: { metadata: { name: 'empty' }, spec: { containers: [] } } }));
    expect(f.code).to.equal(422);
    expect(f.status).to.include({ reason: 'Invalid', message: 'Pod "empty" is invalid: spec.containers: Required value' });
    const g = await failure(core.createNamespacedPod({ namespace: NS, body: { metadata: {}, spec: { containers: [{ name: 'c', image: 'i' }] } } }));
    expect(g.code).to.equal(422);
    expect(g.status.message).to.contain('metadata.name: Required value');
    await core.createNamespacedPod({ namespace: NS, body: podBody('dry'), dryRun: 'All' });
    expect(h.store.get('pods', NS, 'dry')).to.equal(undefined);
  });

  it('answers 404 with the real Status for a missing pod', async () => {
    const f = await failure(core.readNamespacedPod({ name: 'ghost', namespace: NS }));
    expect(f.code).to.equal(404);
    expect(f.status).to.include({ reason: 'NotFound', message: 'pods "ghost" not found' });
  });

  it('answers 409 for an update with a stale resourceVersion', async () => {
    const cm = await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'cfg' }, data: { a: '1' } } });
    await core.replaceNamespacedConfigMap({ name: 'cfg', namespace: NS, body: { ...cm, data: { a: '2' } } });
    const f = await failure(core.replaceNamespacedConfigMap({ name: 'cfg', namespace: NS, body: { ...cm, data: { a: '3' } } }));
    expect(f.code).to.equal(409);
    expect(f.status.reason).to.equal('Conflict');
    expect((await core.readNamespacedConfigMap({ name: 'cfg', namespace: NS })).data).to.deep.equal({ a: '2' });
    await core.deleteNamespacedConfigMap({ name: 'cfg', namespace: NS });
  });

  it('patches with JSON patch (default), merge patch and strategic merge patch', async () => {
    await core.createNamespacedPod({ namespace: NS, body: podBody('patched', { app: 'a' }) });
    await core.patchNamespacedPod({ name: 'patched', namespace: NS, body: [{ op: 'add', path: '/metadata/annotations', value: { one: '1' } }] });
    await core.patchNamespacedPod({ name: 'patched', namespace: NS, body: { metadata: { labels: { app: null, tier: 'x' } } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    const pod = await core.patchNamespacedPod(
      { name: 'patched', namespace: NS, body: { spec: { containers: [{ name: 'c', image: 'busybox:2' }] } } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    expect(pod.metadata?.annotations).to.deep.equal({ one: '1' });
    expect(pod.metadata?.labels).to.deep.equal({ tier: 'x' });
    expect(pod.spec?.containers).to.have.length(1);
    expect(pod.spec?.containers[0]).to.include({ name: 'c', image: 'busybox:2' });
    const f = await failure(core.patchNamespacedPod({ name: 'patched', namespace: NS, body: [{ op: 'replace', path: '/metadata/nothing/here', value: 1 }] }));
    expect(f.code).to.equal(422);
  });

  it('writes pods/status without touching spec, and ignores status on the main resource', async () => {
    await core.createNamespacedPod({ namespace: NS, body: podBody('st') });
    await core.replaceNamespacedPodStatus({ name: 'st', namespace: NS, body: { ...podBody('st'), spec: { containers: [] }, status: { phase: 'Running' } } });
    await core.patchNamespacedPod({ name: 'st', namespace: NS, body: { status: { phase: 'Failed' } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    const pod = await core.readNamespacedPod({ name: 'st', namespace: NS });
    expect(pod.status?.phase).to.equal('Running');
    expect(pod.spec?.containers).to.have.length(1);
  });

  it('filters lists by label and field selectors, and rejects unknown field labels with 400', async () => {
    for (const [name, app] of [['a1', 'a'], ['b1', 'b'], ['c1', 'c']] as const) await core.createNamespacedPod({ namespace: NS, body: podBody(name, { app }) });
    runPod(h, 'b1');
    const names = async (q: { labelSelector?: string; fieldSelector?: string }) => (await core.listNamespacedPod({ namespace: NS, ...q })).items.map((p) => p.metadata?.name);
    expect(await names({ labelSelector: 'app in (a,b)' })).to.deep.equal(['a1', 'b1']);
    expect(await names({ labelSelector: 'app!=a,app' })).to.deep.equal(['b1', 'c1']);
    expect(await names({ labelSelector: '!app' })).to.deep.equal([]);
    expect(await names({ fieldSelector: 'status.phase=Running' })).to.deep.equal(['b1']);
    expect(await names({ fieldSelector: 'spec.nodeName=node-1,metadata.name=b1' })).to.deep.equal(['b1']);
    const list = await core.listNamespacedPod({ namespace: NS });
    expect(Number(list.metadata?.resourceVersion)).to.be.greaterThan(0);
    const f = await failure(core.listNamespacedPod({ namespace: NS, fieldSelector: 'spec.hostname=x' }));
    expect(f.code).to.equal(400);
    expect(f.status.message).to.equal('field label not supported: spec.hostname');
  });

  it('deletes gracefully: a scheduled pod keeps a deletionTimestamp, an unscheduled one or grace 0 goes at once', async () => {
    await core.createNamespacedPod({ namespace: NS, body: { ...podBody('slow'), spec: { ...podBody('slow').spec!, terminationGracePeriodSeconds: 20 } } });
    runPod(h, 'slow');
    const deleted = await core.deleteNamespacedPod({ name: 'slow', namespace: NS });
    expect(deleted.metadata?.deletionTimestamp).to.be.instanceOf(Date);
    expect(deleted.metadata?.deletionGracePeriodSeconds).to.equal(20);
    expect(h.store.get('pods', NS, 'slow')?.metadata.deletionTimestamp).to.be.a('string');
    await core.deleteNamespacedPod({ name: 'slow', namespace: NS, gracePeriodSeconds: 0 });
    expect(h.store.get('pods', NS, 'slow')).to.equal(undefined);
    await core.createNamespacedPod({ namespace: NS, body: podBody('unscheduled') });
    await core.deleteNamespacedPod({ name: 'unscheduled', namespace: NS });
    expect(h.store.get('pods', NS, 'unscheduled')).to.equal(undefined);
  });

  it('evicts within the PDB, then answers 429 with the DisruptionBudget cause, and 500 with two PDBs', async () => {
    const policy = admin.makeApiClient(PolicyV1Api);
    for (const name of ['dns-1', 'dns-2']) {
      await core.createNamespacedPod({ namespace: NS, body: podBody(name, { k8s: 'dns' }) });
      runPod(h, name);
    }
    await policy.createNamespacedPodDisruptionBudget({ namespace: NS, body: { metadata: { name: 'dns' }, spec: { minAvailable: 1, selector: { matchLabels: { k8s: 'dns' } } } } });
    const pdb = await policy.readNamespacedPodDisruptionBudget({ name: 'dns', namespace: NS });
    expect(pdb.status).to.include({ currentHealthy: 2, desiredHealthy: 1, disruptionsAllowed: 1, expectedPods: 2 });
    const evict = (name: string) => core.createNamespacedPodEviction({ name, namespace: NS, body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: NS } } });
    await evict('dns-1'); // client-node types the 201 Success Status as a V1Eviction
    expect(h.server.requests.at(-1)).to.include({ verb: 'create', resource: 'pods/eviction', name: 'dns-1', code: 201 });
    expect(h.store.get('pods', NS, 'dns-1')?.metadata.deletionTimestamp).to.be.a('string');
    const f = await failure(evict('dns-2'));
    expect(f.code).to.equal(429);
    expect(f.status.message).to.equal("Cannot evict pod as it would violate the pod's disruption budget.");
    expect(f.status.details?.causes).to.deep.equal([{ reason: 'DisruptionBudget', message: 'The disruption budget dns needs 1 healthy pods and has 1 currently' }]);
    await policy.createNamespacedPodDisruptionBudget({ namespace: NS, body: { metadata: { name: 'dns-too' }, spec: { maxUnavailable: '50%', selector: { matchLabels: { k8s: 'dns' } } } } });
    const g = await failure(evict('dns-2'));
    expect(g.code).to.equal(500);
    expect(g.status.message).to.contain('This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.');
    for (const name of ['dns', 'dns-too']) await policy.deleteNamespacedPodDisruptionBudget({ name, namespace: NS });
    await core.createNamespacedPod({ namespace: NS, body: podBody('pending', { k8s: 'dns' }) });
    await evict('pending');
    expect(h.store.get('pods', NS, 'pending'), 'an unscheduled pod goes at once').to.equal(undefined);
  });

  it('answers an injected 429 with Retry-After, count times, only for the matching verb', async () => {
    h.server.faults.add({ verb: 'list', resource: 'pods', status: 429, count: 1 });
    const f = await failure(core.listNamespacedPod({ namespace: NS }));
    expect(f.code).to.equal(429);
    expect(f.headers['retry-after']).to.equal('1');
    expect(f.status.reason).to.equal('TooManyRequests');
    expect((await core.listNamespacedPod({ namespace: NS })).items).to.be.an('array');
    h.server.faults.add({ verb: 'get', status: 503 });
    expect((await failure(core.readNamespace({ name: NS }))).code).to.equal(503);
    expect((await core.listNamespace()).items.length).to.be.greaterThan(0);
  });

  it('takes leases with V1MicroTime, answers 409 to the stale holder and 400 to a plain time (leases and events)', async () => {
    const coord = admin.makeApiClient(CoordinationV1Api);
    const now = new V1MicroTime();
    const lease = await coord.createNamespacedLease({ namespace: NS, body: { metadata: { name: 'repair-lock' }, spec: { holderIdentity: 'a', leaseDurationSeconds: 30, acquireTime: now, renewTime: now } } });
    expect(h.store.get('leases.coordination.k8s.io', NS, 'repair-lock')?.spec).to.have.property('renewTime').that.matches(/\.\d{6}Z$/);
    await coord.replaceNamespacedLease({ name: 'repair-lock', namespace: NS, body: { ...lease, spec: { ...lease.spec, holderIdentity: 'b', renewTime: new V1MicroTime() } } });
    const f = await failure(coord.replaceNamespacedLease({ name: 'repair-lock', namespace: NS, body: { ...lease, spec: { ...lease.spec, holderIdentity: 'a' } } }));
    expect(f.code).to.equal(409);
    const g = await failure(coord.createNamespacedLease({ namespace: NS, body: { metadata: { name: 'plain' }, spec: { renewTime: new Date() as V1MicroTime } } }));
    expect(g.code).to.equal(400);
    expect(g.status.reason).to.equal('BadRequest');
    const ev = await failure(core.createNamespacedEvent({ namespace: NS, body: { metadata: { name: 'e' }, involvedObject: {}, eventTime: new Date() as V1MicroTime } }));
    expect(ev.code, 'Event.eventTime is a MicroTime too').to.equal(400);
    await core.createNamespacedEvent({ namespace: NS, body: { metadata: { name: 'e' }, involvedObject: {}, eventTime: new V1MicroTime(), lastTimestamp: new Date() } });
  });

  it('streams watch events from a resourceVersion, turns selector changes into ADDED/DELETED, and honours timeoutSeconds', async () => {
    const start = (await core.listNamespacedPod({ namespace: NS })).metadata!.resourceVersion!;
    await core.createNamespacedPod({ namespace: NS, body: podBody('w1', { app: 'w' }) });
    const events: string[] = [];
    let done!: () => void;
    const seen = new Promise<void>((r) => (done = r));
    const watch = new Watch(admin);
    const ctl = await watch.watch(
      `/api/v1/namespaces/${NS}/pods`,
      { resourceVersion: start, labelSelector: 'app=w' },
      (type, obj: KObject) => {
        events.push(`${type} ${obj.metadata.name}`);
        if (events.length === 4) done();
      },
      () => undefined,
    );
    await core.createNamespacedPod({ namespace: NS, body: podBody('other', { app: 'x' }) });
    await core.patchNamespacedPod({ name: 'w1', namespace: NS, body: { metadata: { annotations: { a: 'b' } } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    await core.patchNamespacedPod({ name: 'other', namespace: NS, body: { metadata: { labels: { app: 'w' } } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    await core.patchNamespacedPod({ name: 'w1', namespace: NS, body: { metadata: { labels: { app: 'gone' } } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    await Promise.race([seen, new Promise((_, reject) => setTimeout(() => reject(new Error(`watch saw only ${events.join(', ')}`)), 5000))]);
    ctl.abort();
    expect(events).to.deep.equal(['ADDED w1', 'MODIFIED w1', 'ADDED other', 'DELETED w1']);

    const ended = await new Promise<string>((resolve) => {
      void watch.watch(`/api/v1/namespaces/${NS}/pods`, { resourceVersion: '0', timeoutSeconds: 1 }, () => undefined, () => resolve('ended'));
    });
    expect(ended).to.equal('ended', 'timeoutSeconds ends the stream');
  });

  it('sends a 410 Expired ERROR event for a resourceVersion older than the history', async () => {
    for (let i = 0; i < 5100; i++) h.store.mutate('namespaces', undefined, NS, (n) => (n.metadata.annotations = { i: String(i) }));
    const got = await new Promise<{ type: string; obj: { code?: number; reason?: string } }>((resolve) => {
      void new Watch(admin).watch(`/api/v1/namespaces/${NS}/pods`, { resourceVersion: '2' }, (type, obj: { code?: number }) => resolve({ type, obj }), () => undefined);
    });
    expect(got.type).to.equal('ERROR');
    expect(got.obj).to.include({ code: 410, reason: 'Expired' });
  });

  it('keeps an informer in sync (list, then watch from its resourceVersion)', async () => {
    const informer = makeInformer(admin, `/api/v1/namespaces/${NS}/pods`, () => core.listNamespacedPod({ namespace: NS, labelSelector: 'app=inf' }), 'app=inf');
    const added: string[] = [];
    const deleted: string[] = [];
    informer.on('add', (p) => added.push(p.metadata!.name!));
    informer.on('delete', (p) => deleted.push(p.metadata!.name!));
    await core.createNamespacedPod({ namespace: NS, body: podBody('inf-1', { app: 'inf' }) });
    await informer.start();
    await core.createNamespacedPod({ namespace: NS, body: podBody('inf-2', { app: 'inf' }) });
    await core.deleteNamespacedPod({ name: 'inf-1', namespace: NS });
    for (let i = 0; i < 50 && deleted.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    await informer.stop();
    expect(added).to.deep.equal(['inf-1', 'inf-2']);
    expect(deleted).to.deep.equal(['inf-1']);
  });

  it('serves pod logs as text with tailLines', async () => {
    await core.createNamespacedPod({ namespace: NS, body: podBody('logger') });
    expect(await core.readNamespacedPodLog({ name: 'logger', namespace: NS, tailLines: 2 })).to.equal('line 2\nline 3\n');
  });

  it('records every request with verb, resource, namespace, name, user and code', async () => {
    const before = h.server.requests.length;
    await failure(core.readNamespacedPod({ name: 'nobody', namespace: NS }));
    expect(h.server.requests.slice(before)).to.deep.equal([
      { verb: 'get', resource: 'pods', namespace: NS, name: 'nobody', user: 'sim-admin', code: 404, path: `/api/v1/namespaces/${NS}/pods/nobody` },
    ]);
  });
});
