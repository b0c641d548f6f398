// The simulated cluster's object store: what etcd plus the registry give a real API server.
// Objects are plain Kubernetes JSON. One global resourceVersion counter; every write bumps it and
// notifies watchers. Conflicts and missing objects throw SimError with a Kubernetes Status.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { SimError } from './status.ts';

export type KObject = {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name?: string;
    generateName?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    deletionGracePeriodSeconds?: number;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }[];
    finalizers?: string[];
    [k: string]: unknown;
  };
  [k: string]: unknown;
};

/** A resource type: "pods", "deployments.apps", "leases.coordination.k8s.io". */
export interface ResourceType {
  group: string; // "" for core
  version: string;
  resource: string; // plural
  kind: string;
  namespaced: boolean;
  shortNames?: string[];
  verbs?: string[];
  subresources?: string[];
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';
export interface WatchEvent {
  type: WatchEventType;
  resource: string; // key of the ResourceType, e.g. "pods" or "deployments.apps"
  object: KObject;
}

export const resourceKey = (t: Pick<ResourceType, 'group' | 'resource'>) => (t.group ? `${t.resource}.${t.group}` : t.resource);

const clone = <T>(o: T): T => structuredClone(o);

export class Store {
  private readonly admitters: ((resource: string, o: KObject) => void)[] = [];
  private rv = 1;
  private readonly data = new Map<string, Map<string, KObject>>(); // resource key → "ns/name" → object
  private readonly events = new EventEmitter();
  /** Recent events per resource for watches that start from an older resourceVersion. */
  private readonly history: (WatchEvent & { rv: number })[] = [];

  constructor() {
    this.events.setMaxListeners(0);
  }

  get resourceVersion(): string {
    return String(this.rv);
  }

  private bucket(resource: string): Map<string, KObject> {
    let b = this.data.get(resource);
    if (!b) this.data.set(resource, (b = new Map()));
    return b;
  }

  private bump(obj: KObject): void {
    obj.metadata.resourceVersion = String(++this.rv);
  }

  private emit(type: WatchEventType, resource: string, obj: KObject): void {
    const ev = { type, resource, object: clone(obj), rv: Number(obj.metadata.resourceVersion) };
    this.history.push(ev);
    if (this.history.length > 5000) this.history.splice(0, 1000);
    this.events.emit('event', ev);
  }

  get(resource: string, namespace: string | undefined, name: string): KObject | undefined {
    const o = this.bucket(resource).get(`${namespace ?? ''}/${name}`);
    return o ? clone(o) : undefined;
  }

  mustGet(resource: string, namespace: string | undefined, name: string): KObject {
    const o = this.get(resource, namespace, name);
    if (!o) throw SimError.notFound(resource, name);
    return o;
  }

  /** All objects of a type, in one namespace or all (namespace undefined). */
  list(resource: string, namespace?: string, filter?: (o: KObject) => boolean): KObject[] {
    const out: KObject[] = [];
    for (const o of this.bucket(resource).values()) {
      if (namespace !== undefined && o.metadata.namespace !== namespace) continue;
      if (filter && !filter(o)) continue;
      out.push(clone(o));
    }
    return out.sort((a, b) => `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`));
  }

  create(resource: string, obj: KObject): KObject {
    const o = clone(obj);
    const md = o.metadata;
    if (!md.name && md.generateName) md.name = md.generateName + randomUUID().replace(/-/g, '').slice(0, 5);
    if (!md.name) throw SimError.invalid(resource, '', 'metadata.name: Required value: name or generateName is required');
    const key = `${md.namespace ?? ''}/${md.name}`;
    const b = this.bucket(resource);
    if (b.has(key)) throw SimError.alreadyExists(resource, md.name);
    md.uid = randomUUID(); // before admission: a Job's generated selector names it
    for (const admit of this.admitters) admit(resource, o);
    md.creationTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    md.generation = 1;
    delete md.deletionTimestamp;
    this.bump(o);
    b.set(key, o);
    this.emit('ADDED', resource, o);
    return clone(o);
  }

  /**
   * Replaces an object. When `obj.metadata.resourceVersion` is set it must match (optimistic
   * concurrency, 409 otherwise). `spec` changes bump generation.
   */
  update(resource: string, obj: KObject): KObject {
    const md = obj.metadata;
    const key = `${md.namespace ?? ''}/${md.name}`;
    const b = this.bucket(resource);
    const cur = b.get(key);
    if (!cur) throw SimError.notFound(resource, md.name ?? '');
    if (md.resourceVersion && md.resourceVersion !== cur.metadata.resourceVersion)
      throw SimError.conflict(resource, md.name ?? '');
    const o = clone(obj);
    o.metadata.uid = cur.metadata.uid;
    o.metadata.creationTimestamp = cur.metadata.creationTimestamp;
    o.metadata.generation = cur.metadata.generation;
    if (JSON.stringify(o.spec) !== JSON.stringify(cur.spec)) o.metadata.generation = (cur.metadata.generation ?? 1) + 1;
    if (cur.metadata.deletionTimestamp) o.metadata.deletionTimestamp = cur.metadata.deletionTimestamp;
    this.bump(o);
    b.set(key, o);
    this.emit('MODIFIED', resource, o);
    return clone(o);
  }

  /** Read-modify-write without a conflict check: for controllers and the kubelet. */
  mutate(resource: string, namespace: string | undefined, name: string, fn: (o: KObject) => void): KObject | undefined {
    const cur = this.get(resource, namespace, name);
    if (!cur) return undefined;
    fn(cur);
    delete cur.metadata.resourceVersion;
    return this.update(resource, cur);
  }

  /** Removes the object now (the end of graceful deletion, or grace 0). */
  remove(resource: string, namespace: string | undefined, name: string): KObject {
    const key = `${namespace ?? ''}/${name}`;
    const b = this.bucket(resource);
    const cur = b.get(key);
    if (!cur) throw SimError.notFound(resource, name);
    b.delete(key);
    this.bump(cur);
    this.emit('DELETED', resource, cur);
    return clone(cur);
  }

  /** Listens to every change; returns the unsubscribe function. */
  /**
   * Runs `fn` on every object about to be created, synchronously, like the API server's own create
   * logic (a Service's ClusterIP is allocated before the create returns).
   */
  admit(fn: (resource: string, o: KObject) => void): void {
    this.admitters.push(fn);
  }

  subscribe(fn: (ev: WatchEvent) => void): () => void {
    const h = (ev: WatchEvent) => fn(ev);
    this.events.on('event', h);
    return () => this.events.off('event', h);
  }

  /** Events after `resourceVersion`, or undefined when that is too old to replay (410 Gone). */
  since(resource: string, resourceVersion: number): WatchEvent[] | undefined {
    const oldest = this.history[0]?.rv ?? this.rv;
    if (resourceVersion < oldest - 1 && resourceVersion < this.rv) return undefined;
    return this.history.filter((e) => e.resource === resource && e.rv > resourceVersion).map(({ rv: _rv, ...e }) => e);
  }
}
