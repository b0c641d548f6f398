// Runs a CheckPlan so that what it measures is the servers, not the probe's own queueing (bench/probe.ts
// compares the latencies with dig and blackbox_exporter on the same servers):
//  - the queries to one target go one after another, each sent when the previous one answered;
//  - targets run in parallel, at most `concurrency` queries in flight across the whole plan, and fewer
//    while the probe's event loop is busy: an answer that arrives while the loop works on others is
//    timestamped late, so the number of targets asked at once follows the loop's utilization (Pace);
//  - a target that leaves a query unanswered for SERIAL_PATIENCE_MS is not waited for any more: its
//    remaining queries go out without waiting for each other, so a hung pod costs about one timeout;
//  - every target is touched once first (its first query, not a sample): those that leave the touch
//    unanswered are asked first and unpaced, so their timeouts run beside the rest of the plan instead
//    of after their turn (a hung pod last among 250 cost the whole plan's time plus a timeout).
import os from 'node:os';
import type { EventLoopUtilization } from 'node:perf_hooks';
import type { CheckPlan, CheckResult, ConnectResult, ProbeReport, Query, Sample, Target, Transport } from './contract.ts';
import { queriesOf, REPORT_SCHEMA, tcpPortOf } from './contract.ts';
import { DEFAULT_EDNS_UDP_SIZE, TcpChannel, UdpChannel } from './dns.ts';
import type { Channel, Dial, Exchange, ExchangeOptions } from './dns.ts';
import { resultReason, summarize, toSample } from './summary.ts';
import { runConnects } from './connect.ts';
import { runClientView } from './clientview.ts';
import { PROBE_VERSION } from './version.ts';

/** An answer later than this ends the target's serial order (a healthy server answers in well under it). */
export const SERIAL_PATIENCE_MS = 100;

export interface RunOptions {
  /** Defaults to os.hostname() (the pod name inside Kubernetes). */
  hostname?: string;
  /** How TCP channels reach a target (default: a TCP connection); port-forward mode passes its tunnels. */
  dialTcp?: Dial;
}

/** A counting semaphore whose limit may change while it is used; `take` waits for a free slot. */
class Slots {
  private readonly waiting: (() => void)[] = [];
  private used = 0;

  constructor(private limit: number) {}

