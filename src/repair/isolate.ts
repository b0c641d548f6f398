// Carries out a quarantine (src/repair/quarantine.ts), write-ahead like a restart: the record first (no
// record, no relabel), an Event, the relabel (uid as precondition), then a bounded wait until the
// Service no longer routes to the pod and a replacement is Ready, and a concluding Event. Also deletes
// the quarantined pods whose time is up. docs/repair.md "Quarantine".
import { randomBytes } from 'node:crypto';
import type { Clock } from '../common/clock.ts';
import { lineOf } from '../common/errors.ts';
import type { Logger } from '../common/logger.ts';
import type { KPod, RepairKubeClient } from '../kube/index.ts';
import type { QuarantineRecord } from './history.ts';
import { QUARANTINE_LABEL, quarantineIntent, quarantinePatch, type QuarantineAction } from './quarantine.ts';
import { EVENT_REASONS, type RepairEntry } from './execute.ts';

const POLL_MS = 500;

/** The shared history's records of quarantines, as the engine stores them (src/repair/state.ts). */
export interface QuarantineLog {
  /** Records the intent; throws when it cannot (then nothing is relabelled). */
  intent(record: QuarantineRecord): Promise<void>;
  /** done, or dropped when the relabel did not happen. */
  settle(id: string, done: boolean): Promise<void>;
  /** Drops the records of pods deleted. */
  removed(ids: Set<string>): Promise<void>;
}

export interface IsolateContext {
  client: RepairKubeClient;
  namespace: string;
  /** The DNS pods' selector: the quarantined pod leaves it, its replacement is in it. */
  selector: string;
  /** Bound on the wait for the endpoints to drop the pod and a replacement to be Ready (--repair-timeout). */
  timeoutMs: number;
  log: Logger;
  record: QuarantineLog;
  signal?: AbortSignal;
  /** Measures --repair-timeout and paces the polls. */
  clock: Clock;
}

const ready = (p: KPod) => !p.deletionTimestamp && p.conditions.some((c) => c.type === 'Ready' && c.status === 'True');

async function event(ctx: IsolateContext, q: QuarantineAction, reason: string, type: 'Normal' | 'Warning', message: string): Promise<void> {
  await ctx.client
    .createEvent({ namespace: ctx.namespace, involved: { kind: 'Pod', name: q.pod, apiVersion: 'v1', uid: q.uid }, reason, type, message })
    .catch((err: unknown) => ctx.log.warn(`could not record Event ${reason} on ${q.pod}: ${lineOf(err)}`));
}

/** Out of rotation: no EndpointSlice of the Service lists its addresses, and as many DNS pods are Ready as before. */
async function waitOutOfRotation(ctx: IsolateContext, q: QuarantineAction, readyBefore: number, known: Set<string>): Promise<{ routed: boolean; replacement?: string }> {
  const deadline = ctx.clock.monotonic() + ctx.timeoutMs;
  let routed = true;
  for (;;) {
    const [slices, pods] = await Promise.all([ctx.client.listEndpointSlices(ctx.namespace, q.service), ctx.client.listPods(ctx.namespace, ctx.selector)]);
    routed = slices.some((s) => s.endpoints.some((e) => e.addresses.some((a) => q.ips.includes(a))));
    const fresh = pods.filter((p) => ready(p) && !known.has(p.uid));
    if (!routed && pods.filter(ready).length >= readyBefore && fresh.length > 0) return { routed, replacement: fresh.map((p) => p.name).join(', ') };
    if (ctx.clock.monotonic() + POLL_MS > deadline) return { routed };
    await ctx.clock.sleep(POLL_MS, ctx.signal);
  }
}

/** Takes one pod out of rotation and verifies it. */
export async function quarantine(ctx: IsolateContext, q: QuarantineAction): Promise<RepairEntry> {
  const entry = (outcome: RepairEntry['outcome'], detail: string): RepairEntry => ({ pod: q.pod, method: 'quarantine', outcome, detail });
  const pods = await ctx.client.listPods(ctx.namespace, ctx.selector);
  const readyBefore = pods.filter(ready).length;
  const known = new Set(pods.map((p) => p.uid));

  const intent = quarantineIntent(q, randomBytes(6).toString('hex'), new Date());
  try {
    await ctx.record.intent(intent);
  } catch (err) {
    return entry('failed', `could not record the quarantine in the repair history (${lineOf(err)}); not relabelling ${q.pod}`);
  }
  const kept = `kept until ${q.until} for kubectl logs/describe (label ${QUARANTINE_LABEL}=true)`;
  const labels = Object.entries(q.removeLabels).map(([k, v]) => `${k}=${v}`).join(',');
  await event(ctx, q, EVENT_REASONS.quarantine, 'Warning', `coredns-sentinel takes ${q.pod} out of rotation (removes ${labels}, Service ${q.service}'s selector; ${kept}): it answers no DNS and its restart was refused: ${q.reason}`);
  let relabelled: boolean;
  try {
    const { labels: set, annotations } = quarantinePatch(q);
    relabelled = await ctx.client.relabelPod(ctx.namespace, q.pod, q.uid, set, annotations);
  } catch (err) {
    await ctx.record.settle(intent.id, false).catch((e: unknown) => ctx.log.warn(`could not drop the quarantine intent for ${q.pod}: ${lineOf(e)}`));
    const detail = `could not take it out of rotation: ${lineOf(err)}`;
    await event(ctx, q, EVENT_REASONS.failed, 'Warning', `${q.pod}: ${detail}`);
    return entry('failed', detail);
  }
  try {
    await ctx.record.settle(intent.id, relabelled);
  } catch (err) {
    // The intent stays: the next run settles it against the pods.
    ctx.log.warn(`could not complete the quarantine record of ${q.pod}: ${lineOf(err)}`);
  }
  if (!relabelled) return entry('failed', 'the pod was gone before it could be relabelled');

  const seen = await waitOutOfRotation(ctx, q, readyBefore, known);
  if (!seen.replacement) {
    const detail = `relabelled, but within ${Math.round(ctx.timeoutMs / 1000)} s (--repair-timeout) ${seen.routed ? `Service ${q.service} still routes to ${q.ips.join(', ')}` : 'no replacement became Ready'}; ${kept}`;
    await event(ctx, q, EVENT_REASONS.failed, 'Warning', `${q.pod}: ${detail}`);
    return entry('failed', detail);
  }
  const detail = `out of rotation: Service ${q.service} no longer routes to ${q.ips.join(', ')}; replacement ${seen.replacement} Ready; ${kept}`;
  await event(ctx, q, EVENT_REASONS.quarantined, 'Normal', `${q.pod}: ${detail}`);
  return entry('done', detail);
}

/** Deletes quarantined pods (their TTL ended, or DNS is healthy again); returns one line per pod that could not be. */
export async function removeQuarantined(ctx: IsolateContext, due: QuarantineRecord[], graceSeconds: number, why: (q: QuarantineRecord) => string): Promise<string[]> {
  const removed = new Set<string>();
  const problems: string[] = [];
  for (const q of due) {
    try {
      await ctx.client.deleteQuarantinedPod(ctx.namespace, q.pod.name, q.pod.uid, graceSeconds);
      removed.add(q.id);
      ctx.log.info(`deleted quarantined pod ${q.pod.name}: ${why(q)}`);
    } catch (err) {
      problems.push(`could not delete quarantined pod ${q.pod.name}: ${lineOf(err)}`);
    }
  }
  if (removed.size > 0) await ctx.record.removed(removed);
  return problems;
}
