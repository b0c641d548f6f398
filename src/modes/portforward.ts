// Mode `port-forward` (no pod is created): for each CoreDNS pod a pods/portforward tunnel to its DNS TCP
// port (src/kube/portforward.ts), and the plan's queries as DNS-over-TCP through it, with the probe
// engine in this process (src/probe/run.ts, its TCP channels dialling tunnels instead of sockets).
// UDP cannot be forwarded and a tunnel reaches a pod, never a Service's virtual IP: the plan is fitted
// to pod targets over TCP, and the report says what was left out and why. A tunnel the API server
// refuses is the path's failure, not the pod's: that target's samples are outcome "path" (docs/modes.md).
import { Duplex } from 'node:stream';
import { KubeError, type KubeClient } from '../kube/index.ts';
import { tcpPortOf, type CheckPlan } from '../probe/contract.ts';
import { pathError, type Dial, type Endpoint } from '../probe/dns.ts';
import { runPlan } from '../probe/run.ts';
import type { DnsWorkload } from '../discover/types.ts';
import type { ProbeRunResult } from '../probepod/lifecycle.ts';
import { ModeError } from './errors.ts';
import { lineOf } from '../common/errors.ts';
import { inProcessResult, NODE_LOCAL_NOTE, type Prober, type ScopedPlan } from './types.ts';

export const UDP_NOTE = 'port-forward: UDP not checked — pods/portforward carries TCP streams only, so every check ran over TCP';
export const SERVICE_NOTE = (ips: string[]) =>
  `port-forward: the Service IP ${ips.join(', ')} cannot be checked — a tunnel reaches one pod, never the Service's virtual IP`;

/** The plan as port-forward can run it: pod targets, TCP only, no network-evidence connects. Pure. */
export function portForwardScope(plan: CheckPlan): ScopedPlan {
  if (!plan.transports.includes('tcp'))
    throw new ModeError('port-forward mode checks over TCP only, and --transports leaves no TCP', 'pass --transports tcp (or udp,tcp), or use --mode probe-pod');
  const services = plan.targets.filter((t) => t.kind === 'service');
  const notes: string[] = [];
  if (plan.transports.includes('udp')) notes.push(UDP_NOTE);
  if (services.length) notes.push(SERVICE_NOTE(services.map((t) => t.address)));
  const caches = plan.targets.filter((t) => t.kind === 'node-local');
  if (caches.length) notes.push(NODE_LOCAL_NOTE('port-forward', caches));
  const { connects: _connects, ...rest } = plan;
  return { plan: { ...rest, transports: ['tcp'], targets: plan.targets.filter((t) => t.kind === 'pod') }, notes };
}

/** A tunnel that could not be opened is the path's failure, not the pod's: its samples are "path", with the API's line. */
const asPathError = (err: unknown): Error =>
  pathError(err instanceof KubeError ? err.line : `port-forward: ${lineOf(err)}`);

/** A Duplex in front of a tunnel that is still opening: writes wait for it, its failure is this stream's. */
class Tunnel extends Duplex {
  private inner?: Duplex;
  private readonly queued: [Buffer, (err?: Error | null) => void][] = [];

  constructor(opening: Promise<Duplex>) {
    super({ allowHalfOpen: false });
    opening.then((inner) => {
      if (this.destroyed) return void inner.destroy();
      this.inner = inner;
      inner.on('data', (d: Buffer) => this.push(d));
      inner.on('end', () => this.push(null));
      inner.on('error', (err) => this.destroy(err));
      inner.on('close', () => this.destroy());
      for (const [chunk, done] of this.queued.splice(0)) inner.write(chunk, done);
    }, (err: unknown) => this.destroy(asPathError(err)));
  }

  override _read(): void {
    // data is pushed as the tunnel delivers it
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    if (this.inner) this.inner.write(chunk, done);
    else this.queued.push([chunk, done]);
  }

  override _destroy(err: Error | null, done: (err: Error | null) => void): void {
    this.inner?.destroy();
    done(err);
  }
}

/** RBAC and credential failures concern the mode, not one pod: they end the run. */
const modeWide = (err: unknown) => err instanceof KubeError && (err.kind === 'forbidden' || err.kind === 'unauthorized' || err.kind === 'config');

export function portForwardProber(client: Pick<KubeClient, 'portForward'>): Prober {
  // Target address → pod, from the workload the plan was built from (prepare runs before every run).
  let pods = new Map<string, { namespace: string; name: string }>();
  return {
    mode: 'port-forward',
    async prepare(plan: CheckPlan, workload: DnsWorkload): Promise<ScopedPlan> {
      pods = new Map(workload.pods.flatMap((p) => p.ips.map((ip) => [ip, { namespace: workload.namespace, name: p.name }] as const)));
      return portForwardScope(plan);
    },
    async run(plan: CheckPlan): Promise<ProbeRunResult[]> {
      const started = Date.now();
      // A tunnel the API server would not open (after the retries of src/kube/retry.ts) stays refused for
      // the rest of the run: that target's later queries fail at once as "path" instead of asking again.
      const refused = new Map<string, unknown>();
      const open = (e: Endpoint): Promise<Duplex> => {
        const key = `${e.address} ${e.port}`;
        if (refused.has(key)) return Promise.reject(refused.get(key));
        const pod = pods.get(e.address);
        const opening = pod ? client.portForward({ namespace: pod.namespace, pod: pod.name, port: e.port }) : Promise.reject(new Error(`no pod has the address ${e.address}`));
        return opening.catch((err: unknown) => {
          refused.set(key, err);
          throw err;
        });
      };
      // Every tunnel is opened before the first query, so latencies exclude the handshake and a missing
      // RBAC rule ends the run with its hint instead of failing every check.
      const first = new Map(plan.targets.map((t) => [`${t.address} ${tcpPortOf(t)}`, open({ address: t.address, port: tcpPortOf(t) })]));
      const settled = await Promise.all([...first.values()].map((p) => p.then(() => undefined, (err: unknown) => err)));
      const fatal = settled.find(modeWide);
      // No tunnel opened at all: nothing was probed, so the run is the API's error (exit 3), not a verdict on DNS.
      const nothingOpened = settled.length > 0 && settled.every((err) => err instanceof KubeError);
      if (fatal || nothingOpened) {
        for (const p of first.values()) void p.then((s) => s.destroy(), () => undefined);
        throw fatal ?? settled[0];
      }
      // The first dial of a target takes its open tunnel; a reconnect opens a new one (one TCP connection per websocket).
      const dial: Dial = (e) => {
        const key = `${e.address} ${e.port}`;
        const ready = first.get(key);
        first.delete(key);
        return new Tunnel(ready ?? open(e));
      };
      try {
        const report = await runPlan(plan, { dialTcp: dial });
        return [inProcessResult(report, plan, 'port-forward', '', Date.now() - started)];
      } finally {
        for (const p of first.values()) void p.then((s) => s.destroy(), () => undefined);
      }
    },
  };
}
