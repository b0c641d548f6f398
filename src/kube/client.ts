// The KubeClient over @kubernetes/client-node: the only file (with config.ts and exec.ts) importing it.
// Every request is counted; idempotent reads retry with bounded backoff; creates never retry.
import { CoreV1Api, DiscoveryV1Api, Watch, type KubeConfig } from '@kubernetes/client-node';
import { KubeError, toKubeError, type RequestContext } from './errors.ts';
import { READ_RETRY, withRetry } from './retry.ts';
import { execInPod } from './exec.ts';
import { toConfigMap, toEndpointSlice, toPod, toService } from './convert.ts';
import { loadKubeConfig, type ConfigOptions } from './config.ts';
import type { ExecRequest, KPod, KubeClient, PodManifest, WatchOutcome } from './types.ts';

/** Watch reconnects allowed when the server ends the stream early (it may, at any time). */
const WATCH_RECONNECTS = 3;

class ClientNodeKube implements KubeClient {
  requestCount = 0;
  private readonly core: CoreV1Api;
  private readonly discovery: DiscoveryV1Api;

  constructor(private readonly kc: KubeConfig) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.discovery = kc.makeApiClient(DiscoveryV1Api);
  }

  private read<T>(ctx: RequestContext, call: () => Promise<T>): Promise<T> {
    return withRetry(READ_RETRY, () => {
      this.requestCount++;
      return call();
    }, (e) => toKubeError(e, ctx));
  }

  private async once<T>(ctx: RequestContext, call: () => Promise<T>): Promise<T> {
    this.requestCount++;
    try {
      return await call();
    } catch (err) {
      throw toKubeError(err, ctx);
    }
  }

  async getService(namespace: string, name: string) {
    return toService(await this.read({ verb: 'get', resource: 'services', namespace, name }, () => this.core.readNamespacedService({ name, namespace })));
  }

  async listPods(namespace: string, labelSelector: string) {
    const list = await this.read({ verb: 'list', resource: 'pods', namespace }, () => this.core.listNamespacedPod({ namespace, labelSelector }));
    return list.items.map(toPod);
  }

  async listEndpointSlices(namespace: string, serviceName: string) {
    const labelSelector = `kubernetes.io/service-name=${serviceName}`;
    const list = await this.read({ verb: 'list', resource: 'endpointslices.discovery.k8s.io', namespace }, () =>
      this.discovery.listNamespacedEndpointSlice({ namespace, labelSelector }),
    );
    return list.items.map(toEndpointSlice);
  }

  async getConfigMap(namespace: string, name: string) {
    return toConfigMap(await this.read({ verb: 'get', resource: 'configmaps', namespace, name }, () => this.core.readNamespacedConfigMap({ name, namespace })));
  }

  async createPod(manifest: PodManifest) {
    const namespace = manifest.metadata.namespace;
    const created = await this.once({ verb: 'create', resource: 'pods', namespace }, () =>
      this.core.createNamespacedPod({ namespace, body: manifest as never }),
    );
    return toPod(created);
  }

  async deletePod(namespace: string, name: string) {
    try {
      // Retried like a read: deleting twice is harmless, and a leaked probe pod is not.
      await this.read({ verb: 'delete', resource: 'pods', namespace, name }, () => this.core.deleteNamespacedPod({ name, namespace, gracePeriodSeconds: 0 }));
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
}

export interface Connection {
  client: KubeClient;
  /** The API server URL, for messages. */
  server: string;
  /** The kubeconfig's namespace for the current context (default "default"). */
  contextNamespace: string;
}

/** Loads the kubeconfig (see config.ts) and returns a counted client. Throws KubeError. */
export function connect(opts: ConfigOptions): Connection {
  const kc = loadKubeConfig(opts);
  const context = kc.getContextObject(kc.getCurrentContext());
  return { client: new ClientNodeKube(kc), server: kc.getCurrentCluster()?.server ?? '', contextNamespace: context?.namespace || 'default' };
}
