// The shared repair history in ConfigMap "coredns-sentinel-state" in the DNS namespace, so CI runs, a
// laptop and the watch loop see the same streaks, restarts and escalations (design rule 6). Writes use
// the resourceVersion (optimistic concurrency); a 409 re-reads and re-applies the change, a bounded
// number of times. A history written by a NEWER version of this tool is never overwritten.
import { KubeError, type RepairKubeClient } from '../kube/index.ts';
import { decodeHistory, encodeHistory, HISTORY_KEY, HISTORY_SCHEMA, type History } from './history.ts';

export const STATE_NAME = 'coredns-sentinel-state';
const WRITE_ATTEMPTS = 4;

export interface StoredHistory {
  history: History;
  /** undefined when the ConfigMap does not exist yet. */
  resourceVersion?: string;
  warning?: string;
  /** Set when the ConfigMap holds a newer schema: do not repair, do not write. */
  newerSchema?: string;
}

const schemaVersion = (schema: string): number | undefined => {
  const m = /^coredns-sentinel\/history\/v(\d+)$/.exec(schema);
  return m ? Number(m[1]) : undefined;
};

/** The schema of the stored JSON when it is a newer one than this tool writes. Pure. */
export function newerSchemaOf(data: Record<string, string> | undefined): string | undefined {
  const text = data?.[HISTORY_KEY];
  if (text === undefined) return undefined;
  let schema: unknown;
  try {
    schema = (JSON.parse(text) as { schema?: unknown })?.schema;
  } catch {
    return undefined;
  }
  if (typeof schema !== 'string') return undefined;
  const theirs = schemaVersion(schema);
  return theirs !== undefined && theirs > (schemaVersion(HISTORY_SCHEMA) ?? 0) ? schema : undefined;
}

export async function readHistory(client: RepairKubeClient, namespace: string): Promise<StoredHistory> {
  const cm = await client.findConfigMap(namespace, STATE_NAME);
  const newer = newerSchemaOf(cm?.data);
  const decoded = decodeHistory(newer ? undefined : cm?.data);
  return {
    history: decoded.history,
    ...(cm?.resourceVersion ? { resourceVersion: cm.resourceVersion } : {}),
    ...(decoded.warning ? { warning: decoded.warning } : {}),
    ...(newer ? { newerSchema: newer } : {}),
  };
}

/** Same content, ignoring when it was written: nothing worth a write. */
const sameHistory = (a: History, b: History): boolean => JSON.stringify({ ...a, updatedAt: null }) === JSON.stringify({ ...b, updatedAt: null });

export class HistoryRefused extends Error {
  constructor(schema: string) {
    super(`the repair history in ConfigMap ${STATE_NAME} was written by a newer coredns-sentinel (${schema}); not repairing and not overwriting it — upgrade this tool`);
    this.name = 'HistoryRefused';
  }
}

/**
 * Applies `change` to the stored history and writes it (create when absent). On a conflict the
 * history is re-read and `change` applied again to the fresh one. Returns what was stored.
 */
export async function updateHistory(client: RepairKubeClient, namespace: string, change: (h: History) => History, first?: StoredHistory): Promise<History> {
  let stored = first ?? (await readHistory(client, namespace));
  for (let attempt = 1; ; attempt++) {
    if (stored.newerSchema) throw new HistoryRefused(stored.newerSchema);
    const next = change(stored.history);
    if (sameHistory(next, stored.history)) return stored.history;
    const cm = { name: STATE_NAME, namespace, data: encodeHistory(next), ...(stored.resourceVersion ? { resourceVersion: stored.resourceVersion } : {}) };
    try {
      if (stored.resourceVersion) await client.replaceConfigMap(cm);
      else await client.createConfigMap(cm);
      return next;
    } catch (err) {
      const raced = err instanceof KubeError && err.kind === 'conflict';
      if (!raced || attempt >= WRITE_ATTEMPTS) throw err;
      stored = await readHistory(client, namespace);
    }
  }
}
