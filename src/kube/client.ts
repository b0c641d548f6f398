// The KubeClient over @kubernetes/client-node: the only file (with config.ts and exec.ts) importing it.
// Every request is counted and goes through the one retry policy (retry.ts); each method says why its
// request is safe to repeat: reads and deletes by name are idempotent, creates carry a name chosen
// here (a retry meeting AlreadyExists checks the object is ours), updates carry a resourceVersion (a
// retry meeting Conflict checks whether the change that landed is ours), evictions and graceful
// deletes carry the pod's uid (a retry meeting NotFound or a uid Conflict means the pod is gone).
import { randomBytes } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import {
  AppsV1Api,
  AuthorizationV1Api,
  CoordinationV1Api,
  CoreV1Api,
  DiscoveryV1Api,
  Observable,
  PatchStrategy,
  PolicyV1Api,
  setHeaderOptions,
  V1MicroTime,
  VersionApi,
  Watch,
  type ConfigurationOptions,
  type KubeConfig,
  type ObservableMiddleware,
} from '@kubernetes/client-node';
import { isRetryable, KubeError, parseStatus, redact, toKubeError, type RequestContext } from './errors.ts';
import { backoffDelay, RETRY, withRetry, type RetryHooks } from './retry.ts';
import { credentialError, usesExecPlugin } from './config.ts';
import { execInPod } from './exec.ts';
import { openPortForward } from './portforward.ts';
import { fitEventMessage, toConfigMap, toEndpointSlice, toEvent, toLease, toNode, toPdb, toPod, toService } from './convert.ts';
import { loadKubeConfig, secretsOf, type ConfigOptions } from './config.ts';
import { toController } from './convert.ts';
import type { KControllerKind } from './types.ts';
import type {
  AccessCheck,
  EvictionResult,
  ExecRequest,
  KConfigMap,
  KEventInput,
  KLease,
  KPod,
  PodLogOptions,
  PodManifest,
  PodSiblings,
  PortForwardRequest,
  RepairKubeClient,
  SampleKubeClient,
  ServiceManifest,
  WatchOutcome,
} from './types.ts';
import { DEFAULTS } from '../common/defaults.ts';
import { printable } from '../common/printable.ts';

/** Watch reconnects allowed when the server ends the stream early (it may, at any time). */
const WATCH_RECONNECTS = 3;

/** Default bound on one ordinary API request (watch and exec have their own). */
export const DEFAULT_REQUEST_TIMEOUT_MS = DEFAULTS.requestTimeoutMs;

const COMPONENT = 'coredns-sentinel';

/** The eviction subresource's PDB refusal, read from its 429 Status cause. */
export function disruptionBudgetBlock(err: unknown): { blockedBy: string; message: string } | undefined {
  const e = (typeof err === 'object' && err !== null ? err : {}) as { code?: unknown; body?: unknown };
  if (e.code !== 429) return undefined;
  const cause = parseStatus(e.body)?.details?.causes?.find((c) => c.reason === 'DisruptionBudget');
  if (!cause) return undefined;
  const text = cause.message ?? '';
  const m = /disruption budget (\S+) needs (\d+) healthy pods and has (\d+)/.exec(text);
  if (!m) return { blockedBy: '', message: `blocked by a PodDisruptionBudget: ${text}` };
  return { blockedBy: m[1]!, message: `blocked by PodDisruptionBudget ${m[1]}: needs ${m[2]} healthy, has ${m[3]}` };
}

/** A list of this tool's own objects (probe pods, canaries) is the probe Role's rule, not discovery's. */
const ownObjects = (labelSelector: string): Pick<RequestContext, 'grant'> => (labelSelector.includes('app.kubernetes.io/managed-by=coredns-sentinel') ? { grant: 'probe' } : {});

const microTime = (iso: string | undefined) => (iso ? new V1MicroTime(iso) : undefined);

/** The API server's generateName alphabet (no vowels, no look-alikes): k8s.io/apimachinery/pkg/util/rand. */
const NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const randomName = (n: number) => [...randomBytes(n)].map((b) => NAME_ALPHABET[b % NAME_ALPHABET.length]).join('');

const instant = (iso: string | undefined) => (iso ? Date.parse(iso) : undefined);

