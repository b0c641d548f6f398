import assert from 'node:assert/strict';
import { Interrupted } from '../common/abort.ts';
import type { ExecRequest, KPod, KubeClient, PodManifest } from '../kube/index.ts';
import { PLAN_SCHEMA, REPORT_SCHEMA, type CheckPlan } from '../probe/contract.ts';
import { buildProbePod, hasSleep, nodeBinary, parseToleration, probeCommand, probeImageMode, tolerationsFor, type ProbePodOptions } from './spec.ts';
import { capacityWait, imagePullCause, injectedContainers, parseProbeOutput, podProgress, probeExitError, ProbePodError, readPodNameserver, refusalHint, stalePods, startTimeoutHint } from './lifecycle.ts';

const PLAN: CheckPlan = {
  schema: PLAN_SCHEMA,
  targets: [{ id: 'service', address: '10.96.0.10', port: 53, kind: 'service', label: 'service kube-dns' }],
  queries: [{ id: 'q', name: 'a.example', type: 'A', expect: {} }],
  transports: ['udp'],
  samples: 1,
  timeoutMs: 100,
  concurrency: 1,
};

/** "100m" → 0.1, "64Mi" → 67108864: enough of resource.Quantity for the ratios. */
const parseQuantity = (q: string): number => {
  const m = /^(\d+)(m|Ki|Mi|Gi)?$/.exec(q);
  assert.ok(m, q);
  return Number(m[1]) * ({ m: 1e-3, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30 }[m[2] as 'm'] ?? 1);
};

const options: ProbePodOptions = {
  namespace: 'sentinel',
  image: 'node:22-alpine',
  runId: 'abc123',
  plan: PLAN,
  probeSource: 'console.log(1)',
  deadlineSeconds: 120,
  nodeSelector: {},
  tolerations: [],
  imagePullSecrets: [],
};

const basePod = (over: Partial<KPod> = {}): KPod => ({
  name: 'coredns-sentinel-probe-x',
  namespace: 'sentinel',
  uid: 'u',
  resourceVersion: '1',
  labels: { 'app.kubernetes.io/managed-by': 'coredns-sentinel' },
  ownerReferences: [],
  nodeName: 'node-1',
  phase: 'Pending',
  podIPs: [],
  conditions: [],
  containerStatuses: [],
  ...over,
});

