// The probe pod's life: create (named here) → watch until Running (the same watch lists the stale probe
// pods of killed runs, which are deleted meanwhile) → exec the probe with the plan → validate its JSON →
// ALWAYS delete by name (finally, also when the run's AbortSignal fires).
// Infrastructure failures become one ProbePodError with a clear reason; DNS failures are the report's
// business, not ours.
import { randomBytes } from 'node:crypto';
import { Interrupted, raceAbort, throwIfAborted } from '../common/abort.ts';
import { lineOf, SentinelError, type FailedRequest } from '../common/errors.ts';
import { EXIT } from '../common/exit-codes.ts';
import { KubeError, type ExecResult, type KContainerStatus, type KEvent, type KPod, type KubeClient, type PodManifest, type PodSiblings } from '../kube/index.ts';
import { podEvent } from '../discover/outage.ts';
import { validateReport, type CheckPlan, type ProbeReport } from '../probe/contract.ts';
import { buildProbePod, CONTAINER, LABELS, nodeBinary, PROBE_MEMORY_MIB, PROBE_SELECTOR, probeCommand, type PinnedNode, type ProbePodOptions } from './spec.ts';
import { parseResolvConf } from '../probe/clientview.ts';
import { currentOwner, ownerAnnotations, ownerDead, type RunOwner } from '../common/owner.ts';

export type ProbePodFailure = 'image-pull' | 'unschedulable' | 'rejected' | 'forbidden' | 'start-timeout' | 'pod-failed' | 'exec' | 'garbage';

/** The probe could not run or say what it found (exit 4); `request` when an API request failed. */
export class ProbePodError extends SentinelError {
  constructor(
    readonly reason: ProbePodFailure,
    message: string,
    readonly hint: string,
    request?: FailedRequest,
    /** An image pull that failed for the registry (a rate limit, unreachable), not for the image: another registry may serve. */
    readonly registryDown = false,
  ) {
    super(message, { exitCode: EXIT.probe, line: hint ? `${message} (${hint})` : message, request });
    this.name = 'ProbePodError';
  }
}

const IMAGE_PULL = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull']);
const CANNOT_START = new Set(['CreateContainerConfigError', 'CreateContainerError', 'RunContainerError']);

/**
 * Why a pull failed, read from the runtime's message, and what to do. Messages as containerd words
 * them: `429 Too Many Requests - Server message: toomanyrequests: You have reached your unauthenticated
 * pull rate limit` (Docker Hub: docs.docker.com/docker-hub/usage/), `pull access denied … authorization
 * failed` / `401 Unauthorized`, `dial tcp: lookup registry-1.docker.io: no such host` / `i/o timeout`.
 * Pure.
 */
export function imagePullCause(message: string): { cause: string; fix: string; registryDown?: boolean } {
  if (/toomanyrequests|429 Too Many Requests|rate limit/i.test(message))
    return { cause: 'the registry rate-limits pulls (Docker Hub: 10 anonymous pulls per hour per address)', fix: 'copy the image to a mirror and pass --probe-image <mirror>/<image>, or authenticate the pulls with --image-pull-secret', registryDown: true };
  if (/unauthorized|authentication required|access denied|authorization failed|insufficient_scope|\b40[13]\b/i.test(message))
    return { cause: 'the registry refused the pull (unauthorized, or no such repository)', fix: 'pass --image-pull-secret with credentials for the registry, or check --probe-image' };
  if (/dial tcp|i\/o timeout|no such host|connection refused|network is unreachable|TLS handshake timeout|deadline exceeded/i.test(message))
    return { cause: 'the registry is unreachable from the node', fix: 'mirror the image to a registry the nodes reach and pass --probe-image <mirror>/<image>', registryDown: true };
  if (/not found|manifest unknown/i.test(message)) return { cause: 'the image does not exist', fix: 'check --probe-image' };
  if (/no matching manifest/i.test(message)) return { cause: 'the image has no build for the node\'s platform', fix: 'pass a --probe-image built for it' };
  return { cause: 'the pull failed', fix: 'check --probe-image, the registry and --image-pull-secret' };
}

/**
 * The scheduler found no room (Insufficient cpu/memory/…, Too many pods), which the cluster autoscaler
 * or finishing pods may make: worth waiting for, unlike a taint or selector nothing will change
 * (kubernetes pkg/scheduler/framework/plugins/noderesources/fit.go: "Insufficient %v", "Too many pods").
 */
export const waitsForCapacity = (message: string): boolean => /Insufficient [\w./-]+|Too many pods/.test(message);

