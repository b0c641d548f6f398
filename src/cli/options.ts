// The check command's flags: raw commander values → validated, typed options. Pure; every problem is
// one UsageError line (exit 2) raised before anything in the cluster is touched.
import { TRANSPORTS, LIMITS, type Transport } from '../probe/contract.ts';
import { LOG_LEVELS } from '../report/index.ts';
import { dedicatedProbeImage, parseToleration } from '../probepod/spec.ts';
import { PROBE_VERSION } from '../probe/version.ts';
import { IP_FAMILIES, parseCheckGroups, SAMPLE_MAX, type PlanFlags } from '../plan/index.ts';
import type { JudgeConfig } from '../judge/types.ts';
import type { RepairConfig, RepairMethod } from '../repair/policy.ts';
import { DEFAULTS, formatDuration } from '../common/defaults.ts';
import { boundedDuration } from '../common/duration.ts';
import { UsageError, type CheckSettings, type RepairSettings } from '../engine/index.ts';
import { HISTORY_LIMITS } from '../repair/history.ts';
import { labelSelectorProblem } from './selector.ts';
import { MODES } from '../modes/types.ts';
import { parseDnsAddress } from '../modes/address.ts';

export { UsageError };

/** What commander hands us (strings as typed; defaults applied by commander). */
export interface RawCheckFlags {
  kubeconfig?: string;
  /** Each --context as typed (repeatable, comma-separated lists allowed). */
  context?: string[];
  allContexts?: boolean;
  parallel?: string;
  namespace?: string;
  selector?: string;
  service?: string;
  configmap?: string;
  probeNamespace?: string;
  /** undefined: the default image, with the dedicated image as its fallback. */
  probeImage?: string;
  probeNodes: string;
  samples?: string;
  timeout?: string;
  transports?: string;
  externalName?: string;
  external: boolean;
  /** --no-default-checks sets false. */
  defaultChecks?: boolean;
  skipChecks?: string;
  ipFamily?: string;
  sampleServices?: string;
  clusterDomain?: string;
  /** --no-freshness sets false. */
  freshness?: boolean;
  clientView?: boolean;
  config?: string;
  output: string;
  logFormat: string;
  logLevel: string;
  podTimeout: string;
  imagePullSecret: string[];
  nodeSelector: string[];
  toleration: string[];
  requestTimeout: string;
  repair?: boolean;
  dryRun?: boolean;
  restartMethod?: string;
  maxUnavailable?: string;
  minReady?: string;
  cooldown?: string;
  restartBudget?: string;
  escalateAfter?: string;
  allowFullRestart?: boolean;
  allowSingleReplica?: boolean;
  failSamples?: string;
  confirmCycles?: string;
  latencyThreshold?: string;
  repairTimeout?: string;
  silentGracePeriod?: string;
  /** commander's --no-quarantine: false when given. */
  quarantine?: boolean;
  quarantineTtl?: string;
  /** Hidden --no-timeline (bench:chaos measures the behaviour before the timeline). */
  timeline?: boolean;
  mode?: string;
  dnsAddress?: string[];
}

/** The flags' defaults as commander shows and parses them: src/common/defaults.ts written as flags are. */
export const CHECK_DEFAULTS = {
  namespace: DEFAULTS.workload.namespace,
  selector: DEFAULTS.workload.selector,
  service: DEFAULTS.workload.service,
  configmap: DEFAULTS.workload.configmap,
  probeImage: DEFAULTS.probe.image,
  probeNodes: String(DEFAULTS.probe.nodes),
  output: DEFAULTS.output,
  logFormat: DEFAULTS.logFormat,
  logLevel: DEFAULTS.logLevel,
  podTimeout: formatDuration(DEFAULTS.probe.podTimeoutMs),
  requestTimeout: formatDuration(DEFAULTS.requestTimeoutMs),
} as const;

export const RESTART_METHODS: readonly RepairMethod[] = ['evict', 'delete', 'rollout'];

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** The bounds of every duration flag. Windows stop at what the repair history keeps (24h). */
export const DURATION_BOUNDS = {
  '--timeout': [1, LIMITS.timeoutMs],
  '--latency-threshold': [1, LIMITS.timeoutMs],
  '--pod-timeout': [SECOND, HOUR],
  '--request-timeout': [100, 10 * MINUTE],
  '--cooldown': [0, HISTORY_LIMITS.retainMs],
  '--restart-budget window': [MINUTE, HISTORY_LIMITS.retainMs],
  '--repair-timeout': [SECOND, HOUR],
  '--silent-grace-period': [0, 10 * MINUTE],
  '--quarantine-ttl': [0, HISTORY_LIMITS.retainMs],
  '--interval': [SECOND, 24 * HOUR],
} as const satisfies Record<string, readonly [number, number]>;