describe('probe pod spec', () => {
  it('meets Pod Security "restricted" and carries the labels, deadline and no token', () => {
    const pod = buildProbePod(options);
    const spec = pod.spec as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    const container = spec.containers[0];
    assert.deepEqual(container.securityContext, {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      runAsUser: 65534,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    assert.equal(spec.securityContext.runAsNonRoot, true);
    assert.equal(spec.automountServiceAccountToken, false);
    assert.equal(spec.enableServiceLinks, false);
    assert.equal(spec.restartPolicy, 'Never');
    assert.equal(spec.activeDeadlineSeconds, 120);
    assert.equal(spec.terminationGracePeriodSeconds, 0);
    // Within LimitRanges' maxLimitRequestRatio 2 for every resource; ephemeral storage requested for quotas.
    for (const [resource, limit] of Object.entries(container.resources.limits as Record<string, string>)) {
      const ratio = parseQuantity(limit) / parseQuantity(container.resources.requests[resource]);
      assert.ok(ratio >= 1 && ratio <= 2, `${resource}: limit/request ${ratio}`);
    }
    assert.deepEqual(Object.keys(container.resources.requests).sort(), ['cpu', 'ephemeral-storage', 'memory']);
    assert.equal(pod.metadata.generateName, 'coredns-sentinel-probe-');
    assert.deepEqual(pod.metadata.labels, {
      'app.kubernetes.io/name': 'coredns-sentinel-probe',
      'app.kubernetes.io/managed-by': 'coredns-sentinel',
      'coredns-sentinel/run-id': 'abc123',
      'sidecar.istio.io/inject': 'false',
    });
    assert.deepEqual(spec.nodeSelector, { 'kubernetes.io/os': 'linux' }, 'Linux nodes only, always');
    assert.equal(spec.affinity, undefined);
    assert.equal(spec.securityContext.runAsUser, 65534);
  });

  it('on OpenShift leaves the UID and GID to the namespace\'s SCC', () => {
    const spec = buildProbePod({ ...options, sccAssignsIds: true }).spec as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.deepEqual(spec.securityContext, { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    assert.equal(spec.containers[0].securityContext.runAsUser, undefined);
    assert.equal(spec.containers[0].securityContext.runAsNonRoot, true);
  });

  it('opts out of Istio and Linkerd sidecar injection', () => {
    const pod = buildProbePod(options);
    assert.equal(pod.metadata.labels['sidecar.istio.io/inject'], 'false');
    assert.equal(pod.metadata.annotations?.['sidecar.istio.io/inject'], 'false');
    assert.equal(pod.metadata.annotations?.['linkerd.io/inject'], 'disabled');
  });

  it('carries the plan in an annotation the container reads as a file (a downwardAPI volume), the volumes "restricted" allows', () => {
    const pod = buildProbePod(options);
    const spec = pod.spec as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.deepEqual(JSON.parse(pod.metadata.annotations!['coredns-sentinel/plan']!), PLAN);
    const plan = spec.volumes.find((v: { downwardAPI?: unknown }) => v.downwardAPI);
    assert.deepEqual(plan.downwardAPI.items, [{ path: 'plan.json', fieldRef: { fieldPath: "metadata.annotations['coredns-sentinel/plan']" } }]);
    assert.deepEqual(spec.containers[0].volumeMounts.find((m: { name: string }) => m.name === plan.name), { name: plan.name, mountPath: '/etc/coredns-sentinel', readOnly: true });
    // Pod Security "restricted" allows these volume types only (and OpenShift's restricted-v2 SCC the same).
    const allowed = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret'];
    for (const v of spec.volumes) assert.ok(Object.keys(v).some((k) => allowed.includes(k)), JSON.stringify(v));
  });

  it('a pod that runs no plan carries no plan annotation', () => {
    const { plan: _plan, ...noPlan } = options;
    assert.equal(buildProbePod(noPlan).metadata.annotations?.['coredns-sentinel/plan'], undefined);
  });

  it('keeps a stock node image alive and hands it the probe source by env', () => {
    const container = (buildProbePod(options).spec as Record<string, any>).containers[0]; // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.deepEqual(container.command, ['sleep', '120']);
    assert.deepEqual(container.env, [{ name: 'SENTINEL_PROBE_JS', value: 'console.log(1)' }]);
    assert.deepEqual(probeCommand('node:22-alpine'), ['node', '--lite-mode', '--max-semi-space-size=1', '-e', 'eval(process.env.SENTINEL_PROBE_JS)', '--', '--plan-file', '/etc/coredns-sentinel/plan.json']);
  });

  it('idles with sleep only in images known to have it', () => {
    for (const image of ['node', 'node:22-alpine', 'node:20-bookworm-slim', 'docker.io/library/node:24', 'library/node@sha256:' + '0'.repeat(64), 'index.docker.io/library/node:22']) assert.equal(hasSleep(image), true, image);
    for (const image of ['cgr.dev/chainguard/node:latest', 'registry.corp/node:22', 'docker.io/library/nodejs:22', 'mynode:1']) {
      assert.equal(hasSleep(image), false, image);
      const container = (buildProbePod({ ...options, image }).spec as Record<string, any>).containers[0]; // eslint-disable-line @typescript-eslint/no-explicit-any
      assert.deepEqual(container.command, ['node', '-e', 'setTimeout(() => {}, 120000)'], image);
    }
  });

  it('names node by its path in distroless images, which keep it off PATH and have no sleep', () => {
    for (const image of ['gcr.io/distroless/nodejs22-debian12', 'gcr.io/distroless/nodejs20-debian12:nonroot', 'mirror.corp:5000/distroless/nodejs22-debian12@sha256:' + '0'.repeat(64), 'gcr.io/distroless/nodejs']) {
      assert.equal(nodeBinary(image), '/nodejs/bin/node', image);
      const container = (buildProbePod({ ...options, image }).spec as Record<string, any>).containers[0]; // eslint-disable-line @typescript-eslint/no-explicit-any
      assert.deepEqual(container.command, ['/nodejs/bin/node', '-e', 'setTimeout(() => {}, 120000)'], image);
      assert.deepEqual(probeCommand(image).slice(0, 4), ['/nodejs/bin/node', '--lite-mode', '--max-semi-space-size=1', '-e'], image);
    }
    for (const image of ['node:22-alpine', 'cgr.dev/chainguard/node', 'gcr.io/distroless/static-debian12', 'registry.corp/nodejs22-debian12']) assert.equal(nodeBinary(image), 'node', image);
  });

  it('idles the dedicated probe image and execs its bundled probe', () => {
    const image = 'ghcr.io/coredns-sentinel/probe:1.0';
    assert.equal(probeImageMode(image), 'dedicated');
    assert.equal(probeImageMode('docker.io/library/node:20'), 'inline');
    const container = (buildProbePod({ ...options, image, probeSource: undefined }).spec as Record<string, any>).containers[0]; // eslint-disable-line @typescript-eslint/no-explicit-any
    // The image's entrypoint is the probe itself, which would run no plan and exit: a distroless node idles instead.
    assert.deepEqual(container.command, ['/nodejs/bin/node', '-e', 'setTimeout(() => {}, 120000)']);
    assert.equal(container.args, undefined);
    assert.equal(container.env, undefined);
    assert.deepEqual(probeCommand(image), ['/nodejs/bin/node', '--lite-mode', '--max-semi-space-size=1', '/probe/probe.cjs', '--plan-file', '/etc/coredns-sentinel/plan.json']);
  });

  it('pins by metadata.name (not the hostname label), tolerating exactly that node\'s taints', () => {
    const node = { name: 'ip-10-0-1-5.ec2.internal', taints: [
      { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' },
      { key: 'dedicated', value: 'dns', effect: 'NoExecute' },
      { key: 'soft', effect: 'PreferNoSchedule' },
    ] };
    const spec = buildProbePod({
      ...options,
      node,
      nodeSelector: { pool: 'infra' },
      tolerations: [parseToleration('dedicated=infra:NoSchedule')!],
      imagePullSecrets: ['regcred'],
    }).spec;
    assert.deepEqual(spec.nodeSelector, { 'kubernetes.io/os': 'linux', pool: 'infra' });
    assert.deepEqual(spec.affinity, { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['ip-10-0-1-5.ec2.internal'] }] }] } } });
    assert.deepEqual(spec.tolerations, [
      { key: 'dedicated', operator: 'Equal', value: 'infra', effect: 'NoSchedule' },
      { key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'dedicated', operator: 'Equal', value: 'dns', effect: 'NoExecute' },
    ]);
    assert.deepEqual(tolerationsFor({ name: 'n', taints: [] }), []);
    assert.deepEqual(spec.imagePullSecrets, [{ name: 'regcred' }]);
    assert.deepEqual(parseToleration('gpu'), { key: 'gpu', operator: 'Exists' });
    assert.equal(parseToleration('bad key=x'), undefined);
  });
});