/** The stored Lease holds the claim we wrote: same holder, same renew time. */
export const sameLeaseClaim = (stored: KLease, wrote: KLease): boolean =>
  (stored.holderIdentity ?? '') === (wrote.holderIdentity ?? '') && instant(stored.renewTime) === instant(wrote.renewTime);

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function leaseBody(l: KLease) {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: l.name, namespace: l.namespace, ...(l.resourceVersion ? { resourceVersion: l.resourceVersion } : {}) },
    spec: {
      holderIdentity: l.holderIdentity ?? '',
      ...(l.leaseDurationSeconds !== undefined ? { leaseDurationSeconds: l.leaseDurationSeconds } : {}),
      ...(l.acquireTime ? { acquireTime: microTime(l.acquireTime) } : {}),
      ...(l.renewTime ? { renewTime: microTime(l.renewTime) } : {}),
      ...(l.leaseTransitions !== undefined ? { leaseTransitions: l.leaseTransitions } : {}),
    },
  };
}

const configMapBody = (cm: KConfigMap) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: cm.name, namespace: cm.namespace, ...(cm.resourceVersion ? { resourceVersion: cm.resourceVersion } : {}) },
  data: cm.data,
});

class ClientNodeKube implements RepairKubeClient, SampleKubeClient {
  requestCount = 0;
  private readonly core: CoreV1Api;
  private readonly discovery: DiscoveryV1Api;
  private readonly apps: AppsV1Api;
  private readonly policy: PolicyV1Api;
  private readonly coordination: CoordinationV1Api;
  private readonly authorization: AuthorizationV1Api;
  private readonly version: VersionApi;
  readonly inCluster: boolean;

  /** Credential material of the kubeconfig, never to be echoed in a message. */
  private readonly secrets: string[];
  private readonly execPlugin: boolean;

  constructor(
    private readonly kc: KubeConfig,
    private readonly timeoutMs: number,
  ) {
    this.secrets = secretsOf(kc);
    this.execPlugin = usesExecPlugin(kc);
    this.core = kc.makeApiClient(CoreV1Api);
    this.discovery = kc.makeApiClient(DiscoveryV1Api);
    this.apps = kc.makeApiClient(AppsV1Api);
    this.policy = kc.makeApiClient(PolicyV1Api);
    this.coordination = kc.makeApiClient(CoordinationV1Api);
    this.authorization = kc.makeApiClient(AuthorizationV1Api);
    this.version = kc.makeApiClient(VersionApi);
    // client-node's name for the context loadFromCluster builds (config.ts loads it only inside a pod).
    this.inCluster = kc.getCurrentContext() === 'inClusterContext';
  }

  /** Per-attempt options: a fresh abort timer for every attempt, so a hanging API server cannot hang us. */
  private options(timeoutMs: number): ConfigurationOptions {
    const timeout: ObservableMiddleware = {
      pre: (request) => {
        request.setSignal(AbortSignal.timeout(timeoutMs));
        return new Observable(Promise.resolve(request));
      },
      post: (response) => new Observable(Promise.resolve(response)),
    };
    return { middleware: [timeout], middlewareMergeStrategy: 'append' };
  }

  private mapError(err: unknown, ctx: RequestContext): KubeError {
    const name = (err as { name?: unknown } | null)?.name;
    if (name === 'AbortError' || name === 'TimeoutError')
      return new KubeError('unreachable', 0, `the API server did not answer ${ctx.verb} ${ctx.resource} within ${this.timeoutMs / 1000} s`,
        'check that the API server is up and reachable, or raise --request-timeout', { request: ctx });
    const credentials = this.execPlugin ? credentialError(err, this.kc) : undefined;
    if (credentials) return credentials;
    const mapped = toKubeError(err, ctx);
    return this.secrets.length ? mapped.withMessage(redact(mapped.message, this.secrets)) : mapped;
  }

  /**
   * An exec credential plugin is run once before the first request, so that a missing or failing plugin
   * is one configuration error with its cause rather than a failure of whichever request came first.
   */
  private credentialsChecked?: Promise<void>;

  private checkCredentials(): Promise<void> {
    if (!this.execPlugin) return Promise.resolve();
    this.credentialsChecked ??= this.kc.applyToHTTPSOptions({}).then(() => undefined, (err: unknown) => {
      throw credentialError(err, this.kc) ?? toKubeError(err, { verb: 'get', resource: 'credentials' });
    });
    return this.credentialsChecked;
  }

