// The KubeClient over @kubernetes/client-node: the only file (with config.ts and exec.ts) importing it.
// Every request is counted; idempotent reads retry with bounded backoff; creates never retry.
import {
  AppsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  DiscoveryV1Api,
  Observable,
  PatchStrategy,
  PolicyV1Api,
  setHeaderOptions,
  V1MicroTime,
  Watch,
  type ConfigurationOptions,
  type KubeConfig,
  type ObservableMiddleware,
} from '@kubernetes/client-node';
import { KubeError, parseStatus, toKubeError, type RequestContext } from './errors.ts';
import { READ_RETRY, withRetry } from './retry.ts';
import { execInPod } from './exec.ts';
import { toConfigMap, toEndpointSlice, toEvent, toLease, toPod, toService } from './convert.ts';
import { loadKubeConfig, type ConfigOptions } from './config.ts';
import type {
  EvictionResult,
  ExecRequest,
  KConfigMap,
  KEventInput,
  KLease,
  KPod,
  PodLogOptions,
  PodManifest,
  RepairKubeClient,
  WatchOutcome,
} from './types.ts';
import { DEFAULTS } from '../common/defaults.ts';

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

const microTime = (iso: string | undefined) => (iso ? new V1MicroTime(iso) : undefined);

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

class ClientNodeKube implements RepairKubeClient {
  requestCount = 0;
  private readonly core: CoreV1Api;
  private readonly discovery: DiscoveryV1Api;
  private readonly apps: AppsV1Api;
  private readonly policy: PolicyV1Api;
  private readonly coordination: CoordinationV1Api;