/**
 * The telling part of a runtime's pull error: without the prefixes that repeat the image, and its end
 * kept when still long (where the registry's own words are).
 */
export function pullDetail(message: string): string {
  const bare = message.replace(/^(?:(?:failed to pull and unpack image|failed to resolve reference) "[^"]*": )+/, '');
  return bare.length > 200 ? `…${bare.slice(-200)}` : bare;
}

const stateOf = (c: KContainerStatus) => `${c.waitingReason}${c.waitingMessage ? `: ${c.waitingMessage}` : ''}`;

/** Where a probe pod stands: running, still starting, or failed for a reason worth telling at once. */
export function podProgress(pod: KPod): 'running' | 'pending' | ProbePodError {
  const statuses = [...(pod.initContainerStatuses ?? []), ...pod.containerStatuses];
  const pulling = statuses.find((c) => c.waitingReason && IMAGE_PULL.has(c.waitingReason));
  if (pulling) {
    const image = [...(pod.initContainers ?? []), ...(pod.containers ?? [])].find((c) => c.name === pulling.name)?.image;
    const { cause, fix, registryDown } = imagePullCause(pulling.waitingMessage ?? '');
    const detail = pulling.waitingMessage ? `: ${pullDetail(pulling.waitingMessage)}` : '';
    // Only the probe container's own image can be swapped for another.
    return new ProbePodError('image-pull', `probe pod ${pod.name} cannot pull image ${image ?? `of container ${pulling.name}`}: ${cause} (${pulling.waitingReason}${detail})`, fix, undefined, registryDown === true && pulling.name === CONTAINER);
  }
  const stuck = statuses.find((c) => c.waitingReason && CANNOT_START.has(c.waitingReason));
  if (stuck) return new ProbePodError('pod-failed', `probe pod ${pod.name} cannot start${stuck.name === CONTAINER ? '' : ` container ${stuck.name}`}: ${stateOf(stuck)}`, 'check the probe image');
  const initFailed = (pod.initContainerStatuses ?? []).find((c) => c.terminatedReason && c.terminatedExitCode !== 0);
  if (initFailed)
    return new ProbePodError('pod-failed', `probe pod ${pod.name}: init container ${initFailed.name} failed: ${initFailed.terminatedReason} (exit ${initFailed.terminatedExitCode})`,
      'something injected it (a service mesh?): see kubectl describe, or use a --probe-namespace without injection');
  const scheduled = pod.conditions.find((c) => c.type === 'PodScheduled');
  if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable' && !waitsForCapacity(scheduled.message ?? ''))
    return new ProbePodError('unschedulable', `probe pod ${pod.name} cannot be scheduled: ${scheduled.message ?? 'no node fits'}`,
      'check --node-selector, --toleration, --probe-nodes and the nodes\' taints');
  if (pod.phase === 'Failed' || pod.phase === 'Succeeded') {
    const term = pod.containerStatuses.find((c) => c.terminatedReason);
    if (term?.terminatedReason === 'OOMKilled') return outOfMemory(pod.name);
    const why = pod.reason ?? term?.terminatedReason ?? pod.phase;
    return new ProbePodError('pod-failed', `probe pod ${pod.name} ended before the probe ran: ${why}${pod.message ? `: ${pod.message}` : ''}`, 'check the probe image and --pod-timeout');
  }
  const waiting = pod.containerStatuses.find((c) => c.waitingReason);
  if (pod.phase === 'Running' && !waiting) return 'running';
  return 'pending';
}

const outOfMemory = (pod: string) =>
  new ProbePodError('exec', `the probe in pod ${pod} ran out of its ${PROBE_MEMORY_MIB} Mi memory limit (OOM-killed)`,
    'a smaller plan fits: lower --samples, probe one transport with --transports, or drop checks from --config');

/**
 * Why the exec'd probe failed, from its exit code when it printed no report. 137 is SIGKILL, which in a
 * container that still runs is the memory cgroup's OOM killer.
 */
export function probeExitError(pod: string, exitCode: number, stderr: string): ProbePodError {
  if (exitCode === 137) return outOfMemory(pod);
  return new ProbePodError('exec', `probe in pod ${pod} exited with code ${exitCode}: ${stderr.trim().split('\n').pop() ?? ''}`, 'check the probe image');
}

/** The scheduler's reason while a pod waits for room, or undefined. */
export function capacityWait(pod: KPod): string | undefined {
  const scheduled = pod.conditions.find((c) => c.type === 'PodScheduled');
  return scheduled?.status === 'False' && scheduled.reason === 'Unschedulable' && waitsForCapacity(scheduled.message ?? '') ? scheduled.message : undefined;
}

/** Containers besides the probe: a mesh injected a sidecar despite the opt-out. */
export function injectedContainers(pod: KPod): string[] {
  return [...(pod.initContainers ?? []), ...(pod.containers ?? [])].map((c) => c.name).filter((n) => n !== CONTAINER);
}

/**
 * The one check every mode's probe report passes before the judge sees it, whether the probe ran in a
 * pod (its stdout, parseProbeOutput) or in this process (direct, in-cluster, port-forward:
 * src/modes/types.ts inProcessResult): src/probe/contract.ts validateReport, the compiled schema and the
 * cross-field checks against the plan. Whatever it cannot trust is a ProbePodError 'garbage' (exit 4,
 * "probe output invalid: …"), never another error: test/schema/mutation.test.ts feeds it mutated reports.
 * `source` names the probe: "probe pod NAME", "the in-process probe (direct mode)".
 */
export function trustedReport(parsed: unknown, plan: CheckPlan, source: string): ProbeReport {
  const problem = validateReport(parsed, plan);
  if (problem) throw new ProbePodError('garbage', `probe output invalid: ${problem} (${source})`, 'the probe image may not match this version: check --probe-image');
  const report = parsed as ProbeReport;
  if (report.error) throw new ProbePodError('exec', `${source} could not run the plan: ${report.error.message}`, 'report this as a bug with the plan (-o json)');
  return report;
}

/** Parses the probe pod's stdout and checks the report (trustedReport). */
export function parseProbeOutput(stdout: string, plan: CheckPlan, pod: string): ProbeReport {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    throw new ProbePodError('garbage', `probe output invalid: no JSON report: ${JSON.stringify(stdout.trim().slice(0, 80) || '(nothing)')} (probe pod ${pod})`, 'the probe image may not match this version: check --probe-image');
  }
  return trustedReport(parsed, plan, `probe pod ${pod}`);
}

