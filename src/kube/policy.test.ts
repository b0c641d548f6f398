// The one retry policy, the RBAC rule table against the shipped manifests, redaction, kubeconfig
// problems as configuration errors, and the client's retried writes against a scripted HTTP server.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { connect } from './client.ts';
import { credentialError, loadKubeConfig } from './config.ts';
import { fromHttp, KubeError, parseStatus, redact, toKubeError } from './errors.ts';
import { RBAC_RULES } from './rbac.ts';
import { LABELS } from '../probepod/spec.ts';
import { CANARY_LABELS } from '../freshness/canary.ts';
import { STATE_NAME } from '../repair/state.ts';
import { LOCK_NAME } from '../repair/lock.ts';
import { withRetry, type RetryPolicy } from './retry.ts';
import type { KLease, RepairKubeClient } from './types.ts';

const status = (code: number, reason: string, message: string, extra = {}) => ({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message, ...extra });
const forbidden = (verb: string, resource: string, group: string, ns: string, name?: string) =>
  fromHttp(403, parseStatus(status(403, 'Forbidden', `${resource} is forbidden: User "u" cannot ${verb} resource "${resource}" in API group "${group}" in the namespace "${ns}"`)),
    { verb, resource, namespace: ns, ...(name ? { name } : {}) });

describe('RBAC hints', () => {
  it('name the exact rule and the manifest that holds it: repair rules in rbac-repair.yaml', () => {
    const cases: [KubeError, string][] = [
      [forbidden('create', 'pods/eviction', '', 'kube-system', 'coredns-1'), 'grant create on pods/eviction in namespace kube-system (Role coredns-sentinel-repair in manifests/rbac-repair.yaml)'],
      [forbidden('get', 'leases', 'coordination.k8s.io', 'kube-system', 'coredns-sentinel-repair'), 'grant get on leases coredns-sentinel-repair in namespace kube-system (Role coredns-sentinel-repair in manifests/rbac-repair.yaml)'],
      [forbidden('update', 'configmaps', '', 'kube-system', 'coredns-sentinel-state'), 'grant update on configmaps coredns-sentinel-state in namespace kube-system (Role coredns-sentinel-repair in manifests/rbac-repair.yaml)'],
      [forbidden('get', 'configmaps', '', 'kube-system', 'coredns-sentinel-state'), 'grant get on configmaps coredns-sentinel-state in namespace kube-system (Role coredns-sentinel-repair in manifests/rbac-repair.yaml)'],
      [forbidden('create', 'events', '', 'kube-system'), 'grant create on events in namespace kube-system (Role coredns-sentinel-repair in manifests/rbac-repair.yaml)'],
      [forbidden('patch', 'pods', '', 'kube-system', 'coredns-1'), 'grant patch on pods in namespace kube-system (Role coredns-sentinel-quarantine in manifests/rbac-quarantine.yaml)'],
      [forbidden('get', 'pods/log', '', 'kube-system', 'coredns-1'), 'grant get on pods/log in namespace kube-system (Role coredns-sentinel-repair in manifests/rbac-repair.yaml)'],
      [forbidden('patch', 'deployments', 'apps', 'kube-system', 'coredns'), 'grant patch on deployments coredns in namespace kube-system (Role coredns-sentinel-repair-rollout in manifests/rbac-repair.yaml)'],
      [forbidden('get', 'configmaps', '', 'kube-system', 'coredns'), 'grant get on configmaps coredns in namespace kube-system (Role coredns-sentinel-check-discover in manifests/rbac-check.yaml)'],
      [forbidden('list', 'endpointslices', 'discovery.k8s.io', 'kube-system'), 'grant list on endpointslices in namespace kube-system (Role coredns-sentinel-check-discover in manifests/rbac-check.yaml)'],
      [forbidden('create', 'pods', '', 'default'), 'grant create on pods in namespace default (Role coredns-sentinel-check-probe in manifests/rbac-check.yaml)'],
      [forbidden('get', 'services', '', 'default', 'kubernetes'), 'grant get on services kubernetes in namespace default (Role coredns-sentinel-check-kubernetes-service in manifests/rbac-check.yaml)'],
    ];
    for (const [err, hint] of cases) assert.equal(err.hint, `missing RBAC: ${hint}`);
    const graceful = fromHttp(403, undefined, { verb: 'delete', resource: 'pods', namespace: 'kube-system', name: 'coredns-1', grant: 'repair' });
    assert.match(graceful.hint, /Role coredns-sentinel-repair-delete in manifests\/rbac-repair\.yaml/);
    const quarantined = fromHttp(403, undefined, { verb: 'delete', resource: 'pods', namespace: 'kube-system', name: 'coredns-1', grant: 'quarantine' });
    assert.match(quarantined.hint, /Role coredns-sentinel-quarantine in manifests\/rbac-quarantine\.yaml/);
    const probe = fromHttp(403, undefined, { verb: 'delete', resource: 'pods', namespace: 'default', name: 'coredns-sentinel-probe-x' });
    assert.match(probe.hint, /Role coredns-sentinel-check-probe in manifests\/rbac-check\.yaml/);
  });

  it('name rbac-portforward.yaml for a refused tunnel, get and create (KEP-4006)', () => {
    const err = fromHttp(403, undefined, { verb: 'create', resource: 'pods/portforward', namespace: 'kube-system', name: 'coredns-1' });
    assert.equal(err.hint, 'missing RBAC: grant get and create on pods/portforward in namespace kube-system (Role coredns-sentinel-portforward in manifests/rbac-portforward.yaml)');
  });

  it("name the ClusterRole of rbac-sample.yaml for the conformance sample's cluster-wide lists", () => {
    const clusterScope = (resource: string, group: string) =>
      fromHttp(403, parseStatus(status(403, 'Forbidden', `${resource} is forbidden: User "u" cannot list resource "${resource}" in API group "${group}" at the cluster scope`)), { verb: 'list', resource });
    assert.equal(clusterScope('services', '').hint, 'missing RBAC: grant list on services cluster-wide (ClusterRole coredns-sentinel-sample in manifests/rbac-sample.yaml)');
    assert.equal(clusterScope('endpointslices.discovery.k8s.io', 'discovery.k8s.io').hint, 'missing RBAC: grant list on endpointslices cluster-wide (ClusterRole coredns-sentinel-sample in manifests/rbac-sample.yaml)');
    // The namespaced list of the DNS Service's slices stays the check manifest's.
    assert.match(forbidden('list', 'endpointslices', 'discovery.k8s.io', 'kube-system').hint, /Role coredns-sentinel-check-discover in manifests\/rbac-check\.yaml/);
  });

  it('the rule table is exactly the rules of manifests/rbac-check.yaml, rbac-repair.yaml, rbac-sample.yaml, rbac-quarantine.yaml and rbac-portforward.yaml\'s tunnel', () => {
    const shipped: string[] = [];
    for (const manifest of ['manifests/rbac-check.yaml', 'manifests/rbac-repair.yaml', 'manifests/rbac-sample.yaml', 'manifests/rbac-quarantine.yaml', 'manifests/rbac-portforward.yaml']) {
      for (const doc of parseAllDocuments(readFileSync(manifest, 'utf8'))) {
        const o = doc.toJS() as { kind?: string; metadata?: { name: string }; rules?: { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] }[] } | null;
        if (o?.kind !== 'Role' && o?.kind !== 'ClusterRole') continue;
        for (const r of o.rules ?? [])
          // rbac-portforward.yaml repeats the check manifest's reads; only its tunnel rule is its own.
          for (const g of r.apiGroups) for (const res of r.resources) if (!manifest.endsWith('portforward.yaml') || res === 'pods/portforward') shipped.push(JSON.stringify([manifest, o.metadata!.name, g, res, [...r.verbs].sort(), r.resourceNames ?? []]));
      }
    }
    const table = RBAC_RULES.map((r) => JSON.stringify([r.manifest, r.role, r.apiGroup, r.resource, [...r.verbs].sort(), r.resourceNames ?? []]));
    assert.deepEqual([...table].sort(), [...shipped].sort());
  });
});

