// Pods as `kubectl get pods -w` sees them: a list, then a watch from the list's resourceVersion on the
// sim's API server, so a test observes every change of the pods instead of sampling them. A watch the
// server ends is opened again from the last resourceVersion seen, until stop().
import type { ClientRequest } from 'node:http';
import { request } from 'node:https';
import { readFileSync } from 'node:fs';
import type { Sim } from '../sim/index.ts';

export interface WatchedPod {
  name: string;
  ready: boolean;
  terminating: boolean;
  startTime?: string;
}

interface RawPod {
  metadata: { name: string; resourceVersion: string; deletionTimestamp?: string };
  status?: { startTime?: string; conditions?: { type: string; status: string }[] };
}

const view = (p: RawPod): WatchedPod => ({
  name: p.metadata.name,
  ready: p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
  terminating: p.metadata.deletionTimestamp !== undefined,
  ...(p.status?.startTime ? { startTime: p.status.startTime } : {}),
});

export interface PodWatch {
  /** The pods now, as of the last change seen. */
  pods(): WatchedPod[];
  stop(): void;
}

/** Lists, then watches the pods of `selector` in `namespace`; `onChange` runs after every change, in order. */
export async function watchPods(sim: Sim, namespace: string, selector: string, onChange: (pods: WatchedPod[]) => void): Promise<PodWatch> {
  const server = new URL(sim.server);
  const ca = readFileSync(sim.caPath);
  const base = `/api/v1/namespaces/${namespace}/pods?labelSelector=${encodeURIComponent(selector)}`;
  const get = (path: string): ClientRequest =>
    request({ host: server.hostname, port: server.port, path, ca, headers: { Authorization: `Bearer ${sim.admin.token}`, Accept: 'application/json' } });
  const pods = new Map<string, WatchedPod>();
  const list = await new Promise<{ items: RawPod[]; metadata: { resourceVersion: string } }>((resolve, reject) => {
    const req = get(base);
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(body)) : reject(new Error(`list pods: ${res.statusCode} ${body}`))));
    });
    req.on('error', reject).end();
  });
  for (const p of list.items) pods.set(p.metadata.name, view(p));
  let resourceVersion = list.metadata.resourceVersion;
  let stopped = false;
  let current: ClientRequest | undefined;

  const open = () => {
    if (stopped) return;
    const req = (current = get(`${base}&watch=1&resourceVersion=${resourceVersion}`));
    // Only the stream in use is opened again, once.
    const again = () => req === current && open();
    req.on('response', (res) => {
      let pending = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        pending += chunk;
        let newline: number;
        while ((newline = pending.indexOf('\n')) >= 0) {
          const line = pending.slice(0, newline);
          pending = pending.slice(newline + 1);
          if (!line.trim()) continue;
          const ev = JSON.parse(line) as { type: string; object: RawPod };
          if (ev.type === 'ERROR') throw new Error(`pod watch: ${line}`);
          resourceVersion = ev.object.metadata.resourceVersion;
          if (ev.type === 'DELETED') pods.delete(ev.object.metadata.name);
          else pods.set(ev.object.metadata.name, view(ev.object));
          onChange([...pods.values()]);
        }
      });
      res.on('end', again);
    });
    // A reset stream is opened again (the sim's server stops them all at its end, after stop()).
    req.on('error', () => setImmediate(again)).end();
  };
  open();
  onChange([...pods.values()]);
  return {
    pods: () => [...pods.values()],
    stop: () => {
      stopped = true;
      current?.destroy();
    },
  };
}