/** How long the probe may take: every sample can time out, and samples of one check run one after another. */
export function execBudgetMs(plan: CheckPlan): number {
  // The client view: a lookup through at most 7 candidates, then the bursts, each with one retry.
  const clientView = plan.clientView ? 2 * plan.clientView.retryAfterMs * 8 : 0;
  return plan.timeoutMs * plan.samples * 2 + clientView + 15_000;
}

/**
 * What to do about an admission refusal, by who refused (their messages: Pod Security
 * `violates PodSecurity "restricted:latest"`, OpenShift `unable to validate against any security context
 * constraint`, ResourceQuota `exceeded quota: <name>` / `failed quota: <name>: must specify …`,
 * LimitRange `… max limit to request ratio per Container is 2 …`). Pure.
 */
export function refusalHint(message: string): string {
  if (/security context constraint/.test(message)) return 'OpenShift\'s SCC refused the pod\'s user: grant get on namespaces (manifests/rbac-check.yaml) so the SCC assigns it, or use another --probe-namespace';
  if (/violates PodSecurity/.test(message)) return 'the namespace\'s Pod Security level refused the pod as the message says: use another --probe-namespace';
  const quota = /(?:exceeded quota|failed quota): ([\w.-]+)/.exec(message)?.[1];
  if (quota && /exceeded quota/.test(message)) return `the namespace's ResourceQuota ${quota} has no room left for the probe pod: free it, raise it (kubectl describe quota ${quota}), or use another --probe-namespace`;
  if (quota) return `the namespace's ResourceQuota ${quota} wants every container to state what the message names: report it, or use another --probe-namespace`;
  if (/per Container|per Pod|LimitRange/.test(message)) return 'the namespace\'s LimitRange refused the probe pod\'s resources: see `kubectl describe limitrange`, or use another --probe-namespace';
  return 'an admission policy, Pod Security or quota refused it: see the message, or use --probe-namespace';
}

/** A 403 that is not RBAC (Pod Security, quota, webhooks) or a 422 is the cluster refusing this pod. */
function createError(err: unknown, namespace: string): unknown {
  if (!(err instanceof KubeError)) return err;
  const rbac = err.kind === 'forbidden' && /cannot \w+ resource/.test(err.message);
  if ((err.kind === 'forbidden' && !rbac) || err.kind === 'invalid')
    return new ProbePodError('rejected', `probe pod rejected in namespace ${namespace}: ${err.message}`, refusalHint(err.message));
  return err;
}

export interface ProbeTimings {
  createMs: number;
  startMs: number;
  execMs: number;
  deleteMs: number;
}