/** Every object of a YAML file (placeholders set), or of every file under a folder. */
function manifestObjects(...files: string[]): { kind?: string; metadata?: { name: string; namespace?: string }; [k: string]: unknown }[] {
  return files.flatMap((file) => parseAllDocuments(readFileSync(file, 'utf8').replaceAll('NAMESPACE_OF_PROBES', 'coredns-sentinel')).map((d) => d.toJS() as { kind?: string; metadata?: { name: string; namespace?: string } }).filter((o) => o?.kind));
}

describe('shipped manifests', () => {
  const shipped = ['manifests/rbac-check.yaml', 'manifests/rbac-repair.yaml', 'manifests/rbac-portforward.yaml', 'manifests/rbac-direct.yaml', 'manifests/rbac-sample.yaml', 'manifests/rbac-quarantine.yaml', 'manifests/probe-namespace.yaml', 'manifests/admission-policy.yaml',
    'manifests/deploy/base/namespace.yaml', 'manifests/deploy/base/rbac.yaml', 'manifests/deploy/overlays/repair/rbac-repair.yaml'];

  it('never define one object twice with different content (kubectl apply of one would silently replace the other)', () => {
    const seen = new Map<string, string>();
    const clashes: string[] = [];
    for (const o of manifestObjects(...shipped)) {
      const key = `${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name}`;
      const { metadata: _m, ...content } = o;
      const text = JSON.stringify(content);
      if (seen.has(key) && seen.get(key) !== text) clashes.push(key);
      seen.set(key, text);
    }
    assert.deepEqual(clashes, []);
  });

  it('the dedicated probe namespace: restricted Pod Security, the namespace rbac-check.yaml documents', () => {
    const [ns] = manifestObjects('manifests/probe-namespace.yaml') as { kind: string; metadata: { name: string; labels: Record<string, string> } }[];
    assert.equal(ns?.kind, 'Namespace');
    assert.equal(ns?.metadata.name, 'coredns-sentinel');
    assert.equal(ns?.metadata.labels['pod-security.kubernetes.io/enforce'], 'restricted');
    assert.match(readFileSync('manifests/rbac-check.yaml', 'utf8'), /sed s\/NAMESPACE_OF_PROBES\/coredns-sentinel\/g manifests\/rbac-check\.yaml/);
  });

  describe('the ValidatingAdmissionPolicy (manifests/admission-policy.yaml)', () => {
    type Policy = { kind: string; metadata: { name: string }; spec: Record<string, unknown> & {
      matchConstraints: { resourceRules: { apiGroups: string[]; operations: string[]; resources: string[] }[] };
      matchConditions: { expression: string }[]; variables: { name: string; expression: string }[]; validations: { expression: string; messageExpression: string }[];
      policyName?: string; validationActions?: string[]; failurePolicy?: string } };
    const [policy, binding] = manifestObjects('manifests/admission-policy.yaml') as unknown as Policy[];
    const text = readFileSync('manifests/admission-policy.yaml', 'utf8');
    const accounts = [...manifestObjects('manifests/rbac-check.yaml', 'manifests/deploy/base/namespace.yaml')].filter((o) => o.kind === 'ServiceAccount').map((o) => `system:serviceaccount:${o.metadata!.namespace}:${o.metadata!.name}`);

    it('admissionregistration.k8s.io/v1 (1.30+), bound with Deny, failing closed', () => {
      assert.equal(policy?.kind, 'ValidatingAdmissionPolicy');
      assert.equal(binding?.kind, 'ValidatingAdmissionPolicyBinding');
      assert.match(text, /^apiVersion: admissionregistration\.k8s\.io\/v1$/m);
      assert.doesNotMatch(text, /v1beta1|v1alpha1/);
      assert.equal(binding?.spec.policyName, policy?.metadata.name);
      assert.deepEqual(binding?.spec.validationActions, ['Deny']);
      assert.equal(policy?.spec.failurePolicy, 'Fail');
    });

    it("applies to the tool's ServiceAccounts only: rbac-check.yaml's (in the dedicated namespace) and manifests/deploy's", () => {
      assert.equal(accounts.length, 2);
      for (const account of accounts) assert.ok(policy!.spec.matchConditions[0]!.expression.includes(`'${account}'`), account);
    });

    it('matches every write RBAC cannot narrow: pod and Service deletes, evictions, creates of pods, Services, ConfigMaps and Leases', () => {
      const matched = policy!.spec.matchConstraints.resourceRules.flatMap((r) => r.operations.flatMap((op) => r.resources.map((res) => `${op} ${res}`)));
      for (const write of ['DELETE pods', 'DELETE services', 'CREATE pods/eviction', 'CREATE pods', 'CREATE services', 'CREATE configmaps', 'CREATE leases']) assert.ok(matched.includes(write), write);
    });

    it("names exactly the product's own labels and object names", () => {
      const cel = JSON.stringify([policy!.spec.variables, policy!.spec.validations]);
      assert.ok(cel.includes(`'${LABELS.managedBy}'`) && cel.includes("== 'coredns-sentinel'"), 'the managed-by label of probe pods and canaries');
      assert.equal(CANARY_LABELS['app.kubernetes.io/managed-by'], 'coredns-sentinel');
      assert.ok(cel.includes(`'${STATE_NAME}'`), STATE_NAME);
      assert.ok(cel.includes(`'${LOCK_NAME}'`), LOCK_NAME);
      assert.ok(cel.includes("variables.labels['k8s-app'] == 'kube-dns'"), 'DNS pods by the default selector');
      assert.ok(cel.includes("request.subResource != 'eviction'"), 'evictions limited');
    });
  });
});