/** A duration flag (kubectl's syntax: 30 = 30s, 500ms, 2s, 1m30s, 1h), within its DURATION_BOUNDS. */
export function parseDuration(text: string, flag: keyof typeof DURATION_BOUNDS): number {
  const [min, max] = DURATION_BOUNDS[flag];
  const r = boundedDuration(text, min, max);
  if ('problem' in r) throw new UsageError(`${flag} ${r.problem}`);
  return r.ms;
}

/** "3/1h" → 3 restarts per hour; "3" alone keeps the default window (1h). */
export function parseBudget(text: string): { budget: number; windowMs?: number } {
  const m = /^(\d+)(?:\/(.+))?$/.exec(text.trim());
  if (!m) throw new UsageError(`--restart-budget must look like N/DURATION, e.g. 3/1h, got "${text}"`);
  const budget = Number(m[1]);
  if (budget > 1000) throw new UsageError(`--restart-budget must be at most 1000 restarts, got "${text}"`);
  if (m[2] === undefined) return { budget };
  return { budget, windowMs: parseDuration(m[2], '--restart-budget window') };
}

function intIn(text: string, flag: string, min: number, max: number, orElse = ''): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n < min || n > max) throw new UsageError(`${flag} must be an integer from ${min} to ${max}${orElse}, got "${text}"`);
  return n;
}