  take(): Promise<void> | undefined {
    if (this.used < this.limit) {
      this.used++;
      return undefined;
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  give(): void {
    this.used--;
    this.admit();
  }

  setLimit(limit: number): void {
    this.limit = limit;
    this.admit();
  }

  get current(): number {
    return this.limit;
  }

  private admit(): void {
    while (this.used < this.limit && this.waiting.length > 0) {
      this.used++;
      this.waiting.shift()!();
    }
  }
}

/** How often the pace is adjusted, and the event-loop utilization it keeps between. */
const PACE_INTERVAL_MS = 20;
const PACE_BUSY = 0.8;
const PACE_IDLE = 0.5;

/**
 * The number of targets asked in series at once (each has one query in flight): halved when the event loop was
 * busier than PACE_BUSY over the last interval, raised when it was idler than PACE_IDLE (doubled when
 * nearly idle, as while waiting on slow servers), between 1 and the plan's concurrency.
 */
class Pace {
  readonly slots: Slots;
  private readonly timer: NodeJS.Timeout;
  private last: EventLoopUtilization = performance.eventLoopUtilization();

  constructor(private readonly max: number) {
    this.slots = new Slots(Math.min(max, 4));
    this.timer = setInterval(() => this.adjust(), PACE_INTERVAL_MS);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private adjust(): void {
    const now = performance.eventLoopUtilization();
    const { utilization } = performance.eventLoopUtilization(now, this.last);
    this.last = now;
    const limit = this.slots.current;
    if (utilization > PACE_BUSY) this.slots.setLimit(Math.max(1, Math.floor(limit / 2)));
    else if (utilization < PACE_IDLE / 2) this.slots.setLimit(Math.min(this.max, limit * 2));
    else if (utilization < PACE_IDLE) this.slots.setLimit(Math.min(this.max, limit + 1));
  }
}

/** The channels of one target, opened on first use and closed when the target is done. */
class TargetChannels {
  private udp: Channel | undefined;
  private tcp: Channel | undefined;

  constructor(
    private readonly target: Target,
    private readonly dialTcp: Dial | undefined,
  ) {}

  get(transport: Transport): Channel {
    if (transport === 'udp') return (this.udp ??= new UdpChannel(this.target));
    return (this.tcp ??= new TcpChannel({ address: this.target.address, port: tcpPortOf(this.target) }, this.dialTcp));
  }

  close(): void {
    this.udp?.close();
    this.tcp?.close();
  }
}

/** One sample: UDP, retried over TCP when the UDP answer was truncated (answers then come from TCP). */
async function probeOnce(query: Query, transport: Transport, channels: TargetChannels, opts: ExchangeOptions): Promise<Sample> {
  const first = await channels.get(transport).query(query, opts);
  if (transport === 'tcp' || !first.ok || !first.truncated) return toSample(first, query);
  const retry = await channels.get('tcp').query(query, opts);
  const total: Exchange = retry.ok
    ? { ...retry, latencyMs: Math.round((first.latencyMs + retry.latencyMs) * 1000) / 1000 }
    : { ...retry, detail: `truncated over UDP, TCP retry failed: ${retry.detail}` };
  return { ...toSample(total, query), truncated: true };
}

/**
 * Every check of one target, samples first (each round asks every query once before the next repeats
 * any), in series while the target answers within SERIAL_PATIENCE_MS; `unpaced` is called once when it
 * stops answering in time (its queries then go out without waiting). Results in plan order.
 */
async function runTarget(plan: CheckPlan, target: Target, slots: Slots, unpaced: () => void, opts: ExchangeOptions, dialTcp: Dial | undefined, silent: boolean): Promise<CheckResult[]> {
  const checks = queriesOf(plan, target).flatMap((query) => plan.transports.map((transport) => ({ query, transport, samples: new Array<Sample>(plan.samples) })));
  const channels = new TargetChannels(target, dialTcp);
  const unanswered: Promise<void>[] = [];
  let serial = !silent;
  try {
    for (let sample = 0; sample < plan.samples; sample++) {
      for (const check of checks) {
        // Every query holds a slot of the plan's concurrency until it is settled.
        await slots.take();
        const done = probeOnce(check.query, check.transport, channels, opts).then((s) => {
          check.samples[sample] = s;
          slots.give();
        });
        if (!serial) {
          unanswered.push(done);
          continue;
        }
        let timer: NodeJS.Timeout | undefined;
        const answered = await Promise.race([done.then(() => true), new Promise<false>((resolve) => (timer = setTimeout(resolve, SERIAL_PATIENCE_MS, false)))]);
        clearTimeout(timer);
        if (!answered) {
          serial = false;
          unanswered.push(done);
          unpaced();
        }
      }
    }
    await Promise.all(unanswered);
  } finally {
    channels.close();
  }
  return checks.map(({ query, transport, samples }): CheckResult => {
    const verdict = samples.every((s) => s.outcome === 'ok') ? 'pass' : 'fail';
    return { targetId: target.id, queryId: query.id, transport, samples, verdict, reason: resultReason(samples) };
  });
}

/**
 * The targets that leave their first query over UDP unanswered for SERIAL_PATIENCE_MS: each touched
 * once, on a socket of its own closed right after, at most `concurrency` at once. Costs one patience
 * per `concurrency` silent targets. TCP-only plans are not touched: a connection each would cost a
 * port-forward tunnel each in port-forward mode.
 */
async function silentTargets(plan: CheckPlan, slots: Slots, opts: ExchangeOptions): Promise<Set<Target>> {
  const silent = new Set<Target>();
  if (!plan.transports.includes('udp')) return silent;
  const touch = { ...opts, timeoutMs: Math.min(opts.timeoutMs, SERIAL_PATIENCE_MS) };
  await Promise.all(
    plan.targets.map(async (target) => {
      const [query] = queriesOf(plan, target);
      if (!query) return;
      await slots.take();
      const channels = new TargetChannels(target, undefined);
      try {
        if (!(await channels.get('udp').query(query, touch)).ok) silent.add(target);
      } finally {
        channels.close();
        slots.give();
      }
    }),
  );
  return silent;
}

export async function runPlan(plan: CheckPlan, opts: RunOptions = {}): Promise<ProbeReport> {
  const startedAt = new Date();
  const started = process.hrtime.bigint();
  const exchange: ExchangeOptions = { timeoutMs: plan.timeoutMs, ednsUdpSize: plan.ednsUdpSize ?? DEFAULT_EDNS_UDP_SIZE };
  const slots = new Slots(plan.concurrency);
  const pace = new Pace(plan.concurrency);
  // Targets at once: at most `concurrency` (each holds its sockets), and of those, as many answering in
  // series as the pace allows (a target that stopped answering in time gives its pace slot back).
  const inProgress = new Slots(plan.concurrency);
  const byTarget: CheckResult[][] = [];
  const running: Promise<void>[] = [];
  const evidence = plan.connects?.length ? runConnects(plan.connects, plan.timeoutMs) : undefined;
  try {
    const silent = await silentTargets(plan, slots, exchange);
    const order = [...plan.targets.entries()].sort(([, a], [, b]) => Number(silent.has(b)) - Number(silent.has(a)));
    for (const [i, target] of order) {
      await inProgress.take();
      let paced = !silent.has(target);
      if (paced) await pace.slots.take();
      const release = () => {
        if (paced) pace.slots.give();
        paced = false;
      };
      running.push(
        runTarget(plan, target, slots, release, exchange, opts.dialTcp, silent.has(target)).then((results) => {
          byTarget[i] = results;
          release();
          inProgress.give();
        }),
      );
    }
    await Promise.all(running);
  } finally {
    pace.stop();
  }
  const connects: ConnectResult[] | undefined = await evidence;

  return {
    schema: REPORT_SCHEMA,
    probeVersion: PROBE_VERSION,
    hostname: opts.hostname ?? os.hostname(),
    startedAt: startedAt.toISOString(),
    durationMs: Number((process.hrtime.bigint() - started) / 1000n) / 1000,
    results: byTarget.flat(),
    targets: plan.targets.map((t, i) => summarize(t.id, byTarget[i] ?? [])),
    ...(connects && { connects }),
    ...(plan.clientView && { clientView: await runClientView(plan.clientView, plan.targets) }),
  };
}