describe('error lines', () => {
  it('start with the request, then what happened, then what to do — on one line', () => {
    const err = toKubeError({ code: 503, body: JSON.stringify(status(503, 'ServiceUnavailable', 'the server is\ncurrently unable')) }, { verb: 'list', resource: 'pods', namespace: 'kube-system' });
    assert.equal(err.line, 'list pods in namespace kube-system: the API server failed (HTTP 503): the server is currently unable — check the API server\'s health and run again');
    const reset = toKubeError(Object.assign(new Error('request to https://127.0.0.1/x failed, reason: socket hang up'), { code: 'ECONNRESET' }), { verb: 'get', resource: 'leases', namespace: 'kube-system', name: 'l' });
    assert.equal(reset.kind, 'unreachable');
    assert.match(reset.line, /^get leases l in namespace kube-system: the connection to the API server was reset \(ECONNRESET\) — /);
  });

  it('never carry bearer tokens or known secrets; opaque mode removes token-like words', () => {
    assert.equal(redact('sent Authorization: Bearer abc.def-123 to x'), 'sent Authorization: Bearer [redacted] to x');
    assert.equal(redact('token s3cr3t-value here', ['s3cr3t-value']), 'token [redacted] here');
    const token = 'f3a9c1e0b7d24c6a9e8f0a1b2c3d4e5f60718293a4b5c6d7';
    assert.equal(redact(`error: could not refresh ${token}: expired`, [], true), 'error: could not refresh [redacted] expired');
    assert.equal(redact('pod coredns-sentinel-probe-abcde is gone', [], true), 'pod coredns-sentinel-probe-abcde is gone');
  });
});