/** --skip-checks: the groups of src/plan/derived.ts, an unknown one named. */
function checkGroups(text: string) {
  try {
    return parseCheckGroups(text, '--skip-checks');
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function oneOf<T extends string>(text: string, flag: string, allowed: readonly T[]): T {
  if (!allowed.includes(text as T)) throw new UsageError(`${flag} must be one of ${allowed.join(', ')}, got "${text}"`);
  return text as T;
}

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_NAME = /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$/;

/** Object names (Services, ConfigMaps, Secrets): DNS subdomains of at most 253 characters. */
function k8sName(text: string, flag: string): string {
  if (!SUBDOMAIN.test(text) || text.length > 253) throw new UsageError(`${flag} must be a Kubernetes name (lowercase letters, digits, '-' and '.'), got "${text}"`);
  return text;
}

/** Namespaces are DNS labels: at most 63 characters, no dots. */
export function namespaceName(text: string, flag: string): string {
  if (!NAME.test(text) || text.length > 63) throw new UsageError(`${flag} must be a namespace name (at most 63 lowercase letters, digits and '-'), got "${text}"`);
  return text;
}

/** An image reference as a pod spec takes it: not empty, no whitespace or control characters. */
function imageReference(text: string): string {
  if (!/^[^\s\p{Cc}]+$/u.test(text)) throw new UsageError(`--probe-image must be an image reference such as node:22-alpine, got ${JSON.stringify(text)}`);
  return text;
}

function selectorOf(text: string): string {
  const problem = labelSelectorProblem(text);
  if (problem) throw new UsageError(`--selector "${text}": ${problem}`);
  return text.trim();
}

export function parseTransports(text: string): Transport[] {
  const list = text.split(',').map((s) => s.trim()).filter(Boolean);
  if (list.length === 0 || !list.every((t) => TRANSPORTS.includes(t as Transport))) throw new UsageError(`--transports must be udp, tcp or udp,tcp, got "${text}"`);
  return [...new Set(list as Transport[])];
}

function keyValues(list: string[], flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list) {
    const m = /^([A-Za-z0-9./_-]+)=([A-Za-z0-9._-]*)$/.exec(item);
    if (!m) throw new UsageError(`${flag} must be key=value, got "${item}"`);
    out[m[1]!] = m[2]!;
  }
  return out;
}

const has = (v: unknown) => v !== undefined && v !== false;

/** --mode and --dns-address (docs/modes.md). */
function modeFlags(raw: RawCheckFlags): Pick<CheckSettings, 'mode' | 'dnsAddresses'> {
  const mode = oneOf(raw.mode ?? DEFAULTS.modes.mode, '--mode', MODES);
  const dnsAddresses = (raw.dnsAddress ?? []).map((text) => {
    const parsed = parseDnsAddress(text);
    if ('problem' in parsed) throw new UsageError(parsed.problem);
    return parsed;
  });
  if (dnsAddresses.length && (mode === 'probe-pod' || mode === 'port-forward')) throw new UsageError(`--dns-address applies to --mode direct, in-cluster or auto, not ${mode}`);
  return { mode, dnsAddresses };
}

/** The workload flags as given (discovery finds what they leave out), and kubeadm's names for the rest. */
function workloadFlags(raw: RawCheckFlags): Pick<CheckSettings, 'namespace' | 'selector' | 'service' | 'configmap' | 'discover'> {
  const discover: CheckSettings['discover'] = {
    ...(raw.namespace !== undefined && { namespace: namespaceName(raw.namespace, '--namespace') }),
    ...(raw.selector !== undefined && { selector: selectorOf(raw.selector) }),
    // --service "": no Service, the pods only (headless or Service-less DNS servers).
    ...(raw.service !== undefined && { service: raw.service === '' ? '' : k8sName(raw.service, '--service') }),
    ...(raw.configmap !== undefined && { configmap: k8sName(raw.configmap, '--configmap') }),
  };
  const w = DEFAULTS.workload;
  return { namespace: discover.namespace ?? w.namespace, selector: discover.selector ?? w.selector, service: discover.service || w.service, configmap: discover.configmap ?? w.configmap, discover };
}

/** One --context: the cycle's; several or --all-contexts: a fleet run. */
function contextsOf(raw: RawCheckFlags): Pick<CheckSettings, 'context' | 'fleet'> {
  const names = (raw.context ?? []).flatMap((c) => c.split(',')).map((c) => c.trim());
  if (names.some((n) => !n)) throw new UsageError(`--context must name contexts of the kubeconfig (kubectl config get-contexts), got "${(raw.context ?? []).join(',')}"`);
  if (new Set(names).size !== names.length) throw new UsageError(`--context names a context twice: "${names.join(',')}"`);
  if (raw.allContexts && names.length) throw new UsageError('--all-contexts and --context contradict each other: pass one');
  const fleet = raw.allContexts === true || names.length > 1;
  if (!fleet && raw.parallel !== undefined) throw new UsageError('--parallel only applies with several --context or --all-contexts');
  if (!fleet) return names.length ? { context: names[0]! } : {};
  const parallel = raw.parallel === undefined ? DEFAULTS.fleetParallel : intIn(raw.parallel, '--parallel', 1, 32);
  return { fleet: { contexts: raw.allContexts ? 'all' : names, parallel } };
}

/** The judge's thresholds from flags; unset flags keep the judge's defaults. */
function judgeFlags(raw: RawCheckFlags): Partial<JudgeConfig> {
  const judge: Partial<JudgeConfig> = {};
  if (raw.failSamples !== undefined) judge.failSamples = intIn(raw.failSamples, '--fail-samples', 1, LIMITS.samples);
  if (raw.confirmCycles !== undefined) judge.confirmCycles = intIn(raw.confirmCycles, '--confirm-cycles', 1, 100);
  if (raw.latencyThreshold !== undefined) {
    judge.latencyThresholdMs = parseDuration(raw.latencyThreshold, '--latency-threshold');
  }
  return judge;
}

const REPAIR_ONLY: [keyof RawCheckFlags, string][] = [
  ['dryRun', '--dry-run'],
  ['restartMethod', '--restart-method'],
  ['maxUnavailable', '--max-unavailable'],
  ['minReady', '--min-ready'],
  ['cooldown', '--cooldown'],
  ['restartBudget', '--restart-budget'],
  ['escalateAfter', '--escalate-after'],
  ['allowFullRestart', '--allow-full-restart'],
  ['allowSingleReplica', '--allow-single-replica'],
  ['repairTimeout', '--repair-timeout'],
  ['silentGracePeriod', '--silent-grace-period'],
  ['quarantineTtl', '--quarantine-ttl'],
];

function repairFlags(raw: RawCheckFlags): RepairSettings {
  const enabled = raw.repair === true;
  // --no-quarantine and --no-timeline are given when commander sets them false.
  const negated = raw.quarantine === false ? '--no-quarantine' : raw.timeline === false ? '--no-timeline' : undefined;
  const misplaced = REPAIR_ONLY.find(([key]) => has(raw[key]))?.[1] ?? negated;
  if (!enabled && misplaced) throw new UsageError(`${misplaced} only applies with --repair`);
  const policy: Partial<RepairConfig> = {};
  if (raw.restartMethod !== undefined) policy.method = oneOf(raw.restartMethod, '--restart-method', RESTART_METHODS);
  if (raw.maxUnavailable !== undefined) policy.maxUnavailable = intIn(raw.maxUnavailable, '--max-unavailable', 1, 100);
  if (raw.minReady !== undefined) policy.minReady = intIn(raw.minReady, '--min-ready', 0, 1000);
  if (raw.cooldown !== undefined) policy.cooldownMs = parseDuration(raw.cooldown, '--cooldown');
  if (raw.restartBudget !== undefined) Object.assign(policy, parseBudget(raw.restartBudget));
  if (raw.escalateAfter !== undefined) policy.escalateAfter = intIn(raw.escalateAfter, '--escalate-after', 1, 100);
  if (raw.allowFullRestart) policy.allowFullRestart = true;
  if (raw.allowSingleReplica) policy.allowSingleReplica = true;
  const timeoutMs = raw.repairTimeout === undefined ? DEFAULTS.repair.timeoutMs : parseDuration(raw.repairTimeout, '--repair-timeout');
  const silentGraceSeconds = raw.silentGracePeriod === undefined ? DEFAULTS.repair.silentGraceSeconds : Math.ceil(parseDuration(raw.silentGracePeriod, '--silent-grace-period') / 1000);
  const quarantine = {
    enabled: raw.quarantine !== false,
    ttlMs: raw.quarantineTtl === undefined ? DEFAULTS.repair.quarantine.ttlMs : parseDuration(raw.quarantineTtl, '--quarantine-ttl'),
  };
  return { enabled, dryRun: raw.dryRun === true, policy, timeoutMs, leaseSeconds: DEFAULTS.repair.leaseSeconds, silentGraceSeconds, quarantine, timeline: raw.timeline !== false };
}

export function validateCheckFlags(raw: RawCheckFlags): CheckSettings {
  const plan: PlanFlags = { external: raw.external };
  if (raw.samples !== undefined) plan.samples = intIn(raw.samples, '--samples', 1, LIMITS.samples);
  if (raw.timeout !== undefined) {
    plan.timeoutMs = parseDuration(raw.timeout, '--timeout');
  }
  if (raw.transports !== undefined) plan.transports = parseTransports(raw.transports);
  if (raw.externalName !== undefined) {
    if (!raw.external) throw new UsageError('--external-name and --no-external contradict each other: pass one');
    if (!DNS_NAME.test(raw.externalName)) throw new UsageError(`--external-name must be a DNS name, got "${raw.externalName}"`);
    plan.externalName = raw.externalName.replace(/\.$/, '');
  }
  if (raw.defaultChecks === false) plan.defaultChecks = false;
  if (raw.skipChecks !== undefined) plan.disable = checkGroups(raw.skipChecks);
  if (raw.ipFamily !== undefined) plan.ipFamily = oneOf(raw.ipFamily, '--ip-family', IP_FAMILIES);
  if (raw.sampleServices !== undefined) plan.sampleServices = intIn(raw.sampleServices, '--sample-services', 0, SAMPLE_MAX);
  if (raw.clusterDomain !== undefined) {
    if (!DNS_NAME.test(raw.clusterDomain)) throw new UsageError(`--cluster-domain must be a DNS name, got "${raw.clusterDomain}"`);
    plan.clusterDomain = raw.clusterDomain.replace(/\.$/, '').toLowerCase();
  }
  if (raw.kubeconfig !== undefined && !raw.kubeconfig.trim()) throw new UsageError('--kubeconfig must name a file, got ""');
  const tolerations = raw.toleration.map((t) => {
    const parsed = parseToleration(t);
    if (!parsed) throw new UsageError(`--toleration must be key[=value][:Effect], got "${t}"`);
    return parsed;
  });
  const podTimeoutMs = parseDuration(raw.podTimeout, '--pod-timeout');
  const requestTimeoutMs = parseDuration(raw.requestTimeout ?? CHECK_DEFAULTS.requestTimeout, '--request-timeout');
  return {
    ...(raw.kubeconfig ? { kubeconfig: raw.kubeconfig } : {}),
    ...contextsOf(raw),
    ...workloadFlags(raw),
    ...(raw.probeNamespace !== undefined ? { probeNamespace: namespaceName(raw.probeNamespace, '--probe-namespace') } : {}),
    probeImage: imageReference(raw.probeImage ?? CHECK_DEFAULTS.probeImage),
    ...(raw.probeImage === undefined ? { probeImageFallback: dedicatedProbeImage(PROBE_VERSION) } : {}),
    probeNodes: raw.probeNodes.trim() === 'all' ? 'all' : intIn(raw.probeNodes, '--probe-nodes', 1, 10, ' or "all"'),
    plan,
    ...(raw.config ? { configFile: raw.config } : {}),
    output: oneOf(raw.output, '--output', ['table', 'json', 'yaml'] as const),
    logFormat: oneOf(raw.logFormat, '--log-format', ['text', 'json'] as const),
    logLevel: oneOf(raw.logLevel, '--log-level', LOG_LEVELS),
    podTimeoutMs,
    imagePullSecrets: raw.imagePullSecret.map((s) => k8sName(s, '--image-pull-secret')),
    nodeSelector: keyValues(raw.nodeSelector, '--node-selector'),
    tolerations,
    requestTimeoutMs,
    judge: judgeFlags(raw),
    freshness: raw.freshness !== false,
    clientView: raw.clientView === true,
    repair: repairFlags(raw),
    ...modeFlags(raw),
  };
}
