// Runs a CheckPlan: every target × query × transport × sample, at most `concurrency` queries in
// flight across the whole plan, and folds the samples into the report's results and summaries.
import os from 'node:os';
import type { CheckPlan, CheckResult, ConnectResult, ProbeReport, Query, Sample, Target, Transport } from './contract.ts';
import { REPORT_SCHEMA, tcpPortOf } from './contract.ts';
import { DEFAULT_EDNS_UDP_SIZE, TcpChannel, UdpChannel } from './dns.ts';
import type { Channel, Dial, Exchange, ExchangeOptions } from './dns.ts';
import { resultReason, summarize, toSample } from './summary.ts';
import { runConnects } from './connect.ts';
import { runClientView } from './clientview.ts';
import { PROBE_VERSION } from './version.ts';

export interface RunOptions {
  /** Defaults to os.hostname() (the pod name inside Kubernetes). */
  hostname?: string;
  /** How TCP channels reach a target (default: a TCP connection); port-forward mode passes its tunnels. */
  dialTcp?: Dial;
}

interface Task {
  target: Target;
  query: Query;
  transport: Transport;
  sample: number;
}

/** Samples first, so that each round touches every target before the next round repeats any. */
function tasksOf(plan: CheckPlan): Task[] {
  const tasks: Task[] = [];
  for (let sample = 0; sample < plan.samples; sample++)
    for (const query of plan.queries)
      for (const transport of plan.transports)
        for (const target of plan.targets) tasks.push({ target, query, transport, sample });
  return tasks;
}

const key = (targetId: string, queryId: string, transport: Transport): string => JSON.stringify([targetId, queryId, transport]);

/** One sample: UDP, retried over TCP when the UDP answer was truncated (answers then come from TCP). */
async function probeOnce(task: Task, channel: (t: Target, transport: Transport) => Channel, opts: ExchangeOptions): Promise<Sample> {
  const { target, query } = task;
  const first = await channel(target, task.transport).query(query, opts);
  if (task.transport === 'tcp' || !first.ok || !first.truncated) return toSample(first, query);
  const retry = await channel(target, 'tcp').query(query, opts);
  const total: Exchange = retry.ok
    ? { ...retry, latencyMs: Math.round((first.latencyMs + retry.latencyMs) * 1000) / 1000 }
    : { ...retry, detail: `truncated over UDP, TCP retry failed: ${retry.detail}` };
  return { ...toSample(total, query), truncated: true };
}

export async function runPlan(plan: CheckPlan, opts: RunOptions = {}): Promise<ProbeReport> {
  const startedAt = new Date();
  const started = process.hrtime.bigint();
  const exchange: ExchangeOptions = { timeoutMs: plan.timeoutMs, ednsUdpSize: plan.ednsUdpSize ?? DEFAULT_EDNS_UDP_SIZE };
  const channels = new Map<string, Channel>();
  const channel = (t: Target, transport: Transport): Channel => {
    const k = `${transport} ${t.id}`;
    let c = channels.get(k);
    if (!c) channels.set(k, (c = transport === 'udp' ? new UdpChannel(t) : new TcpChannel({ address: t.address, port: tcpPortOf(t) }, opts.dialTcp)));
    return c;
  };

  const tasks = tasksOf(plan);
  const samples = new Map<string, Sample[]>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const task = tasks[next++] as Task;
      const sample = await probeOnce(task, channel, exchange);
      const k = key(task.target.id, task.query.id, task.transport);
      let list = samples.get(k);
      if (!list) samples.set(k, (list = []));
      list[task.sample] = sample;
    }
  };
  let connects: ConnectResult[] | undefined;
  try {
    const evidence = plan.connects?.length ? runConnects(plan.connects, plan.timeoutMs) : undefined;
    await Promise.all(Array.from({ length: Math.min(plan.concurrency, tasks.length) }, worker));
    connects = await evidence;
  } finally {
    for (const channel of channels.values()) channel.close();
  }

  const byTarget = plan.targets.map((target) =>
    plan.queries.flatMap((query) =>
      plan.transports.map((transport): CheckResult => {
        const list = samples.get(key(target.id, query.id, transport)) ?? [];
        const verdict = list.every((s) => s.outcome === 'ok') ? 'pass' : 'fail';
        return { targetId: target.id, queryId: query.id, transport, samples: list, verdict, reason: resultReason(list) };
      }),
    ),
  );

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