describe('the retry policy', () => {
  const policy: RetryPolicy = { attempts: 4, baseDelayMs: 100, maxDelayMs: 1000 };
  const ctx = { verb: 'get', resource: 'leases', namespace: 'n', name: 'l' };
  /** A virtual clock: sleeps advance it, so budgets are tested without waiting. */
  const clock = () => {
    let t = 0;
    const waits: number[] = [];
    return { waits, now: () => t, sleep: async (ms: number) => { waits.push(ms); t += ms; } };
  };
  const failing = (errors: unknown[], value = 'ok') => {
    let n = 0;
    return { calls: () => n, run: async () => { const e = errors[n++]; if (e !== undefined) throw e; return value; } };
  };
  const map = (e: unknown) => toKubeError(e, ctx);

  it('retries 5xx, 429 and resets with exponential backoff and succeeds', async () => {
    const c = clock();
    const f = failing([{ code: 500, body: '' }, Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), { code: 502, body: '' }]);
    assert.equal(await withRetry(policy, 10_000, f.run, map, c), 'ok');
    assert.deepEqual(c.waits, [100, 200, 400]);
  });

  it('waits what Retry-After says', async () => {
    const c = clock();
    const f = failing([{ code: 429, body: JSON.stringify(status(429, 'TooManyRequests', 'slow down')), headers: { 'retry-after': '2' } }]);
    assert.equal(await withRetry(policy, 10_000, f.run, map, c), 'ok');
    assert.deepEqual(c.waits, [2000]);
  });

  it('stops when the next wait would pass the request budget, saying so', async () => {
    const c = clock();
    const f = failing([{ code: 429, body: '', headers: { 'retry-after': '30' } }]);
    await assert.rejects(withRetry(policy, 5000, f.run, map, c), /1 attempt in 0\.0 s; the server asked to wait 30 s, past the request timeout/);
    const d = clock();
    const g = failing(Array(10).fill({ code: 503, body: '' }));
    await assert.rejects(withRetry(policy, 250, g.run, map, d), /2 attempts/);
    assert.equal(g.calls(), 2, '100 ms fits in 250 ms, 100 + 200 does not');
  });

  it('each attempt is bounded by what is left of the budget', async () => {
    const c = clock();
    const bounds: number[] = [];
    await withRetry(policy, 1000, async (a) => { bounds.push(a.timeoutMs); if (a.n < 3) throw { code: 503, body: '' }; return 1; }, map, c);
    assert.deepEqual(bounds, [1000, 900, 700]);
  });

  it('never retries 4xx; settle turns an earlier attempt\'s effect into success', async () => {
    for (const code of [400, 401, 403, 404, 409, 422]) {
      const f = failing([{ code, body: '' }]);
      await assert.rejects(withRetry(policy, 10_000, f.run, map, clock()), KubeError);
      assert.equal(f.calls(), 1, `HTTP ${code}`);
    }
    const f = failing([{ code: 503, body: '' }, { code: 409, body: '' }]);
    assert.equal(await withRetry(policy, 10_000, f.run, map, { ...clock(), settle: async (e) => (e.kind === 'conflict' ? 'ours' : undefined) }), 'ours');
    const first = failing([{ code: 409, body: '' }]);
    await assert.rejects(withRetry(policy, 10_000, first.run, map, { ...clock(), settle: async () => 'never on a first attempt' }), /conflict/);
  });
});