export interface ProbeRunResult {
  pod: string;
  node: string;
  /** The probe pod's image (the fallback's when the default's registry failed); modes without a pod have none. */
  image?: string;
  report: ProbeReport;
  timings: ProbeTimings;
  /** What the report should say about this probe pod (a sidecar injected anyway). */
  notes?: string[];
  /** The first run of runProbePods: the stale probe pods it deleted, and why a sweep failed (one line). */
  sweep?: { deleted: string[]; failure?: string };
}

export interface ProbeRunOptions extends Omit<ProbePodOptions, 'node' | 'runId' | 'deadlineSeconds' | 'plan'> {
  /** Time allowed from create to Running. */
  podTimeoutMs: number;
  /**
   * Where `image` is the default (no --probe-image) and its registry rate-limits or cannot be reached:
   * the image to try once more with, in one more pod (docs/real-clusters.md "Image pulls").
   */
  fallbackImage?: string;
  /** Nodes to pin the probe pods to: one pod per node; empty = one unpinned pod. */
  nodes: PinnedNode[];
  /** Told when each stage starts (for the progress line). */
  onStage?: (stage: 'probe pod' | 'exec', detail: string) => void;
  /** SIGINT/SIGTERM: the run stops waiting, deletes its probe pods and throws Interrupted. */
  signal?: AbortSignal;
}

const elapsed = (since: number) => Date.now() - since;

/** Annotations of a probe pod that the sweep reads besides the owner's (src/common/owner.ts). */
export const SWEEP_ANNOTATIONS = {
  /** Time allowed to become Running (--pod-timeout), seconds. */
  startSeconds: 'coredns-sentinel/start-budget-seconds',
  /** Time the exec may take once Running (execBudgetMs), seconds. */
  execSeconds: 'coredns-sentinel/exec-budget-seconds',
} as const;

/** Slack on each bound for clock skew and the request that deletes the pod. */
export const SWEEP_MARGIN_SECONDS = 5;

/** kubelet's backstop: the pod fails itself after its start and exec budgets (activeDeadlineSeconds). */
export const deadlineSecondsOf = (podTimeoutMs: number, execMs: number): number => Math.ceil((podTimeoutMs + execMs) / 1000) + SWEEP_MARGIN_SECONDS;

/** A probe pod name chosen here, so a pod whose create is in flight can be deleted by name. */
export const probePodName = (): string => `coredns-sentinel-probe-${randomBytes(4).toString('hex')}`;

/** Pause before the second delete of a pod whose create ended without a clear answer. */
const SECOND_DELETE_MS = 1000;

/** The API server answered the create with a refusal (4xx): no pod can appear later. */
const definitelyRefused = (err: unknown): boolean => err instanceof KubeError && err.code >= 400 && err.code < 500 && err.code !== 408 && err.code !== 429;

/**
 * Probe pods of one run, deleted by name whatever happens (an error, a signal, a create whose answer
 * never came): the janitor waits for each create to settle before deleting, so a create that lands after
 * the delete cannot leak its pod.
 */
class PodJanitor {
  private readonly pods = new Map<string, { namespace: string; created: Promise<unknown> }>();
  /** Every pod whose create was sent and which was deleted since. */
  readonly deleted: string[] = [];

  constructor(private readonly client: KubeClient) {}

  track(namespace: string, name: string, created: Promise<unknown>): void {
    this.pods.set(name, { namespace, created: created.then(() => undefined, (err: unknown) => err) });
  }

  /**
   * Deletes the pod; when the API fails the delete (any shape, retries spent), says so in one line
   * instead of throwing: what the probe found stands, and the pod left is swept by the next run.
   */
  async remove(name: string): Promise<string | undefined> {
    const pod = this.pods.get(name);
    if (!pod) return undefined;
    const failed = await pod.created;
    try {
      await this.client.deletePod(pod.namespace, name);
      // A create that timed out or broke may still land on the server after our delete: delete again.
      if (failed !== undefined && !definitelyRefused(failed)) {
        await new Promise((r) => setTimeout(r, SECOND_DELETE_MS));
        await this.client.deletePod(pod.namespace, name);
      }
    } catch (err) {
      if (!(err instanceof KubeError)) throw err;
      return leftPodLine(pod.namespace, name, err);
    }
    this.pods.delete(name);
    this.deleted.push(name);
    return undefined;
  }
}

/** A probe pod whose delete failed: the request's line, who deletes it later, and how to at once. */
const leftPodLine = (namespace: string, name: string, err: KubeError): string =>
  `probe pod ${name} NOT deleted: ${err.line} — the next run or \`coredns-sentinel cleanup\` deletes it; now: kubectl delete pod -n ${namespace} ${name}`;

