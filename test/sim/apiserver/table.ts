// Minimal meta.k8s.io/v1 Table output, for `kubectl get` (it asks with Accept: …;as=Table;…).
// Pods and events get the real servers' main columns; other kinds Name and Age.
import type { KObject } from '../store.ts';

interface Column {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

const col = (name: string, type = 'string', priority = 0, format = ''): Column => ({ name, type, format, description: name, priority });

/** k8s.io/apimachinery/pkg/util/duration.HumanDuration. */
export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < -1) return '<invalid>';
  if (s < 0) return '0s';
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (h < 24 * 8) return h % 24 === 0 ? `${d}d` : `${d}d${h % 24}h`;
  if (d < 365 * 2) return `${d}d`;
  const y = Math.floor(d / 365);
  if (d < 365 * 8) return d % 365 === 0 ? `${y}y` : `${y}y${d % 365}d`;
  return `${y}y`;
}

const age = (ts: unknown, now: number) => (typeof ts === 'string' && ts ? humanDuration(now - Date.parse(ts)) : '<unknown>');

type ContainerStatus = { ready?: boolean; restartCount?: number; state?: { waiting?: { reason?: string }; terminated?: { reason?: string } } };
type PodStatus = { phase?: string; reason?: string; podIP?: string; containerStatuses?: ContainerStatus[] };

/** The STATUS column: a container's waiting/terminated reason wins over the phase, Terminating over all. */
function podStatusText(pod: KObject): string {
  const st = (pod.status ?? {}) as PodStatus;
  if (pod.metadata.deletionTimestamp) return 'Terminating';
  let text = st.reason ?? st.phase ?? 'Pending';
  for (const c of st.containerStatuses ?? []) {
    const why = c.state?.waiting?.reason ?? c.state?.terminated?.reason;
    if (why) text = why;
  }
  return text;
}

function podCells(pod: KObject, now: number): unknown[] {
  const st = (pod.status ?? {}) as PodStatus;
  const containers = ((pod.spec as { containers?: unknown[] } | undefined)?.containers ?? []).length;
  const cs = st.containerStatuses ?? [];
  return [
    pod.metadata.name,
    `${cs.filter((c) => c.ready).length}/${containers}`,
    podStatusText(pod),
    cs.reduce((n, c) => n + (c.restartCount ?? 0), 0),
    age(pod.metadata.creationTimestamp, now),
    st.podIP ?? '<none>',
    (pod.spec as { nodeName?: string } | undefined)?.nodeName ?? '<none>',
  ];
}

type EventFields = { lastTimestamp?: string; eventTime?: string; type?: string; reason?: string; message?: string; involvedObject?: { kind?: string; name?: string } };

function eventCells(ev: KObject, now: number): unknown[] {
  const e = ev as unknown as EventFields;
  const obj = e.involvedObject ?? {};
  return [age(e.lastTimestamp ?? e.eventTime ?? ev.metadata.creationTimestamp, now), e.type ?? '', e.reason ?? '', `${(obj.kind ?? '').toLowerCase()}/${obj.name ?? ''}`, e.message ?? ''];
}

const LAYOUTS: Record<string, { columns: Column[]; cells: (o: KObject, now: number) => unknown[] }> = {
  Pod: {
    columns: [col('Name', 'string', 0, 'name'), col('Ready'), col('Status'), col('Restarts', 'integer'), col('Age'), col('IP', 'string', 1), col('Node', 'string', 1)],
    cells: podCells,
  },
  Event: { columns: [col('Last Seen'), col('Type'), col('Reason'), col('Object'), col('Message')], cells: eventCells },
  Namespace: {
    columns: [col('Name', 'string', 0, 'name'), col('Status'), col('Age')],
    cells: (o, now) => [o.metadata.name, (o.status as { phase?: string } | undefined)?.phase ?? '', age(o.metadata.creationTimestamp, now)],
  },
};

const DEFAULT_LAYOUT = { columns: [col('Name', 'string', 0, 'name'), col('Age')], cells: (o: KObject, now: number) => [o.metadata.name, age(o.metadata.creationTimestamp, now)] };

export function toTable(kind: string, objects: KObject[], resourceVersion?: string): Record<string, unknown> {
  const layout = LAYOUTS[kind] ?? DEFAULT_LAYOUT;
  const now = Date.now();
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: resourceVersion ? { resourceVersion } : {},
    columnDefinitions: layout.columns,
    rows: objects.map((o) => ({
      cells: layout.cells(o, now),
      object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata },
    })),
  };
}

/** True when the client asked for a Table (kubectl get's default output). */
export const wantsTable = (accept: string | undefined) => /as=Table/.test(accept ?? '');