describe('podProgress', () => {
  it('waits while Pending and reports Running', () => {
    assert.equal(podProgress(basePod()), 'pending');
    assert.equal(podProgress(basePod({ phase: 'Running', containerStatuses: [{ name: 'probe', ready: true, restartCount: 0 }] })), 'running');
  });

  it('fails fast on image pull errors, unschedulable pods and ended pods', () => {
    const pull = podProgress(basePod({ containerStatuses: [{ name: 'probe', ready: false, restartCount: 0, waitingReason: 'ImagePullBackOff', waitingMessage: 'Back-off pulling image "x"' }] }));
    assert.ok(pull instanceof ProbePodError && pull.reason === 'image-pull' && /ImagePullBackOff: Back-off pulling image/.test(pull.message));
    const unschedulable = podProgress(basePod({ nodeName: '', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available' }] }));
    assert.ok(unschedulable instanceof ProbePodError && unschedulable.reason === 'unschedulable' && /0\/3 nodes/.test(unschedulable.message));
    const failed = podProgress(basePod({ phase: 'Failed', reason: 'DeadlineExceeded' }));
    assert.ok(failed instanceof ProbePodError && /DeadlineExceeded/.test(failed.message));
    const oom = podProgress(basePod({ phase: 'Failed', containerStatuses: [{ name: 'probe', ready: false, restartCount: 0, terminatedReason: 'OOMKilled' }] }));
    assert.ok(oom instanceof ProbePodError && oom.reason === 'exec', String(oom));
    assert.equal(oom.message, 'the probe in pod coredns-sentinel-probe-x ran out of its 64 Mi memory limit (OOM-killed)');
  });
});

describe('probeExitError', () => {
  const cases: [number, string, RegExp][] = [
    [137, '', /^the probe in pod p ran out of its 64 Mi memory limit \(OOM-killed\)$/],
    [2, 'warning\nerror: unknown argument "--idle"\n', /^probe in pod p exited with code 2: error: unknown argument "--idle"$/],
    [1, '', /^probe in pod p exited with code 1: $/],
  ];
  for (const [code, stderr, message] of cases)
    it(`exit ${code} → ${message.source}`, () => {
      const error = probeExitError('p', code, stderr);
      assert.equal(error.reason, 'exec');
      assert.match(error.message, message);
      assert.match(error.hint, code === 137 ? /--samples/ : /probe image/);
    });
});

describe('probe pods on real clusters', () => {
  const unschedulable = (message: string) => basePod({ nodeName: '', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message }] });
  const scheduling: [string, string, 'pending' | 'unschedulable'][] = [
    ['no room: waits for the autoscaler', '0/5 nodes are available: 5 Insufficient cpu. preemption: 0/5 nodes are available: 5 No preemption victims found for incoming pod.', 'pending'],
    ['pods full: waits', '0/3 nodes are available: 3 Too many pods.', 'pending'],
    ['memory short on one node, others tainted: waits', '0/3 nodes are available: 1 Insufficient memory, 2 node(s) had untolerated taint {dedicated: infra}.', 'pending'],
    ['taint only: fails at once', '0/3 nodes are available: 3 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }.', 'unschedulable'],
    ['selector: fails at once', "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.", 'unschedulable'],
  ];
  for (const [name, message, expected] of scheduling) {
    it(`Unschedulable, ${name}`, () => {
      const progress = podProgress(unschedulable(message));
      assert.equal(progress instanceof ProbePodError ? progress.reason : progress, expected);
      assert.equal(capacityWait(unschedulable(message)), expected === 'pending' ? message : undefined);
      if (progress instanceof ProbePodError) assert.ok(progress.message.endsWith(message));
    });
  }

  const pulls: [string, string, RegExp, RegExp][] = [
    ['Docker Hub rate limit', 'failed to pull and unpack image "docker.io/library/node:22-alpine": failed to copy: httpReadSeeker: failed open: unexpected status code https://registry-1.docker.io/v2/library/node/manifests/sha256:ab: 429 Too Many Requests - Server message: toomanyrequests: You have reached your unauthenticated pull rate limit. https://www.docker.com/increase-rate-limit',
      /rate-limits/, /--probe-image <mirror>.*--image-pull-secret/],
    ['unauthorized', 'failed to pull and unpack image "registry.corp/node:22": failed to resolve reference "registry.corp/node:22": pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed', /refused the pull/, /--image-pull-secret/],
    ['401', 'failed to authorize: failed to fetch anonymous token: unexpected status: 401 Unauthorized', /refused the pull/, /--image-pull-secret/],
    ['air-gapped', 'failed to resolve reference "docker.io/library/node:22-alpine": failed to do request: Head "https://registry-1.docker.io/v2/library/node/manifests/22-alpine": dial tcp: lookup registry-1.docker.io: no such host', /unreachable/, /mirror/],
    ['no such tag', 'failed to resolve reference "docker.io/library/node:99": docker.io/library/node:99: not found', /does not exist/, /--probe-image/],
  ];
  for (const [name, message, cause, fix] of pulls) {
    it(`image pull: ${name} → the image, the cause and the fix`, () => {
      assert.match(imagePullCause(message).cause, cause);
      assert.match(imagePullCause(message).fix, fix);
      const pod = basePod({ containers: [{ name: 'probe', ports: [], image: 'node:22-alpine' }], containerStatuses: [{ name: 'probe', ready: false, restartCount: 0, waitingReason: 'ErrImagePull', waitingMessage: message }] });
      const err = podProgress(pod);
      assert.ok(err instanceof ProbePodError && err.reason === 'image-pull');
      assert.match(err.line, /^probe pod \S+ cannot pull image node:22-alpine: /);
      assert.match(err.line, cause);
      assert.match(err.hint, fix);
      // Only a registry's failure (not the image's, not the credentials') lets another image be tried.
      assert.equal(err.registryDown, /rate limit|air-gapped/.test(name));
    });
  }

  it('image pull: an injected container\'s registry failing is no reason to swap the probe image', () => {
    const message = 'failed to pull and unpack image "docker.io/istio/proxyv2:1.22.0": … 429 Too Many Requests - Server message: toomanyrequests: You have reached your unauthenticated pull rate limit.';
    const pod = basePod({ containers: [{ name: 'probe', ports: [], image: 'node:22-alpine' }, { name: 'istio-proxy', ports: [], image: 'docker.io/istio/proxyv2:1.22.0' }], containerStatuses: [{ name: 'istio-proxy', ready: false, restartCount: 0, waitingReason: 'ErrImagePull', waitingMessage: message }] });
    const err = podProgress(pod);
    assert.ok(err instanceof ProbePodError && err.reason === 'image-pull' && !err.registryDown, String(err));
  });

  const refusals: [string, RegExp][] = [
    ['pods "p" is forbidden: unable to validate against any security context constraint: [provider "restricted-v2": Forbidden: not usable by user or serviceaccount, spec.containers[0].securityContext.runAsUser: Invalid value: 65534: must be in the ranges: [1000680000, 1000689999]]', /SCC.*get on namespaces/],
    ['pods "p" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "istio-init" must set securityContext.allowPrivilegeEscalation=false)', /Pod Security level/],
    ['pods "p" is forbidden: exceeded quota: compute, requested: requests.cpu=100m, used: requests.cpu=2, limited: requests.cpu=2', /^the namespace's ResourceQuota compute has no room left for the probe pod: .*kubectl describe quota compute/],
    ['pods "p" is forbidden: failed quota: strict-storage: must specify requests.ephemeral-storage for: probe', /^the namespace's ResourceQuota strict-storage wants every container/],
    ['pods "p" is forbidden: failed quota: compute: must specify limits.ephemeral-storage', /ResourceQuota/],
    ['pods "p" is forbidden: cpu max limit to request ratio per Container is 2, but provided ratio is 10.000000', /LimitRange/],
  ];
  for (const [message, hint] of refusals) it(`refusal hint: ${message.slice(20, 70)}…`, () => assert.match(refusalHint(message), hint));

  it('reads init containers: an injected one failing or not pulling; a sidecar named', () => {
    const init = { name: 'istio-init', ports: [], image: 'docker.io/istio/proxyv2:1.22' };
    const failed = podProgress(basePod({ initContainers: [init], initContainerStatuses: [{ name: 'istio-init', ready: false, restartCount: 0, terminatedReason: 'Error', terminatedExitCode: 1 }] }));
    assert.ok(failed instanceof ProbePodError && /init container istio-init failed: Error \(exit 1\)/.test(failed.message));
    const pulling = podProgress(basePod({ initContainers: [init], initContainerStatuses: [{ name: 'istio-init', ready: false, restartCount: 0, waitingReason: 'ImagePullBackOff' }] }));
    assert.ok(pulling instanceof ProbePodError && /cannot pull image docker.io\/istio\/proxyv2:1.22/.test(pulling.message));
    const done = basePod({ phase: 'Running', initContainers: [init], initContainerStatuses: [{ name: 'istio-init', ready: false, restartCount: 0, terminatedReason: 'Completed', terminatedExitCode: 0 }], containerStatuses: [{ name: 'probe', ready: true, restartCount: 0 }] });
    assert.equal(podProgress(done), 'running');
    assert.deepEqual(injectedContainers({ ...done, containers: [{ name: 'probe', ports: [] }, { name: 'istio-proxy', ports: [] }] }), ['istio-init', 'istio-proxy']);
    assert.deepEqual(injectedContainers(basePod({ containers: [{ name: 'probe', ports: [] }] })), []);
  });
});

describe('parseProbeOutput', () => {
  const plan = PLAN;
  const report = {
    schema: REPORT_SCHEMA,
    probeVersion: '1',
    hostname: 'h',
    startedAt: '2025-01-01T00:00:00.000Z',
    durationMs: 1,
    results: [{ targetId: 'service', queryId: 'q', transport: 'udp', verdict: 'pass', reason: 'ok', samples: [{ outcome: 'ok', rcode: 'NOERROR', answers: ['1.2.3.4'], latencyMs: 1 }] }],
    targets: [{ targetId: 'service', checks: 1, failedChecks: 0, p50Ms: 1, p99Ms: 1 }],
  };

  it('accepts a valid report', () => {
    assert.equal(parseProbeOutput(JSON.stringify(report), plan, 'p').results.length, 1);
  });

  for (const [what, text] of [
    ['nothing', ''],
    ['text', 'sh: node: not found'],
    ['another schema', JSON.stringify({ ...report, schema: 'x' })],
    ['results for another plan', JSON.stringify({ ...report, results: [] })],
    ['a plan error', JSON.stringify({ ...report, results: [], error: { kind: 'plan-invalid', message: 'bad plan' } })],
  ] as const) {
    it(`turns ${what} into a ProbePodError`, () => {
      assert.throws(() => parseProbeOutput(text, plan, 'p'), ProbePodError);
    });
  }
});

describe('stalePods', () => {
  it('selects this tool’s pods past their deadline or ended', () => {
    const now = Date.parse('2025-01-01T00:10:00Z');
    const pods = [
      basePod({ name: 'old', creationTimestamp: '2025-01-01T00:00:00Z', activeDeadlineSeconds: 120, phase: 'Running' }),
      basePod({ name: 'young', creationTimestamp: '2025-01-01T00:09:00Z', activeDeadlineSeconds: 120, phase: 'Running' }),
      basePod({ name: 'done', creationTimestamp: '2025-01-01T00:09:30Z', activeDeadlineSeconds: 120, phase: 'Failed' }),
      basePod({ name: 'foreign', labels: {}, creationTimestamp: '2025-01-01T00:00:00Z', phase: 'Failed' }),
    ];
    assert.deepEqual(stalePods(pods, now).map((p) => p.name), ['old', 'done']);
  });
});

describe('a probe pod that never started: the hint', () => {
  const pod = { name: 'probe-x', nodeName: 'node-2' } as KPod;
  const event = (reason: string, type = 'Warning') => ({ name: 'e', namespace: 'default', resourceVersion: '1', involvedKind: 'Pod', involvedName: 'probe-x', reason, message: `${reason} happened`, type, component: 'kubelet' });
  const rows: [string, ReturnType<typeof event>[], RegExp][] = [
    ['no Event', [], /slow to pull the image: raise --pod-timeout/],
    ['the CNI cannot set up the sandbox', [event('Scheduled', 'Normal'), event('FailedCreatePodSandBox')], /^the node's pod network cannot set the pod up on node node-2 \(FailedCreatePodSandBox: FailedCreatePodSandBox happened\): fix the CNI there/],
    ['another Warning', [event('FailedMount')], /^the kubelet says FailedMount: FailedMount happened$/],
    ['only a Normal Event', [event('Pulling', 'Normal')], /slow to pull the image/],
  ];
  for (const [name, events, want] of rows) it(name, () => assert.match(startTimeoutHint(pod, events), want));
});

describe('readPodNameserver', () => {
  /** A client whose pods are Running at once and whose exec answers `exec`; it records creates, execs and deletes. */
  function podClient(exec: (req: ExecRequest) => { stdout: string; stderr?: string; exitCode?: number }) {
    const calls: string[] = [];
    const client = {
      createPod: async (m: PodManifest) => {
        calls.push(`create ${m.metadata.name}`);
        return basePod({ name: m.metadata.name!, phase: 'Running', containerStatuses: [{ name: 'probe', ready: true, restartCount: 0 }] });
      },
      exec: async (req: ExecRequest) => {
        calls.push(`exec ${req.command.join(' ')}`);
        const r = exec(req);
        return { stdout: r.stdout, stderr: r.stderr ?? '', exitCode: r.exitCode ?? 0 };
      },
      deletePod: async (_ns: string, name: string) => void calls.push(`delete ${name}`),
    } as unknown as KubeClient;
    return { client, calls };
  }
  const settings = { namespace: 'sentinel', image: 'node:22-alpine', probeSource: 'x', nodeSelector: {}, tolerations: [], imagePullSecrets: [], podTimeoutMs: 1000 };

  it('reads the first nameserver of the pod\'s resolv.conf with node, and deletes the pod', async () => {
    const table: [string, string | undefined][] = [
      ['search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.43.0.10\nnameserver 10.43.0.11\noptions ndots:5\n', '10.43.0.10'],
      ['search cluster.local\n', undefined],
    ];
    for (const [text, want] of table) {
      const { client, calls } = podClient(() => ({ stdout: text }));
      const read = await readPodNameserver(client, settings);
      assert.equal(read.nameserver, want, text);
      assert.match(calls[1]!, /^exec node -e .*\/etc\/resolv\.conf/);
      assert.deepEqual([calls[0], calls.at(-1)], [`create ${read.pod}`, `delete ${read.pod}`]);
    }
  });

  it('a signal while the exec runs ends the read at once, and the pod is still deleted', async () => {
    const stop = new AbortController();
    const { client, calls } = podClient(() => {
      setImmediate(() => stop.abort());
      return { stdout: 'nameserver 10.96.0.10\n' };
    });
    const slowExec = client.exec;
    client.exec = (req) => slowExec(req).then((r) => new Promise((resolve) => void setTimeout(() => resolve(r), 5000).unref()));
    const started = Date.now();
    await assert.rejects(readPodNameserver(client, { ...settings, signal: stop.signal }), Interrupted);
    assert.ok(Date.now() - started < 2000, 'the read waited for the exec');
    assert.match(calls.at(-1)!, /^delete coredns-sentinel-probe-/);
  });

  it('a failed read is one ProbePodError, and the pod is still deleted', async () => {
    const { client, calls } = podClient(() => ({ stdout: '', stderr: 'Error: EACCES: permission denied', exitCode: 1 }));
    await assert.rejects(readPodNameserver(client, settings), (e: ProbePodError) => /^reading \/etc\/resolv.conf in probe pod \S+ failed \(exit 1\): Error: EACCES/.test(e.line));
    assert.match(calls.at(-1)!, /^delete coredns-sentinel-probe-/);
  });
});