  constructor(
    private readonly kc: KubeConfig,
    private readonly timeoutMs: number,
  ) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.discovery = kc.makeApiClient(DiscoveryV1Api);
    this.apps = kc.makeApiClient(AppsV1Api);
    this.policy = kc.makeApiClient(PolicyV1Api);
    this.coordination = kc.makeApiClient(CoordinationV1Api);
  }

  /** Per-request options: a fresh abort timer for every attempt, so a hanging API server cannot hang us. */
  private options(): ConfigurationOptions {
    const timeout: ObservableMiddleware = {
      pre: (request) => {
        request.setSignal(AbortSignal.timeout(this.timeoutMs));
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
        'check that the API server is up and reachable, or raise --request-timeout');
    return toKubeError(err, ctx);
  }

  private read<T>(ctx: RequestContext, call: (o: ConfigurationOptions) => Promise<T>): Promise<T> {
    return withRetry(READ_RETRY, () => {
      this.requestCount++;
      return call(this.options());
    }, (e) => this.mapError(e, ctx));
  }

  private async once<T>(ctx: RequestContext, call: (o: ConfigurationOptions) => Promise<T>): Promise<T> {
    this.requestCount++;
    try {
      return await call(this.options());
    } catch (err) {
      throw this.mapError(err, ctx);
    }
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

  async listPods(namespace: string, labelSelector: string) {
    const list = await this.read({ verb: 'list', resource: 'pods', namespace }, (o) => this.core.listNamespacedPod({ namespace, labelSelector }, o));
    return list.items.map(toPod);
  }

  async listEndpointSlices(namespace: string, serviceName: string) {
    const labelSelector = `kubernetes.io/service-name=${serviceName}`;
    const list = await this.read({ verb: 'list', resource: 'endpointslices.discovery.k8s.io', namespace }, (o) =>
      this.discovery.listNamespacedEndpointSlice({ namespace, labelSelector }, o),
    );
    return list.items.map(toEndpointSlice);
  }

  async getConfigMap(namespace: string, name: string) {
    return toConfigMap(await this.read({ verb: 'get', resource: 'configmaps', namespace, name }, (o) => this.core.readNamespacedConfigMap({ name, namespace }, o)));
  }

  async createPod(manifest: PodManifest) {
    const namespace = manifest.metadata.namespace;
    const created = await this.once({ verb: 'create', resource: 'pods', namespace }, (o) =>
      this.core.createNamespacedPod({ namespace, body: manifest as never }, o),
    );
    return toPod(created);
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

  async watchPod(namespace: string, name: string, resourceVersion: string, until: (pod: KPod) => boolean, timeoutMs: number): Promise<WatchOutcome> {
    const ctx: RequestContext = { verb: 'watch', resource: 'pods', namespace, name };
    const deadline = Date.now() + timeoutMs;
    let last: KPod | undefined;
    let version = resourceVersion;
    for (let attempt = 0; attempt <= WATCH_RECONNECTS; attempt++) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      this.requestCount++;
      const ended = await this.watchOnce(namespace, name, version, left, (pod) => {
        last = pod;
        version = pod.resourceVersion || version;
        return until(pod);
      });
      if (ended.error) throw toKubeError(ended.error, ctx);
      if (ended.matched || ended.deleted) return { pod: last, deleted: ended.deleted, timedOut: false };
    }
    return { pod: last, deleted: false, timedOut: true };
  }

  /** One watch stream; resolves when `until` matches, the pod is deleted, the stream ends, or time runs out. */
  private watchOnce(namespace: string, name: string, resourceVersion: string, timeoutMs: number, until: (pod: KPod) => boolean) {
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
      const query = { fieldSelector: `metadata.name=${name}`, resourceVersion, allowWatchBookmarks: false, timeoutSeconds: Math.ceil(timeoutMs / 1000) };
      new Watch(this.kc)
        .watch(`/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`, query, (type, object) => {
          if (type === 'ERROR') return finish({ matched: false, deleted: false, error: { code: (object as { code?: number }).code ?? 500, body: object } });
          if (type === 'DELETED') return finish({ matched: false, deleted: true });
          if (type === 'ADDED' || type === 'MODIFIED') {
            try {
              if (until(toPod(object))) finish({ matched: true, deleted: false });
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
    this.requestCount++;
    return execInPod(this.kc, req);
  }

  async evictPod(namespace: string, name: string, uid: string): Promise<EvictionResult> {
    const ctx: RequestContext = { verb: 'create', resource: 'pods/eviction', namespace, name };
    const body = { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace }, deleteOptions: { preconditions: { uid } } };
    this.requestCount++;
    try {
      await this.core.createNamespacedPodEviction({ name, namespace, body }, this.options());
      return { evicted: true };
    } catch (err) {
      const blocked = disruptionBudgetBlock(err);
      if (blocked) return { evicted: false, ...blocked };
      const mapped = this.mapError(err, ctx);
      if (mapped.code === 500 && /more than one PodDisruptionBudget/i.test(mapped.message))
        throw new KubeError('server', 500, `pod ${name} is selected by more than one PodDisruptionBudget, so it cannot be evicted`,
          'keep one PodDisruptionBudget for the CoreDNS pods, or use --restart-method delete');
      throw mapped;
    }
  }

  async deletePodGracefully(namespace: string, name: string, uid: string): Promise<void> {
    await this.once({ verb: 'delete', resource: 'pods', namespace, name }, (o) =>
      this.core.deleteNamespacedPod({ name, namespace, body: { preconditions: { uid } } }, o),
    );
  }

  async restartDeployment(namespace: string, name: string, at: Date): Promise<void> {
    const body = { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': at.toISOString() } } } } };
    const ctx: RequestContext = { verb: 'patch', resource: 'deployments', namespace, name };
    this.requestCount++;
    try {
      await this.apps.patchNamespacedDeployment({ name, namespace, body }, setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch, this.options()));
    } catch (err) {
      throw this.mapError(err, ctx);
    }
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

  async createLease(lease: KLease) {
    const { namespace } = lease;
    return toLease(await this.once({ verb: 'create', resource: 'leases', namespace, name: lease.name }, (o) =>
      this.coordination.createNamespacedLease({ namespace, body: leaseBody(lease) as never }, o),
    ));
  }

  async replaceLease(lease: KLease) {
    const { namespace, name } = lease;
    return toLease(await this.once({ verb: 'update', resource: 'leases', namespace, name }, (o) =>
      this.coordination.replaceNamespacedLease({ name, namespace, body: leaseBody(lease) as never }, o),
    ));
  }

  async findConfigMap(namespace: string, name: string) {
    const raw = await this.find({ verb: 'get', resource: 'configmaps', namespace, name }, (o) => this.core.readNamespacedConfigMap({ name, namespace }, o));
    return raw && toConfigMap(raw);
  }

  async createConfigMap(cm: KConfigMap) {
    const { namespace } = cm;
    return toConfigMap(await this.once({ verb: 'create', resource: 'configmaps', namespace, name: cm.name }, (o) =>
      this.core.createNamespacedConfigMap({ namespace, body: configMapBody(cm) }, o),
    ));
  }

  async replaceConfigMap(cm: KConfigMap) {
    const { namespace, name } = cm;
    return toConfigMap(await this.once({ verb: 'update', resource: 'configmaps', namespace, name }, (o) =>
      this.core.replaceNamespacedConfigMap({ name, namespace, body: configMapBody(cm) }, o),
    ));
  }

  async createEvent(e: KEventInput): Promise<void> {
    const now = new Date();
    const body = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { generateName: `${e.involved.name}.sentinel-`, namespace: e.namespace },
      involvedObject: { kind: e.involved.kind, name: e.involved.name, namespace: e.namespace, apiVersion: e.involved.apiVersion, ...(e.involved.uid ? { uid: e.involved.uid } : {}) },
      reason: e.reason,
      message: e.message,
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
    await this.once({ verb: 'create', resource: 'events', namespace: e.namespace }, (o) => this.core.createNamespacedEvent({ namespace: e.namespace, body: body as never }, o));
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
}

/** Loads the kubeconfig (see config.ts) and returns a counted client. Throws KubeError. */
export function connect(opts: ConfigOptions & { requestTimeoutMs?: number }): Connection {
  const kc = loadKubeConfig(opts);
  const context = kc.getContextObject(kc.getCurrentContext());
  return { client: new ClientNodeKube(kc, opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS), server: kc.getCurrentCluster()?.server ?? '', contextNamespace: context?.namespace || 'default' };
}