describe('kubeconfig problems are configuration errors with their cause', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'sentinel-kubeconfig-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, text: string, mode = 0o600) => {
    const path = join(dir, name);
    writeFileSync(path, text, { mode });
    return path;
  };
  const kubeconfig = (user: Record<string, unknown>, context: { cluster?: string; user?: string } = {}) => `apiVersion: v1
kind: Config
clusters: [{ name: c, cluster: { server: "https://127.0.0.1:1" } }]
users: [{ name: u, user: ${JSON.stringify(user)} }]
contexts: [{ name: x, context: { cluster: ${context.cluster ?? 'c'}, user: ${context.user ?? 'u'} } }]
current-context: x
`;
  const configLine = (fn: () => unknown): string => {
    try {
      fn();
    } catch (err) {
      assert.ok(err instanceof KubeError, String(err));
      assert.equal(err.kind, 'config');
      assert.doesNotMatch(err.line, /\n/);
      return err.line;
    }
    assert.fail('no error');
  };

  it('empty, missing, unknown context, unknown user or cluster, missing plugin', () => {
    assert.match(configLine(() => loadKubeConfig({ kubeconfig: write('empty', '\n') })), /kubeconfig .*empty is empty — /);
    assert.match(configLine(() => loadKubeConfig({ kubeconfig: join(dir, 'nope') })), /kubeconfig .*nope does not exist/);
    const good = write('good', kubeconfig({ token: 't0k3n-value' }));
    assert.match(configLine(() => loadKubeConfig({ kubeconfig: good, context: 'y' })), /context "y" not found in the kubeconfig — use one of: x/);
    assert.match(configLine(() => loadKubeConfig({ kubeconfig: write('nouser', kubeconfig({ token: 't' }, { user: 'ghost' })) })), /context "x" names user "ghost", which the kubeconfig does not define/);
    assert.match(configLine(() => loadKubeConfig({ kubeconfig: write('nocluster', kubeconfig({ token: 't' }, { cluster: 'gone' })) })), /context "x" names cluster "gone", which the kubeconfig does not define/);
    const missing = write('noplugin', kubeconfig({ exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'sentinel-no-such-plugin', installHint: 'install it from example.org\nsecond line' } }));
    assert.equal(configLine(() => loadKubeConfig({ kubeconfig: missing })), 'exec credential plugin "sentinel-no-such-plugin" of user "u" not found on PATH — install it from example.org');
    const saved = process.env.KUBECONFIG;
    try {
      process.env.KUBECONFIG = `${join(dir, 'a')}:${join(dir, 'b')}`;
      assert.match(configLine(() => loadKubeConfig({})), /no file listed in \$KUBECONFIG exists/);
      process.env.KUBECONFIG = `${join(dir, 'a')}:${good}`;
      assert.equal(loadKubeConfig({}).getCurrentContext(), 'x', 'missing files in $KUBECONFIG are skipped');
    } finally {
      if (saved === undefined) delete process.env.KUBECONFIG;
      else process.env.KUBECONFIG = saved;
    }
  });

  it('a server that is no https URL, or CA data that is no certificate: a configuration error naming the field', () => {
    const withCluster = (cluster: string) => kubeconfig({ token: 't' }).replace('{ server: "https://127.0.0.1:1" }', cluster);
    const cases: [string, RegExp][] = [
      ['{ server: "http://127.0.0.1:8001" }', /^cluster "c" of the kubeconfig: clusters\[\]\.cluster\.server "http:\/\/127\.0\.0\.1:8001" is not an https:\/\/ URL — /],
      ['{ server: "https//127.0.0.1:6443" }', /clusters\[\]\.cluster\.server "https\/\/127\.0\.0\.1:6443" is not a URL/],
      ['{ server: "https://127.0.0.1:6443", certificate-authority-data: "bm90IGEgY2VydGlmaWNhdGU=" }', /clusters\[\]\.cluster\.certificate-authority-data is not a base64-encoded PEM certificate/],
      ['{ server: "https://127.0.0.1:6443", certificate-authority-data: "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCmdhcmJhZ2UKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo=" }', /certificate-authority-data is not a base64-encoded PEM certificate/],
    ];
    for (const [cluster, expected] of cases) {
      const err = (() => {
        try {
          loadKubeConfig({ kubeconfig: write(`cluster-${cases.findIndex(([c]) => c === cluster)}`, withCluster(cluster)) });
        } catch (e) {
          return e as KubeError;
        }
        return undefined;
      })();
      assert.equal(err?.kind, 'config', cluster);
      assert.match(err.line, expected);
    }
    // A test server over plain http with insecure-skip-tls-verify stays usable (the retried-writes tests below).
    assert.equal(loadKubeConfig({ kubeconfig: write('plain', withCluster('{ server: "http://127.0.0.1:1", insecure-skip-tls-verify: true }')) }).getCurrentContext(), 'x');
  });

  it('an exec plugin that prints a raw token or fails printing it: the cause, never the token', async () => {
    const token = 'k8s-aws-v1.aHR0cHM6Ly9zdHMuYW1hem9uYXdzLmNvbS8_QWN0aW9uPUdldENhbGxlcklkZW50aXR5';
    const raw = write('raw.sh', `#!/bin/sh\necho '${token}'\n`, 0o700);
    const fails = write('fails.sh', `#!/bin/sh\necho "refresh failed for ${token}" >&2\necho '${token}'\nexit 1\n`, 0o700);
    for (const [script, expected] of [[raw, /printed no ExecCredential JSON on stdout/], [fails, /failed \(exit code 1\)/]] as const) {
      const kc = loadKubeConfig({ kubeconfig: write(`kc-${expected.source.length}`, kubeconfig({ exec: { apiVersion: 'client.authentication.k8s.io/v1', command: script } })) });
      const err = await kc.applyToHTTPSOptions({}).then(() => undefined, (e: unknown) => credentialError(e, kc));
      assert.ok(err, 'the plugin error is recognized');
      assert.equal(err.kind, 'config');
      assert.match(err.line, expected);
      assert.ok(!err.line.includes(token) && !err.line.includes(token.slice(0, 12)) && !err.line.includes('refresh failed'), err.line);
    }
  });
});