/**
 * The sweep of stale probe pods (see staleReason), riding on one probe pod's watch: its synthetic ADDED
 * events are the namespace's probe pods, so the sweep costs no list. Each stale pod is deleted once,
 * while the probe pod starts.
 */
class Sweeper {
  private readonly deleted: string[] = [];
  private failure: unknown;
  private readonly offered = new Set<string>();
  private readonly deleting: Promise<void>[] = [];
  private readonly self = currentOwner();
  private watched = false;

  constructor(private readonly client: KubeClient, private readonly namespace: string) {}

  /** The `siblings` of the watch of pod `name`. */
  siblings(): PodSiblings {
    this.watched = true;
    return { labelSelector: PROBE_SELECTOR, seen: (pod) => this.offer(pod) };
  }

  private offer(pod: KPod): void {
    if (this.offered.has(pod.name) || stalePods([pod], Date.now(), this.self).length === 0) return;
    this.offered.add(pod.name);
    this.deleting.push(this.client.deletePod(pod.namespace || this.namespace, pod.name).then(() => void this.deleted.push(pod.name), (err: unknown) => void (this.failure ??= err)));
  }

  /** Waits for the deletes; a successful run that never watched (its pod Running at once) sweeps by a list. */
  async settle(succeeded: boolean): Promise<NonNullable<ProbeRunResult['sweep']>> {
    if (succeeded && !this.watched) await sweepStalePods(this.client, this.namespace).then((names) => void this.deleted.push(...names), (err: unknown) => void (this.failure ??= err));
    await Promise.all(this.deleting);
    return { deleted: this.deleted, ...(this.failure !== undefined && { failure: lineOf(this.failure) }) };
  }
}

/**
 * The pod waited its whole --pod-timeout for room: the scheduler's reason and, when the cluster
 * autoscaler answered it, its Event (TriggeredScaleUp / NotTriggerScaleUp: a node is coming, or none
 * can). One list of the namespace's Events, on this failure only.
 */
async function noRoom(client: KubeClient, pod: KPod, podTimeoutMs: number): Promise<ProbePodError> {
  const events = await client.listEvents(pod.namespace).catch(() => []);
  const scaler = events.filter((e) => e.involvedName === pod.name && /TriggerScaleUp|TriggeredScaleUp/.test(e.reason)).pop();
  const said = scaler ? `; cluster autoscaler: ${scaler.reason}: ${scaler.message}` : '';
  const scheduler = capacityWait(pod) ?? '';
  return new ProbePodError('unschedulable', `probe pod ${pod.name} found no room within ${podTimeoutMs} ms: ${said ? scheduler.replace(/\.$/, '') : scheduler}${said}`,
    scaler?.reason === 'TriggeredScaleUp' ? 'a node is being added: raise --pod-timeout' : 'free capacity, or raise --pod-timeout where a cluster autoscaler adds nodes');
}

/** What to do about a probe pod that never started, from the kubelet's Events about it. Pure. */
export function startTimeoutHint(pod: KPod, events: KEvent[]): string {
  const event = podEvent(pod.name, events);
  const where = pod.nodeName ? ` on node ${pod.nodeName}` : '';
  if (event?.reason === 'FailedCreatePodSandBox')
    return `the node's pod network cannot set the pod up${where} (${event.reason}: ${event.message}): fix the CNI there, or probe from other nodes (--node-selector)`;
  if (event && event.type === 'Warning') return `the kubelet says ${event.reason}: ${event.message}`;
  return 'the node may be slow to pull the image: raise --pod-timeout or use a pre-pulled --probe-image';
}

/** What one probe pod runs once it is Running: a command, its time budget, and how its output is read. */
interface PodTask<T> {
  /** The plan the pod carries (plan-file.ts); none for a task that runs no plan. */
  plan?: CheckPlan;
  command: string[];
  timeoutMs: number;
  read(result: ExecResult, pod: string): T;
}

/** One pod's run of a task: what its read returned, in place of a probe report. */
type PodRun<T> = Omit<ProbeRunResult, 'report'> & { value: T };

/** The probe on its plan: the report validated against the plan. */
function probeTask(plan: CheckPlan, image: string): PodTask<ProbeReport> {
  return {
    plan,
    command: probeCommand(image),
    timeoutMs: execBudgetMs(plan),
    read: (result, pod) => {
      // The probe prints a report even when it exits non-zero (plan invalid); judge the output first.
      if (result.exitCode !== 0 && !result.stdout.trim()) throw probeExitError(pod, result.exitCode, result.stderr);
      return parseProbeOutput(result.stdout, plan, pod);
    },
  };
}