  /** One request under the retry policy, every attempt counted and bounded by what is left of the request timeout. */
  private async read<T>(ctx: RequestContext, call: (o: ConfigurationOptions) => Promise<T>, hooks: RetryHooks<T> = {}): Promise<T> {
    await this.checkCredentials();
    return withRetry(RETRY, this.timeoutMs, (a) => {
      this.requestCount++;
      return call(this.options(a.timeoutMs));
    }, (e) => this.mapError(e, ctx), hooks);
  }

  /** A read whose 404 means "absent". */
  private async find<T>(ctx: RequestContext, call: (o: ConfigurationOptions) => Promise<T>): Promise<T | undefined> {
    try {
      return await this.read(ctx, call);
    } catch (err) {
      if (err instanceof KubeError && err.kind === 'not-found') return undefined;
      throw err;
    }
  }

  async getService(namespace: string, name: string) {
    return toService(await this.read({ verb: 'get', resource: 'services', namespace, name }, (o) => this.core.readNamespacedService({ name, namespace }, o)));
  }

  async namespaceAnnotations(name: string) {
    const ns = await this.read({ verb: 'get', resource: 'namespaces', name }, (o) => this.core.readNamespace({ name }, o));
    return { ...(ns.metadata?.annotations ?? {}) };
  }

  async listNodes() {
    const list = await this.read({ verb: 'list', resource: 'nodes' }, (o) => this.core.listNode({}, o));
    return list.items.map(toNode);
  }

  async listServices(namespace: string, labelSelector: string) {
    const list = await this.read({ verb: 'list', resource: 'services', namespace, ...ownObjects(labelSelector) }, (o) => this.core.listNamespacedService({ namespace, labelSelector }, o));
    return list.items.map(toService);
  }