/** A scripted API server: each request takes the next answer for its method and path. */
class ScriptedApi {
  readonly seen: string[] = [];
  private readonly answers = new Map<string, ((req: IncomingMessage, body: string, res: ServerResponse) => void)[]>();
  private server!: Server;
  url = '';

  on(key: string, ...answers: ((req: IncomingMessage, body: string, res: ServerResponse) => void)[]): void {
    this.answers.set(key, [...(this.answers.get(key) ?? []), ...answers]);
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d));
      req.on('end', () => {
        const key = `${req.method} ${req.url?.split('?')[0]}`;
        this.seen.push(key);
        const next = this.answers.get(key)?.shift();
        if (next) next(req, body, res);
        else json(404, status(404, 'NotFound', `no answer scripted for ${key}`))(req, body, res);
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const json = (code: number, obj: unknown) => (_req: IncomingMessage, _body: string, res: ServerResponse) =>
  res.writeHead(code, { 'Content-Type': 'application/json' }).end(JSON.stringify(obj));
const reset = (req: IncomingMessage) => req.socket.destroy();
const echo = (code: number, mutate: (o: Record<string, unknown>) => void = () => undefined) => (_req: IncomingMessage, body: string, res: ServerResponse) => {
  const o = JSON.parse(body) as Record<string, unknown>;
  mutate(o);
  json(code, o)(_req, body, res);
};

describe('retried writes settle on their own effect', () => {
  const api = new ScriptedApi();
  let dir: string;
  let client: RepairKubeClient;
  before(async () => {
    await api.start();
    dir = mkdtempSync(join(tmpdir(), 'sentinel-scripted-'));
    const path = join(dir, 'kubeconfig');
    writeFileSync(path, `apiVersion: v1
kind: Config
clusters: [{ name: c, cluster: { server: "${api.url}", insecure-skip-tls-verify: true } }]
users: [{ name: u, user: { token: "scripted-token-0123456789" } }]
contexts: [{ name: x, context: { cluster: c, user: u, namespace: ns } }]
current-context: x
`);
    client = connect({ kubeconfig: path, requestTimeoutMs: 5000 }).client;
  });
  after(async () => {
    await api.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const evictPath = 'POST /api/v1/namespaces/ns/pods/p/eviction';
  it('eviction: 503 then NotFound (the first attempt evicted it) → evicted; a reset then success → evicted', async () => {
    api.on(evictPath, json(503, status(503, 'ServiceUnavailable', 'busy')), json(404, status(404, 'NotFound', 'pods "p" not found')));
    assert.deepEqual(await client.evictPod('ns', 'p', 'uid-1'), { evicted: true });
    api.on(evictPath, reset, json(201, status(201, 'Success', '')));
    assert.deepEqual(await client.evictPod('ns', 'p', 'uid-1'), { evicted: true });
    api.on(evictPath, json(404, status(404, 'NotFound', 'pods "p" not found')));
    await assert.rejects(client.evictPod('ns', 'p', 'uid-1'), (e: KubeError) => e.kind === 'not-found', 'a first-attempt 404 is the caller\'s business');
  });

  it('eviction: a PodDisruptionBudget 429 is an answer, never retried', async () => {
    const before = api.seen.length;
    api.on(evictPath, json(429, status(429, 'TooManyRequests', 'Cannot evict pod as it would violate the pod\'s disruption budget.', {
      details: { causes: [{ reason: 'DisruptionBudget', message: 'The disruption budget coredns needs 2 healthy pods and has 2 currently' }] } })));
    const result = await client.evictPod('ns', 'p', 'uid-1');
    assert.equal(result.evicted, false);
    assert.equal(api.seen.length - before, 1);
  });

  const leasePath = 'PUT /apis/coordination.k8s.io/v1/namespaces/ns/leases/l';
  const getLease = 'GET /apis/coordination.k8s.io/v1/namespaces/ns/leases/l';
  const claim: KLease = { name: 'l', namespace: 'ns', holderIdentity: 'me', renewTime: '2026-01-01T00:00:00.000000Z', leaseDurationSeconds: 15, resourceVersion: '5' };
  it('lease update: 503 then Conflict, and the stored Lease holds our claim → ours', async () => {
    api.on(leasePath, json(503, status(503, 'ServiceUnavailable', 'busy')), json(409, status(409, 'Conflict', 'the object has been modified')));
    api.on(getLease, json(200, { metadata: { name: 'l', namespace: 'ns', resourceVersion: '6' }, spec: { holderIdentity: 'me', renewTime: '2026-01-01T00:00:00.000000Z', leaseDurationSeconds: 15 } }));
    const lease = await client.replaceLease(claim);
    assert.equal(lease.resourceVersion, '6');
  });

  it('lease update: 503 then Conflict, and someone else holds it → the Conflict stands; a first Conflict is never retried', async () => {
    api.on(leasePath, json(503, status(503, 'ServiceUnavailable', 'busy')), json(409, status(409, 'Conflict', 'the object has been modified')));
    api.on(getLease, json(200, { metadata: { name: 'l', namespace: 'ns', resourceVersion: '7' }, spec: { holderIdentity: 'other', renewTime: '2026-01-01T00:00:01.000000Z' } }));
    await assert.rejects(client.replaceLease(claim), (e: KubeError) => e.kind === 'conflict');
    const before = api.seen.length;
    api.on(leasePath, json(409, status(409, 'Conflict', 'the object has been modified')));
    await assert.rejects(client.replaceLease(claim), (e: KubeError) => e.kind === 'conflict' && /^update leases l in namespace ns: /.test(e.line));
    assert.equal(api.seen.length - before, 1);
  });

  it('pod create: the name is chosen before the request; 500 then AlreadyExists of our own pod → that pod', async () => {
    let sentName = '';
    api.on('POST /api/v1/namespaces/ns/pods', (req, body, res) => {
      sentName = (JSON.parse(body) as { metadata: { name: string } }).metadata.name;
      json(500, status(500, 'InternalError', 'etcd timeout'))(req, body, res);
    }, json(409, status(409, 'AlreadyExists', 'pods already exists')));
    const labels = { 'coredns-sentinel/run-id': 'r1' };
    const created = client.createPod({ apiVersion: 'v1', kind: 'Pod', metadata: { generateName: 'probe-', namespace: 'ns', labels }, spec: {} });
    // The GET's path holds the generated name: answer it once the create was seen.
    for (let i = 0; i < 100 && !sentName; i++) await new Promise((r) => setTimeout(r, 10));
    assert.match(sentName, /^probe-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    api.on(`GET /api/v1/namespaces/ns/pods/${sentName}`, json(200, { metadata: { name: sentName, namespace: 'ns', uid: 'u1', labels }, spec: {}, status: { phase: 'Pending' } }));
    const pod = await created;
    assert.equal(pod.name, sentName);
    assert.equal(pod.uid, 'u1');
  });

  it('reads survive a reset; the error after the budget names the request and the attempts', async () => {
    api.on('GET /api/v1/namespaces/ns/configmaps/cm', reset, json(200, { metadata: { name: 'cm', namespace: 'ns' }, data: { a: 'b' } }));
    assert.deepEqual((await client.getConfigMap('ns', 'cm')).data, { a: 'b' });
    api.on('GET /api/v1/namespaces/ns/configmaps/cm', ...Array(4).fill(json(503, status(503, 'ServiceUnavailable', 'busy'))));
    await assert.rejects(client.getConfigMap('ns', 'cm'), (e: KubeError) => {
      assert.match(e.line, /^get configmaps cm in namespace ns: the API server failed \(HTTP 503\): busy \(4 attempts in \d\.\d s\) — /);
      assert.ok(!e.line.includes('scripted-token'));
      return true;
    });
  });

  it('watch: a 500 establishing the stream is retried; the next stream delivers the pod', async () => {
    const path = 'GET /api/v1/namespaces/ns/pods';
    api.on(path, json(500, status(500, 'InternalError', 'etcd leader changed')), (_req, _body, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(`${JSON.stringify({ type: 'MODIFIED', object: { metadata: { name: 'w', namespace: 'ns', resourceVersion: '9' }, spec: {}, status: { phase: 'Running' } } })}\n`);
    });
    const before = api.seen.length;
    const outcome = await client.watchPod('ns', 'w', '1', (p) => p.phase === 'Running', 5000);
    assert.equal(outcome.pod?.phase, 'Running');
    assert.equal(outcome.timedOut, false);
    assert.equal(api.seen.length - before, 2);
    api.on(path, json(403, status(403, 'Forbidden', 'pods is forbidden: User "u" cannot watch resource "pods" in API group "" in the namespace "ns"')));
    await assert.rejects(client.watchPod('ns', 'w', '1', () => true, 5000), (e: KubeError) =>
      e.kind === 'forbidden' && /^watch pods w in namespace ns: .* — missing RBAC: grant watch on pods in namespace ns \(Role coredns-sentinel-check-probe/.test(e.line));
  });

  it('watch with siblings: one stream of the label selector from the current state; other pods are reported, their deletion does not end it', async () => {
    let query: URLSearchParams | undefined;
    const pod = (name: string, phase: string, rv: string) => ({ metadata: { name, namespace: 'ns', resourceVersion: rv }, spec: {}, status: { phase } });
    api.on('GET /api/v1/namespaces/ns/pods', (req, _body, res) => {
      query = new URL(req.url ?? '', 'http://x').searchParams;
      res.writeHead(200, { 'Content-Type': 'application/json' });
      const events = [['ADDED', pod('old', 'Running', '3')], ['ADDED', pod('w', 'Pending', '5')], ['DELETED', pod('old', 'Running', '6')], ['MODIFIED', pod('w', 'Running', '7')]];
      res.end(events.map(([type, object]) => `${JSON.stringify({ type, object })}\n`).join(''));
    });
    const others: string[] = [];
    const before = api.seen.length;
    const outcome = await client.watchPod('ns', 'w', '5', (p) => p.phase === 'Running', 5000, { labelSelector: 'app=probe', seen: (p) => others.push(`${p.name} ${p.phase}`) });
    assert.equal(outcome.pod?.phase, 'Running');
    assert.equal(outcome.deleted, false);
    assert.deepEqual(others, ['old Running']);
    assert.equal(api.seen.length - before, 1);
    assert.equal(query?.get('labelSelector'), 'app=probe');
    assert.equal(query?.get('fieldSelector'), null);
    assert.equal(query?.get('resourceVersion'), null, 'from the current state: the synthetic ADDED events list the siblings');
  });

  it('event create is named, so a retry meeting AlreadyExists does not record it twice', async () => {
    // The first POST is stored but its answer lost (503); the retry meets the stored Event.
    const names: string[] = [];
    const named = (answer: (req: IncomingMessage, body: string, res: ServerResponse) => void) => (req: IncomingMessage, body: string, res: ServerResponse) => {
      names.push(String((JSON.parse(body) as { metadata?: { name?: string } }).metadata?.name ?? ''));
      answer(req, body, res);
    };
    api.on('POST /api/v1/namespaces/ns/events', named(echo(503)), named(json(409, status(409, 'AlreadyExists', 'exists'))));
    const before = api.seen.length;
    await client.createEvent({ namespace: 'ns', involved: { kind: 'Pod', name: 'p', apiVersion: 'v1' }, reason: 'R', type: 'Normal', message: 'm' });
    assert.equal(api.seen.length - before, 2, 'one retry, no third create');
    assert.equal(names.length, 2);
    assert.match(names[0]!, /^p\.sentinel-[a-z0-9]+$/, 'the Event is named by the client (<object>.<suffix>), not generateName');
    assert.equal(names[1], names[0], 'the retry sends the same name, so AlreadyExists means it was recorded');
  });

  it("a refused list of this tool's own canaries or probe pods names the probe Role, not discovery's (both grant list)", async () => {
    const refuse = (resource: string) => json(403, status(403, 'Forbidden', `${resource} is forbidden: User "u" cannot list resource "${resource}" in API group "" in the namespace "ns"`));
    api.on('GET /api/v1/namespaces/ns/services', refuse('services'), refuse('services'));
    await assert.rejects(client.listServices('ns', 'app.kubernetes.io/managed-by=coredns-sentinel,coredns-sentinel/role=freshness-canary'), (e: KubeError) => /\(Role coredns-sentinel-check-probe in manifests\/rbac-check\.yaml\)$/.test(e.hint));
    await assert.rejects(client.listServices('ns', ''), (e: KubeError) => /\(Role coredns-sentinel-check-discover in manifests\/rbac-check\.yaml\)$/.test(e.hint), 'the DNS Service lookup stays discovery\'s');
    api.on('GET /api/v1/namespaces/ns/pods', refuse('pods'));
    await assert.rejects(client.listPods('ns', 'app.kubernetes.io/managed-by=coredns-sentinel,app.kubernetes.io/component=probe'), (e: KubeError) => /Role coredns-sentinel-check-probe/.test(e.hint));
  });

  it('an Event message carries no control character of cluster text (a DNS pod log quoted in SentinelEscalation)', async () => {
    let sent = '';
    api.on('POST /api/v1/namespaces/ns/events', (req, body, res) => {
      sent = (JSON.parse(body) as { message: string }).message;
      echo(201)(req, body, res);
    });
    await client.createEvent({ namespace: 'ns', involved: { kind: 'Pod', name: 'p', apiVersion: 'v1' }, reason: 'SentinelEscalation', type: 'Warning', message: 'manual intervention required: [FATAL] \x1b[2Jplugin/loop\r\nok' });
    assert.equal(sent, 'manual intervention required: [FATAL] \\x1b[2Jplugin/loop\\x0d\\x0aok');
  });
});