async function runOne<T>(client: KubeClient, task: PodTask<T>, opts: ProbeRunOptions, runId: string, node: PinnedNode | undefined, janitor: PodJanitor, sweeper?: Sweeper): Promise<PodRun<T>> {
  const { signal } = opts;
  throwIfAborted(signal);
  const execTimeoutMs = task.timeoutMs;
  const deadlineSeconds = deadlineSecondsOf(opts.podTimeoutMs, execTimeoutMs);
  const built = buildProbePod({ ...opts, ...(task.plan && { plan: task.plan }), runId, deadlineSeconds, ...(node ? { node } : {}) });
  const name = probePodName();
  const { generateName: _generated, ...metadata } = built.metadata;
  const annotations = {
    ...ownerAnnotations(currentOwner()),
    [SWEEP_ANNOTATIONS.startSeconds]: String(Math.ceil(opts.podTimeoutMs / 1000)),
    [SWEEP_ANNOTATIONS.execSeconds]: String(Math.ceil(execTimeoutMs / 1000)),
  };
  const manifest: PodManifest = { ...built, metadata: { ...metadata, name, annotations: { ...metadata.annotations, ...annotations } } };
  const namespace = manifest.metadata.namespace;
  const timings: ProbeTimings = { createMs: 0, startMs: 0, execMs: 0, deleteMs: 0 };
  opts.onStage?.('probe pod', `creating in namespace ${namespace}${node ? ` on node ${node.name}` : ''}`);
  let t = Date.now();
  const creating = client.createPod(manifest);
  janitor.track(namespace, name, creating);
  try {
    const created = await raceAbort(creating, signal).catch((err: unknown) => {
      throw createError(err, namespace);
    });
    timings.createMs = elapsed(t);
    t = Date.now();
    let failure: ProbePodError | undefined;
    let current: KPod = created;
    const first = podProgress(created);
    if (first !== 'running') {
      if (first instanceof ProbePodError) throw first;
      let toldCapacity = false;
      const watching = client.watchPod(namespace, created.name, created.resourceVersion, (pod) => {
        current = pod;
        const room = capacityWait(pod);
        if (room && !toldCapacity) {
          toldCapacity = true;
          opts.onStage?.('probe pod', `${created.name} waits for room (up to --pod-timeout): ${room}`);
        }
        const progress = podProgress(pod);
        if (progress instanceof ProbePodError) failure = progress;
        return progress !== 'pending' || signal?.aborted === true;
      }, opts.podTimeoutMs, sweeper?.siblings());
      const watched = await raceAbort(watching, signal);
      if (failure) throw failure;
      if (watched.deleted) throw new ProbePodError('pod-failed', `probe pod ${created.name} was deleted before it ran`, 'something else deletes pods in that namespace: run again');
      if (watched.timedOut && capacityWait(current)) throw await noRoom(client, current, opts.podTimeoutMs);
      if (watched.timedOut) {
        const waiting = current.containerStatuses.find((c) => c.waitingReason)?.waitingReason;
        // The kubelet's Events say why a pod never started (no sandbox: the CNI); unreadable ones say nothing.
        const events = await client.listEvents(namespace).catch(() => []);
        throw new ProbePodError('start-timeout', `probe pod ${created.name} not Running after ${opts.podTimeoutMs} ms (phase ${current.phase}${waiting ? `, ${waiting}` : ''})`, startTimeoutHint(current, events));
      }
    }
    timings.startMs = elapsed(t);
    opts.onStage?.('exec', `probe in ${created.name}${current.nodeName ? ` on ${current.nodeName}` : ''}`);
    t = Date.now();
    const executing = client.exec({ namespace, pod: created.name, container: CONTAINER, command: task.command, timeoutMs: execTimeoutMs });
    const result = await raceAbort(executing, signal).catch((err: unknown) => {
      // The pod was created and watched, so the API works: an exec that fails in any shape (a status, a
      // reset, no answer) is the probe that could not run (exit 4). Refused access stays an API error (3).
      if (err instanceof KubeError && err.kind !== 'forbidden' && err.kind !== 'unauthorized')
        throw new ProbePodError('exec', `exec of the probe in pod ${created.name}${current.nodeName ? ` on node ${current.nodeName}` : ''} failed: ${err.message}`, err.hint, err.request);
      throw err;
    });
    timings.execMs = elapsed(t);
    const value = task.read(result, created.name);
    const injected = injectedContainers(current);
    const notes = injected.length
      ? [`probe pod ${created.name} got ${injected.join(', ')} injected despite its opt-out labels: a mesh's DNS proxy may have answered instead of CoreDNS — use a --probe-namespace without injection`]
      : [];
    t = Date.now();
    const left = await janitor.remove(name);
    timings.deleteMs = elapsed(t);
    if (left) notes.push(left);
    return { pod: created.name, node: current.nodeName, image: opts.image, value, timings, ...(notes.length && { notes }) };
  } catch (err) {
    // The probe's own failure is the cause and keeps its exit code; a pod also left behind is named in it.
    const left = await janitor.remove(name);
    throw left && err instanceof ProbePodError ? new ProbePodError(err.reason, `${err.message}; ${left}`, err.hint, err.request) : err;
  }
}

