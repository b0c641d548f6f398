// Design rule 13: never restart into a configuration the pods do not run and CoreDNS cannot load.
// When the Corefile in the ConfigMap changed to something CoreDNS refuses, the running pods keep their
// previous configuration (the reload plugin logs the error and carries on) while a restarted pod loads
// the new file and crash-loops (coredns/coredns#2339). So before any restart: what the pods run (the
// reload plugin's "Running configuration SHA512 = …" and its errors, from their logs) against the
// ConfigMap now (its hash, whether CoreDNS would load it, when it changed). The decision is pure;
// readPodConfigLogs is the only I/O.
import { lineOf } from '../common/errors.ts';
import { readCorefile } from '../discover/caddyfile.ts';
import type { CorefileSource, DnsWorkload } from '../discover/types.ts';
import type { Judgement } from '../judge/types.ts';
import type { PodLogOptions } from '../kube/index.ts';
import type { RepairPlan } from './policy.ts';

/** What a pod's log says about its configuration: the last one it loaded, and a reload refused since. */
export interface ReloadState {
  runningSha512?: string;
  /** The reload plugin's error after that (CoreDNS's words), when the newer Corefile was refused. */
  reloadError?: string;
}

// CoreDNS's reload plugin (plugin/reload/reload.go): "Running configuration SHA512 = %x" when a
// configuration starts; "Corefile changed but reload failed: %s" when it cannot load a changed one;
// "Corefile parse failed: %s" (a warning, every check) when it cannot even parse it.
const RUNNING = /\[INFO\] plugin\/reload: Running configuration SHA512 = ([0-9a-f]{128})/;
const REFUSED = /\[(?:ERROR|WARNING)\] plugin\/reload: Corefile (?:changed but reload failed|parse failed): (.+)$/;

/** The configuration a CoreDNS container runs, from its log. Pure. */
export function reloadState(log: string): ReloadState {
  let state: ReloadState = {};
  for (const line of log.split('\n')) {
    const running = RUNNING.exec(line);
    if (running) state = { runningSha512: running[1]! };
    const refused = REFUSED.exec(line);
    if (refused) state = { ...state, reloadError: refused[1]!.trim() };
  }
  return state;
}

export interface GuardPod {
  name: string;
  ready: boolean;
  startTime?: string;
  /** Its DNS container's recent log; undefined when it could not be read. */
  log?: string;
}

export interface BrokenConfig {
  /** namespace/name of the ConfigMap. */
  configMap: string;
  /** CoreDNS's error for the new Corefile. */
  error: string;
  /** Pods whose reload plugin refused it (empty: no pod has tried it yet, the error is CoreDNS's parser's as read here). */
  refusedBy: string[];
  /** One line for the report. */
  reason: string;
}

/**
 * The ConfigMap's Corefile changed since the pods loaded theirs, and CoreDNS cannot load it (its parser
 * as read here, or a pod's reload plugin said so): a restart would load it. Undefined when a restart is
 * safe as far as the configuration goes — also when a pod already runs the current Corefile (then it
 * loads, whatever this reading thinks of, say, a plugin of a custom build). Pure.
 */