  async createService(m: ServiceManifest) {
    const { namespace, name } = m;
    const body = { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace, labels: m.labels, ...(m.annotations && { annotations: m.annotations }) }, spec: { type: 'ClusterIP', ports: [{ name: 'none', port: 80, protocol: 'TCP' }] } };
    const created = await this.read({ verb: 'create', resource: 'services', namespace, name, grant: 'probe' }, (o) => this.core.createNamespacedService({ namespace, body: body as never }, o), {
      // A retried create whose first attempt landed: the Service with our name and labels is ours.
      settle: async (err) => {
        if (err.kind !== 'conflict') return undefined;
        const existing = await this.find({ verb: 'get', resource: 'services', namespace, name }, (o) => this.core.readNamespacedService({ name, namespace }, o));
        return existing && isDeepStrictEqual(toService(existing).labels, m.labels) ? existing : undefined;
      },
    });
    return toService(created);
  }

  async deleteService(namespace: string, name: string) {
    try {
      await this.read({ verb: 'delete', resource: 'services', namespace, name, grant: 'probe' }, (o) => this.core.deleteNamespacedService({ name, namespace }, o));
    } catch (err) {
      if (err instanceof KubeError && err.kind === 'not-found') return;
      throw err;
    }
  }

  async listPods(namespace: string, labelSelector: string) {
    const list = await this.read({ verb: 'list', resource: 'pods', namespace, ...ownObjects(labelSelector) }, (o) => this.core.listNamespacedPod({ namespace, labelSelector }, o));
    return list.items.map(toPod);
  }

  async listEndpointSlices(namespace: string, serviceName: string) {
    const labelSelector = `kubernetes.io/service-name=${serviceName}`;
    const list = await this.read({ verb: 'list', resource: 'endpointslices.discovery.k8s.io', namespace }, (o) =>
      this.discovery.listNamespacedEndpointSlice({ namespace, labelSelector }, o),
    );
    return list.items.map(toEndpointSlice);
  }

  async listAllServices() {
    const list = await this.read({ verb: 'list', resource: 'services' }, (o) => this.core.listServiceForAllNamespaces({}, o));
    return list.items.map(toService);
  }

  async listAllEndpointSlices() {
    const list = await this.read({ verb: 'list', resource: 'endpointslices.discovery.k8s.io' }, (o) =>
      this.discovery.listEndpointSliceForAllNamespaces({}, o),
    );
    return list.items.map(toEndpointSlice);
  }

  async getController(kind: KControllerKind, namespace: string, name: string) {
    const resource = `${kind.toLowerCase()}s`;
    const raw = await this.find({ verb: 'get', resource, namespace, name }, (o) =>
      kind === 'Deployment'
        ? this.apps.readNamespacedDeployment({ name, namespace }, o)
        : kind === 'DaemonSet'
          ? this.apps.readNamespacedDaemonSet({ name, namespace }, o)
          : this.apps.readNamespacedStatefulSet({ name, namespace }, o),
    );
    return raw && toController(kind, raw);
  }

  async getConfigMap(namespace: string, name: string) {
    return toConfigMap(await this.read({ verb: 'get', resource: 'configmaps', namespace, name }, (o) => this.core.readNamespacedConfigMap({ name, namespace }, o)));
  }

  async createPod(manifest: PodManifest) {
    const { generateName, ...metadata } = manifest.metadata;
    // The name is chosen here, as the API server would for generateName, so that a retry can tell its
    // own pod (same name, same labels, which hold the run id) from a stranger's.
    const name = metadata.name ?? `${generateName ?? 'pod-'}${randomName(5)}`;
    const body = { ...manifest, metadata: { ...metadata, name } };
    const { namespace } = metadata;
    const created = await this.read({ verb: 'create', resource: 'pods', namespace, name }, (o) => this.core.createNamespacedPod({ namespace, body: body as never }, o), {
      settle: async (err) => {
        if (err.kind !== 'conflict') return undefined;
        const existing = await this.readPodRaw(namespace, name);
        return existing && isDeepStrictEqual(toPod(existing).labels, metadata.labels) ? existing : undefined;
      },
    });
    return toPod(created);
  }

  /** The pod, or undefined when it is gone (for settling retried writes). */
  private readPodRaw(namespace: string, name: string) {
    return this.find({ verb: 'get', resource: 'pods', namespace, name }, (o) => this.core.readNamespacedPod({ name, namespace }, o));
  }

  async deletePod(namespace: string, name: string) {
    try {
      // Retried like a read: deleting twice is harmless, and a leaked probe pod is not.
      await this.read({ verb: 'delete', resource: 'pods', namespace, name }, (o) => this.core.deleteNamespacedPod({ name, namespace, gracePeriodSeconds: 0 }, o));
    } catch (err) {
      if (err instanceof KubeError && err.kind === 'not-found') return;
      throw err;
    }
  }

  async watchPod(namespace: string, name: string, resourceVersion: string, until: (pod: KPod) => boolean, timeoutMs: number, siblings?: PodSiblings): Promise<WatchOutcome> {
    const ctx: RequestContext = { verb: 'watch', resource: 'pods', namespace, name };
    const deadline = Date.now() + timeoutMs;
    let last: KPod | undefined;
    let version = resourceVersion;
    await this.checkCredentials();
    let failures = 0;
    for (let attempt = 0; attempt <= WATCH_RECONNECTS + failures; attempt++) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      this.requestCount++;
      const ended = await this.watchOnce(namespace, name, version, left, (pod) => {
        last = pod;
        version = pod.resourceVersion || version;
        return until(pod);
      }, siblings);
      if (ended.error) {
        // Establishing the watch is a read: transient failures are retried under the one policy.
        const err = this.mapError(ended.error, ctx);
        failures++;
        const delay = backoffDelay(RETRY, failures, err);
        if (!isRetryable(err) || failures >= RETRY.attempts || Date.now() + delay >= deadline) throw err;
        await sleep(delay);
        continue;
      }
      if (ended.matched || ended.deleted) return { pod: last, deleted: ended.deleted, timedOut: false };
    }
    return { pod: last, deleted: false, timedOut: true };
  }

  /** One watch stream; resolves when `until` matches, the pod is deleted, the stream ends, or time runs out. */
  private watchOnce(namespace: string, name: string, resourceVersion: string, timeoutMs: number, until: (pod: KPod) => boolean, siblings?: PodSiblings) {
    return new Promise<{ matched: boolean; deleted: boolean; error?: unknown }>((resolve) => {
      let abort: AbortController | undefined;
      let finished = false;
      const finish = (result: { matched: boolean; deleted: boolean; error?: unknown }) => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        abort?.abort();
        resolve(result);
      };
      const timer = setTimeout(() => finish({ matched: false, deleted: false }), timeoutMs);
      // With siblings every (re)connect starts from the current state (no resourceVersion): the siblings
      // are listed again, and no stale version can be refused (410).
      const scope = siblings ? { labelSelector: siblings.labelSelector } : { fieldSelector: `metadata.name=${name}`, resourceVersion };
      const query = { ...scope, allowWatchBookmarks: false, timeoutSeconds: Math.ceil(timeoutMs / 1000) };
      new Watch(this.kc)
        .watch(`/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`, query, (type, object) => {
          if (type === 'ERROR') return finish({ matched: false, deleted: false, error: { code: (object as { code?: number }).code ?? 500, body: object } });
          const other = siblings !== undefined && (object as { metadata?: { name?: string } }).metadata?.name !== name;
          if (type === 'DELETED') return other ? undefined : finish({ matched: false, deleted: true });
          if (type === 'ADDED' || type === 'MODIFIED') {
            try {
              const pod = toPod(object);
              if (other) siblings.seen(pod);
              else if (until(pod)) finish({ matched: true, deleted: false });
            } catch (error) {
              finish({ matched: false, deleted: false, error });
            }
          }
        }, (err) => finish({ matched: false, deleted: false, ...(err ? { error: err } : {}) }))
        .then((controller) => {
          abort = controller;
          if (finished) controller.abort();
        }, (error: unknown) => finish({ matched: false, deleted: false, error }));
    });
  }

  async exec(req: ExecRequest) {
    await this.checkCredentials();
    // Only the handshake is retried (nothing ran yet); the exec's own timeout bounds it too.
    return execInPod(this.kc, req, { budgetMs: Math.min(this.timeoutMs, req.timeoutMs), onAttempt: () => this.requestCount++, mapError: (e, ctx) => this.mapError(e, ctx) });
  }

  async portForward(req: PortForwardRequest) {
    await this.checkCredentials();
    return openPortForward(this.kc, req, { budgetMs: this.timeoutMs, onAttempt: () => this.requestCount++, mapError: (e, ctx) => this.mapError(e, ctx) });
  }

  async reviewAccess(checks: AccessCheck[]) {
    const ctx: RequestContext = { verb: 'create', resource: 'selfsubjectaccessreviews.authorization.k8s.io' };
    return Promise.all(checks.map(async (c) => {
      const [resource, subresource] = c.resource.split('/');
      const resourceAttributes = { verb: c.verb, group: c.group, resource, ...(subresource ? { subresource } : {}), ...(c.namespace ? { namespace: c.namespace } : {}), ...(c.name ? { name: c.name } : {}) };
      const review = await this.read(ctx, (o) => this.authorization.createSelfSubjectAccessReview({ body: { spec: { resourceAttributes } } }, o));
      return review.status?.allowed === true;
    }));
  }

  async serverVersion() {
    return (await this.read({ verb: 'get', resource: 'version' }, (o) => this.version.getCode(o))).gitVersion;
  }

  async listPodDisruptionBudgets(namespace: string) {
    const list = await this.read({ verb: 'list', resource: 'poddisruptionbudgets.policy', namespace }, (o) => this.policy.listNamespacedPodDisruptionBudget({ namespace }, o));
    return list.items.map(toPdb);
  }

  async evictPod(namespace: string, name: string, uid: string, gracePeriodSeconds?: number): Promise<EvictionResult> {
    const ctx: RequestContext = { verb: 'create', resource: 'pods/eviction', namespace, name };
    const grace = gracePeriodSeconds === undefined ? {} : { gracePeriodSeconds };
    const body = { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace }, deleteOptions: { preconditions: { uid }, ...grace } };
    return this.read<EvictionResult>(ctx, async (o) => {
      try {
        await this.core.createNamespacedPodEviction({ name, namespace, body }, o);
        return { evicted: true };
      } catch (err) {
        const blocked = disruptionBudgetBlock(err);
        if (blocked) return { evicted: false, ...blocked };
        const e = toKubeError(err, ctx);
        if (e.code === 500 && /more than one PodDisruptionBudget/i.test(e.message))
          throw new KubeError('invalid', 500, `pod ${name} is selected by more than one PodDisruptionBudget, so it cannot be evicted`,
            'keep one PodDisruptionBudget for the CoreDNS pods, or use --restart-method delete', { request: ctx });
        throw err;
      }
    }, {
      // The uid precondition makes a repeat safe: after a failed attempt, NotFound or a uid Conflict
      // means the pod we meant is gone (our first attempt may have evicted it).
      settle: async (err) => (err.kind === 'not-found' || err.kind === 'conflict' ? { evicted: true } : undefined),
    });
  }

  async deletePodGracefully(namespace: string, name: string, uid: string, gracePeriodSeconds?: number): Promise<void> {
    const grace = gracePeriodSeconds === undefined ? {} : { gracePeriodSeconds };
    await this.read({ verb: 'delete', resource: 'pods', namespace, name, grant: 'repair' }, (o) =>
      this.core.deleteNamespacedPod({ name, namespace, body: { preconditions: { uid }, ...grace } }, o).then(() => true as const), {
      settle: async (err) => (err.kind === 'not-found' || err.kind === 'conflict' ? true : undefined),
    });
  }

  async relabelPod(namespace: string, name: string, uid: string, labels: Record<string, string | null>, annotations: Record<string, string>): Promise<boolean> {
    // The uid in the body is a precondition: the API server refuses (422) a body naming another uid.
    const body = { metadata: { uid, labels, annotations } };
    const gone = (err: unknown) => err instanceof KubeError && (err.kind === 'not-found' || (err.code === 422 && /uid/i.test(err.message)));
    try {
      // The same body again is harmless: a retry after a lost answer patches to the same labels.
      return await this.read({ verb: 'patch', resource: 'pods', namespace, name }, (o) =>
        this.core.patchNamespacedPod({ name, namespace, body }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch, o)).then(() => true));
    } catch (err) {
      if (gone(err)) return false;
      throw err;
    }
  }

  async deleteQuarantinedPod(namespace: string, name: string, uid: string, gracePeriodSeconds: number): Promise<void> {
    try {
      await this.read({ verb: 'delete', resource: 'pods', namespace, name, grant: 'quarantine' }, (o) =>
        this.core.deleteNamespacedPod({ name, namespace, body: { preconditions: { uid }, gracePeriodSeconds } }, o));
    } catch (err) {
      // Gone already (deleted by hand, or an earlier attempt), or the name now another pod's: nothing to delete.
      if (!(err instanceof KubeError && (err.kind === 'not-found' || err.kind === 'conflict'))) throw err;
    }
  }

  async restartController(kind: KControllerKind, namespace: string, name: string, at: Date): Promise<void> {
    // Idempotent: a repeat sets the same restartedAt value.
    const body = { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': at.toISOString() } } } } };
    await this.read({ verb: 'patch', resource: `${kind.toLowerCase()}s`, namespace, name }, (o) => {
      const opts = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch, o);
      if (kind === 'DaemonSet') return this.apps.patchNamespacedDaemonSet({ name, namespace, body }, opts);
      if (kind === 'StatefulSet') return this.apps.patchNamespacedStatefulSet({ name, namespace, body }, opts);
      return this.apps.patchNamespacedDeployment({ name, namespace, body }, opts);
    });
  }

  async readPodLog(namespace: string, name: string, opts: PodLogOptions): Promise<string> {
    return this.read({ verb: 'get', resource: 'pods/log', namespace, name }, (o) =>
      this.core.readNamespacedPodLog({ name, namespace, tailLines: opts.tailLines, previous: opts.previous, ...(opts.container ? { container: opts.container } : {}) }, o),
    );
  }

  async getLease(namespace: string, name: string) {
    const raw = await this.find({ verb: 'get', resource: 'leases', namespace, name }, (o) => this.coordination.readNamespacedLease({ name, namespace }, o));
    return raw && toLease(raw);
  }

  /** Settles a retried Lease write that met AlreadyExists or Conflict: ours if the stored Lease says what we wrote. */
  private leaseSettler(lease: KLease): RetryHooks<KLease> {
    return {
      settle: async (err) => {
        if (err.kind !== 'conflict') return undefined;
        const stored = await this.getLease(lease.namespace, lease.name);
        return stored && sameLeaseClaim(stored, lease) ? stored : undefined;
      },
    };
  }

  async createLease(lease: KLease) {
    const { namespace } = lease;
    return this.read({ verb: 'create', resource: 'leases', namespace, name: lease.name }, async (o) =>
      toLease(await this.coordination.createNamespacedLease({ namespace, body: leaseBody(lease) as never }, o)), this.leaseSettler(lease));
  }

  async replaceLease(lease: KLease) {
    const { namespace, name } = lease;
    return this.read({ verb: 'update', resource: 'leases', namespace, name }, async (o) =>
      toLease(await this.coordination.replaceNamespacedLease({ name, namespace, body: leaseBody(lease) as never }, o)), this.leaseSettler(lease));
  }

  async findConfigMap(namespace: string, name: string) {
    const raw = await this.find({ verb: 'get', resource: 'configmaps', namespace, name }, (o) => this.core.readNamespacedConfigMap({ name, namespace }, o));
    return raw && toConfigMap(raw);
  }

  /** Settles a retried ConfigMap write that met AlreadyExists or Conflict: ours if the stored data is what we wrote. */
  private configMapSettler(cm: KConfigMap): RetryHooks<KConfigMap> {
    return {
      settle: async (err) => {
        if (err.kind !== 'conflict') return undefined;
        const stored = await this.findConfigMap(cm.namespace, cm.name);
        return stored && isDeepStrictEqual(stored.data, cm.data) ? stored : undefined;
      },
    };
  }

  async createConfigMap(cm: KConfigMap) {
    const { namespace } = cm;
    return this.read({ verb: 'create', resource: 'configmaps', namespace, name: cm.name }, async (o) =>
      toConfigMap(await this.core.createNamespacedConfigMap({ namespace, body: configMapBody(cm) }, o)), this.configMapSettler(cm));
  }

  async replaceConfigMap(cm: KConfigMap) {
    const { namespace, name } = cm;
    return this.read({ verb: 'update', resource: 'configmaps', namespace, name }, async (o) =>
      toConfigMap(await this.core.replaceNamespacedConfigMap({ name, namespace, body: configMapBody(cm) }, o)), this.configMapSettler(cm));
  }

  async createEvent(e: KEventInput): Promise<void> {
    const now = new Date();
    const name = `${e.involved.name}.sentinel-${randomName(10)}`;
    const body = {
      apiVersion: 'v1',
      kind: 'Event',
      // Named here (not generateName) so a retry cannot record the Event twice: AlreadyExists is ours.
      metadata: { name, namespace: e.namespace },
      involvedObject: { kind: e.involved.kind, name: e.involved.name, namespace: e.namespace, apiVersion: e.involved.apiVersion, ...(e.involved.uid ? { uid: e.involved.uid } : {}) },
      reason: e.reason,
      // Events are read in terminals (kubectl describe, get events): no control character of cluster text acts there.
      message: fitEventMessage(printable(e.message, { oneLine: true })),
      type: e.type,
      source: { component: COMPONENT },
      reportingComponent: COMPONENT,
      reportingInstance: COMPONENT,
      action: e.reason,
      firstTimestamp: now,
      lastTimestamp: now,
      eventTime: new V1MicroTime(now.getTime()),
      count: 1,
    };
    await this.read({ verb: 'create', resource: 'events', namespace: e.namespace, name }, (o) => this.core.createNamespacedEvent({ namespace: e.namespace, body: body as never }, o).then(() => true as const), {
      settle: async (err) => (err.kind === 'conflict' ? true : undefined),
    });
  }

  async listEvents(namespace: string) {
    const list = await this.read({ verb: 'list', resource: 'events', namespace }, (o) => this.core.listNamespacedEvent({ namespace }, o));
    return list.items.map(toEvent);
  }
}

export interface Connection {
  client: RepairKubeClient;
  /** The API server URL, for messages. */
  server: string;
  /** The kubeconfig's namespace for the current context (default "default"). */
  contextNamespace: string;
  /** The context's name (the current context unless --context chose one). */
  contextName: string;
}

/** Loads the kubeconfig (see config.ts) and returns a counted client. Throws KubeError. */
export function connect(opts: Omit<ConfigOptions, 'pluginTimeoutMs'> & { requestTimeoutMs?: number }): Connection {
  const timeoutMs = opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  // An exec credential plugin gets no more time than one request.
  const kc = loadKubeConfig({ ...opts, pluginTimeoutMs: timeoutMs });
  const context = kc.getContextObject(kc.getCurrentContext());
  return {
    client: new ClientNodeKube(kc, timeoutMs),
    server: kc.getCurrentCluster()?.server ?? '',
    contextNamespace: context?.namespace || 'default',
    contextName: kc.getCurrentContext(),
  };
}