/**
 * runOne, and when the default image's registry failed (a rate limit, unreachable) once more with
 * opts.fallbackImage in a new pod: at most one extra pod per probe pod, deleted like the first.
 */
async function runOneOrFallback(client: KubeClient, plan: CheckPlan, opts: ProbeRunOptions, runId: string, node: PinnedNode | undefined, janitor: PodJanitor, sweeper?: Sweeper): Promise<ProbeRunResult> {
  // The probe's argv depends on the image (dedicated or a stock node image): a task per image.
  const probe = async (image: string, watchSiblings?: Sweeper): Promise<ProbeRunResult> => {
    const { value: report, ...run } = await runOne(client, probeTask(plan, image), { ...opts, image }, runId, node, janitor, watchSiblings);
    return { ...run, report };
  };
  try {
    return await probe(opts.image, sweeper);
  } catch (err) {
    const fallback = opts.fallbackImage;
    if (!fallback || !(err instanceof ProbePodError) || !err.registryDown || opts.signal?.aborted) throw err;
    opts.onStage?.('probe pod', `${opts.image} cannot be pulled: trying ${fallback}`);
    const why = imagePullCause(err.message).cause;
    const retried = await probe(fallback).catch((again: unknown) => {
      throw again instanceof ProbePodError && again.reason === 'image-pull'
        ? new ProbePodError('image-pull', `${err.message}; the fallback failed too: ${again.message}`, again.hint, again.request)
        : again;
    });
    const note = `the default probe image ${opts.image} could not be pulled (${why}): probed with ${fallback} instead (pass --probe-image to choose the image)`;
    return { ...retried, notes: [note, ...(retried.notes ?? [])] };
  }
}

/**
 * Runs the plan from one probe pod per node in `opts.nodes` (or one unpinned pod), in parallel; the
 * first pod's watch sweeps stale probe pods. On a signal every pod is deleted (each after its create
 * settled) before Interrupted is thrown.
 */
export async function runProbePods(client: KubeClient, plan: CheckPlan, opts: ProbeRunOptions): Promise<ProbeRunResult[]> {
  const runId = randomBytes(4).toString('hex');
  const janitor = new PodJanitor(client);
  const sweeper = new Sweeper(client, opts.namespace);
  const nodes = opts.nodes.length ? opts.nodes : [undefined];
  const settled = await Promise.allSettled(nodes.map((node, i) => runOneOrFallback(client, plan, opts, runId, node, janitor, i === 0 ? sweeper : undefined)));
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  const sweep = await sweeper.settle(failed === undefined);
  if (opts.signal?.aborted) {
    // What the signal really left to clean up: pods whose create was sent (each deleted by name), or none.
    const cleaned = janitor.deleted.length ? `probe pod ${janitor.deleted.join(', ')} deleted` : 'no probe pod was created';
    throw new Interrupted(failed && !(failed.reason instanceof Interrupted) ? `interrupted; ${lineOf(failed.reason)}` : `interrupted: ${cleaned}`);
  }
  if (failed) {
    // Refused (a quota full of pods left by killed runs?) before any watch swept: sweep by a list for the next run.
    if (failed.reason instanceof ProbePodError && failed.reason.reason === 'rejected') {
      const freed = await sweepStalePods(client, opts.namespace).catch(() => []);
      if (freed.length) throw new ProbePodError('rejected', `${failed.reason.message}; deleted ${freed.length} stale probe pod(s) that count against the namespace's quota: ${freed.join(', ')}`, 'run again');
    }
    throw failed.reason;
  }
  return settled.map((s, i) => ({ ...(s as PromiseFulfilledResult<ProbeRunResult>).value, ...(i === 0 && { sweep }) }));
}