export function brokenConfig(namespace: string, corefile: CorefileSource | undefined, pods: GuardPod[]): BrokenConfig | undefined {
  if (!corefile) return undefined;
  const { sha512, loadError } = readCorefile(corefile.text);
  const states = pods.flatMap((p) => (p.log === undefined ? [] : [{ pod: p.name, ...reloadState(p.log) }]));
  // Someone runs it: it loads.
  if (sha512 !== undefined && states.some((s) => s.runningSha512 === sha512)) return undefined;
  // Start times have 1 s resolution: a pod started in the second of the change may predate it.
  const changedAt = corefile.changedAt === undefined ? undefined : Date.parse(corefile.changedAt);
  const startedAfterChange = (p: GuardPod) => changedAt !== undefined && p.startTime !== undefined && Date.parse(p.startTime) > changedAt;
  // A Ready pod started after the change loaded it.
  if (pods.some((p) => p.ready && startedAfterChange(p))) return undefined;
  // Changed since a pod loaded its configuration: by the ConfigMap's write time, else by the hashes.
  const changed = changedAt !== undefined
    ? pods.some((p) => p.startTime !== undefined && !startedAfterChange(p))
    : sha512 !== undefined && states.some((s) => s.runningSha512 !== undefined);
  if (!changed) return undefined;
  const refused = states.filter((s) => s.reloadError !== undefined);
  const error = refused[0]?.reloadError ?? loadError;
  if (error === undefined) return undefined;
  const configMap = `${namespace}/${corefile.configMap}`;
  const when = [corefile.changedAt && `at ${corefile.changedAt}`, corefile.changedBy && `by ${corefile.changedBy}`, corefile.resourceVersion && `resourceVersion ${corefile.resourceVersion}`].filter(Boolean).join(', ');
  const source =
    refused.length > 0 ? `the reload plugin of ${refused.map((s) => s.pod).join(', ')} refused it` : states.length > 0 ? 'no pod has reloaded it yet' : "the pods' logs could not be read";
  const reason =
    `ConfigMap ${configMap} changed${when ? ` (${when})` : ''} to a Corefile CoreDNS cannot load: ${error} (${source}); ` +
    'the running pods keep their previous configuration and a restarted pod would crash-loop on the new one: not restarting — fix or revert the Corefile';
  return { configMap, error, refusedBy: refused.map((s) => s.pod), reason };
}

/** No restart: every planned action becomes a skipped one, and the cycle is classified broken-config. Pure. */
export function refuseRestarts(plan: RepairPlan, judgement: Judgement, broken: BrokenConfig): { plan: RepairPlan; judgement: Judgement } {
  const refused = plan.actions.flatMap((a) => (a.method === 'rollout' ? [{ pod: `${a.controller?.kind.toLowerCase() ?? 'deployment'}/${a.controller?.name ?? a.deployment}`, reason: broken.reason }] : a.restarts.map((r) => ({ pod: r.pod, reason: broken.reason }))));
  return {
    plan: { ...plan, actions: [], skipped: [...refused, ...plan.skipped] },
    judgement: { ...judgement, classification: 'broken-config', reason: broken.reason, candidates: [] },
  };
}

/** Lines of each DNS container's log read: enough for its start banner unless it logs every query. */
export const CONFIG_LOG_LINES = 1000;
/** Pods whose log is read: every pod's reload plugin reads the same ConfigMap, so a few tell (and the requests do not grow with the replicas). */
export const CONFIG_LOG_PODS = 3;

/**
 * The running DNS pods, with the logs of a few (Ready ones first), for brokenConfig; a log that cannot be
 * read is left out with a warning.
 */
export async function readPodConfigLogs(
  client: { readPodLog(namespace: string, name: string, opts: PodLogOptions): Promise<string> },
  workload: DnsWorkload,
  warn: (line: string) => void,
): Promise<GuardPod[]> {
  const running = workload.pods.filter((p) => p.phase === 'Running' && !p.terminating).sort((a, b) => Number(b.ready) - Number(a.ready) || a.name.localeCompare(b.name));
  return Promise.all(
    running.map(async (p, i) => {
      const pod: GuardPod = { name: p.name, ready: p.ready, ...(p.startTime && { startTime: p.startTime }) };
      if (i >= CONFIG_LOG_PODS) return pod;
      try {
        return { ...pod, log: await client.readPodLog(workload.namespace, p.name, { tailLines: CONFIG_LOG_LINES, previous: false, ...(p.dnsContainer && { container: p.dnsContainer }) }) };
      } catch (err) {
        warn(`could not read the log of ${p.name} for its running configuration: ${lineOf(err)}`);
        return pod;
      }
    }),
  );
}
