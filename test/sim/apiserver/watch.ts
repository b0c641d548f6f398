// Watch streams: newline-delimited {"type","object"} JSON over a chunked 200 response, replayed from
// a resourceVersion (410 Expired event when that is too old), filtered by namespace and selectors.
// An object that stops matching is sent as DELETED, one that starts matching as ADDED, like the
// real watch cache does.
import type { ServerResponse } from 'node:http';
import type { KObject, Store, WatchEvent } from '../store.ts';
import { SimError } from '../status.ts';
import type { Matcher } from './selectors.ts';

export interface WatchParams {
  resource: string; // store key
  namespace?: string;
  matches: Matcher;
  resourceVersion?: string;
  timeoutSeconds?: number;
  /** How an object goes on the wire (computed PDB status, Table rows). */
  encode: (o: KObject) => unknown;
}

type OutType = 'ADDED' | 'MODIFIED' | 'DELETED';

const keyOf = (o: KObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

/** Decides what a watcher sees for one store event, given which objects it currently sees. */
export function translate(ev: WatchEvent, matches: Matcher, visible: Set<string>): OutType | undefined {
  const key = keyOf(ev.object);
  const was = visible.has(key);
  const now = ev.type !== 'DELETED' && matches(ev.object);
  if (now) visible.add(key);
  else visible.delete(key);
  if (ev.type === 'DELETED') return was || matches(ev.object) ? 'DELETED' : undefined;
  if (now) return was ? 'MODIFIED' : 'ADDED';
  return was ? 'DELETED' : undefined;
}

/**
 * Which objects the watcher saw at the replayed-from version: those unchanged since (already in
 * `visible`), and for changed ones, not when created after it, else as their first change shows
 * them (the store keeps no older state; close enough for selectors that rarely flip).
 */
function seedFromReplay(visible: Set<string>, events: WatchEvent[], matches: Matcher): void {
  const seen = new Set<string>();
  for (const ev of events) {
    const key = keyOf(ev.object);
    if (seen.has(key)) continue;
    seen.add(key);
    if (ev.type !== 'ADDED' && matches(ev.object)) visible.add(key);
    else visible.delete(key);
  }
}

/** Serves one watch until the client goes, the timeout passes or `close` is called. Returns `close`. */
export function serveWatch(res: ServerResponse, store: Store, p: WatchParams): () => void {
  const inScope = (o: KObject) => p.namespace === undefined || o.metadata.namespace === p.namespace;
  const write = (type: string, object: unknown) => res.write(JSON.stringify({ type, object }) + '\n');
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
  res.flushHeaders();

  const current = store.list(p.resource, p.namespace, p.matches);
  const visible = new Set(current.map(keyOf));
  const rv = p.resourceVersion;
  if (rv === undefined || rv === '' || rv === '0') {
    for (const o of current) write('ADDED', p.encode(o));
  } else {
    const replay = /^\d+$/.test(rv) ? store.since(p.resource, Number(rv)) : undefined;
    if (!replay) {
      const status = /^\d+$/.test(rv)
        ? SimError.gone(`too old resource version: ${rv} (${store.resourceVersion})`).status
        : SimError.badRequest(`invalid resource version: ${rv}`).status;
      write('ERROR', status);
      res.end();
      return () => undefined;
    }
    const events = replay.filter((e) => inScope(e.object));
    seedFromReplay(visible, events, p.matches);
    for (const ev of events) {
      const type = translate(ev, p.matches, visible);
      if (type) write(type, p.encode(ev.object));
    }
  }

  const unsubscribe = store.subscribe((ev) => {
    if (ev.resource !== p.resource || !inScope(ev.object)) return;
    const type = translate(ev, p.matches, visible);
    if (type) write(type, p.encode(ev.object));
  });
  const timer = p.timeoutSeconds ? setTimeout(() => close(), p.timeoutSeconds * 1000) : undefined;
  const close = () => {
    unsubscribe();
    clearTimeout(timer);
    if (!res.writableEnded) res.end();
  };
  res.on('close', close);
  return close;
}