/** Prints the pod's own /etc/resolv.conf: node is in every probe image, a shell or cat is not. */
const PRINT_RESOLV_CONF = "process.stdout.write(require('fs').readFileSync('/etc/resolv.conf', 'utf8'))";
const RESOLV_CONF_EXEC_MS = 15_000;

/**
 * The cluster DNS Service IP as the kubelet gives it to pods (--cluster-dns): the first nameserver of
 * one probe pod's /etc/resolv.conf (dnsPolicy ClusterFirst), read by an exec of node. The pod is made
 * and deleted like any probe pod; undefined when its resolv.conf names no nameserver.
 */
export async function readPodNameserver(client: KubeClient, opts: Omit<ProbeRunOptions, 'nodes'>): Promise<{ pod: string; nameserver?: string }> {
  const janitor = new PodJanitor(client);
  const task: PodTask<string | undefined> = {
    command: [nodeBinary(opts.image), '-e', PRINT_RESOLV_CONF],
    timeoutMs: RESOLV_CONF_EXEC_MS,
    read: (result, pod) => {
      if (result.exitCode !== 0) throw new ProbePodError('exec', `reading /etc/resolv.conf in probe pod ${pod} failed (exit ${result.exitCode}): ${result.stderr.trim().split('\n').pop() ?? ''}`, 'check the probe image, or pass -n and --service of the DNS Service');
      return parseResolvConf(result.stdout).nameservers[0];
    },
  };
  const { pod, value } = await runOne(client, task, { ...opts, nodes: [] }, randomBytes(4).toString('hex'), undefined, janitor);
  return { pod, ...(value !== undefined && { nameserver: value }) };
}

const seconds = (v: string | undefined): number | undefined => (v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined);
const readySince = (p: KPod): number => Date.parse(p.conditions.find((c) => c.type === 'Ready' && c.status === 'True')?.lastTransitionTime ?? '');

/**
 * Why this probe pod of this tool may be deleted now, or undefined. Ended pods; pods whose run is
 * provably dead (same host and boot, process gone: at once); pods Ready (so exec'd at once by their run)
 * for longer than their exec budget; pods not Running within their start budget; pods past their
 * activeDeadlineSeconds. Each bound has SWEEP_MARGIN_SECONDS of slack. docs/repair.md "Probe pods left
 * behind". Pure but for `dead`.
 */
export function staleReason(p: KPod, now: number, dead: (annotations: Record<string, string>) => boolean): string | undefined {
  if (p.labels[LABELS.managedBy] !== 'coredns-sentinel') return undefined;
  if (p.phase === 'Succeeded' || p.phase === 'Failed') return `ended (${p.phase})`;
  const annotations = p.annotations ?? {};
  if (dead(annotations)) return 'its run is gone (same host, process ended)';
  const margin = SWEEP_MARGIN_SECONDS * 1000;
  const created = Date.parse(p.creationTimestamp ?? '');
  const exec = seconds(annotations[SWEEP_ANNOTATIONS.execSeconds]);
  const start = seconds(annotations[SWEEP_ANNOTATIONS.startSeconds]);
  const ready = readySince(p);
  if (exec !== undefined && Number.isFinite(ready) && ready + exec * 1000 + margin < now) return `Ready for longer than its exec budget (${exec} s)`;
  if (start !== undefined && !Number.isFinite(ready) && Number.isFinite(created) && created + start * 1000 + margin < now) return `not Running within its start budget (${start} s)`;
  if (Number.isFinite(created) && created + (p.activeDeadlineSeconds ?? 0) * 1000 < now) return 'past its deadline';
  return undefined;
}

/** This tool's probe pods that may be deleted now (see staleReason). */
export function stalePods(pods: KPod[], now: number, self: RunOwner = currentOwner()): KPod[] {
  return pods.filter((p) => staleReason(p, now, (a) => ownerDead(a, self)) !== undefined);
}

/** Deletes probe pods left by interrupted runs (or, with `all`, every probe pod of this tool); returns their names. */
export async function sweepStalePods(client: KubeClient, namespace: string, now = Date.now(), opts: { all?: boolean } = {}): Promise<string[]> {
  const pods = await client.listPods(namespace, PROBE_SELECTOR);
  const doomed = opts.all ? pods.filter((p) => p.labels[LABELS.managedBy] === 'coredns-sentinel') : stalePods(pods, now);
  await Promise.all(doomed.map((p) => client.deletePod(p.namespace || namespace, p.name)));
  return doomed.map((p) => p.name);
}
