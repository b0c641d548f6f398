// Test fixture: real dnsmasq servers on 127.53.0.0/16 addresses, port 53, configured on the command
// line only (no config file, no resolv.conf, no /etc/hosts, logs on stderr instead of syslog).
// Each runs in its own process group (dnsmasq forks a child per TCP connection) and the whole group is
// killed on stop, by stopAllDnsmasq() in after hooks, and on process exit as a last resort.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import dnsPacket from 'dns-packet';

export const DNSMASQ = '/usr/sbin/dnsmasq';

export interface Records {
  /** name → IPv4/IPv6 addresses (A/AAAA and the matching PTR). */
  hosts?: Record<string, string[]>;
  /** [service name, target, port] */
  srv?: [string, string, number][];
  /** [reverse name, target] */
  ptr?: [string, string][];
  /** [alias, target] */
  cname?: [string, string][];
  /** name → the strings of one TXT record (no commas or quotes: dnsmasq's command line has no escaping) */
  txt?: Record<string, string[]>;
}

export interface DnsmasqOptions {
  address: string;
  records?: Records;
  /** Zones answered only from local data: unknown names inside are NXDOMAIN. */
  localZones?: string[];
  /** Address of the upstream server for everything else. */
  upstream?: string;
}

export interface Dnsmasq {
  address: string;
  port: number;
  pid: number;
  /** SIGSTOP: the server hangs, sockets stay open. */
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  for (const signal of ['SIGCONT', 'SIGKILL'] as const) {
    try {
      process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  }
}

process.on('exit', () => running.forEach(killGroup));

export function dnsmasqArgs(opts: DnsmasqOptions): string[] {
  const r = opts.records ?? {};
  const args = [
    '--keep-in-foreground',
    '--conf-file=/dev/null',
    '--no-resolv',
    '--no-hosts',
    `--listen-address=${opts.address}`,
    '--bind-interfaces',
    '--port=53',
    '--pid-file=',
    '--log-facility=-',
    '--user=root',
    '--cache-size=0',
    // One process per TCP connection, 20 at most by default: a plan over many targets (and the TCP
    // connections its servers open to a shared upstream) needs more; CoreDNS has no such limit.
    '--max-tcp-connections=500',
  ];
  for (const [name, ips] of Object.entries(r.hosts ?? {})) args.push(`--host-record=${[name, ...ips].join(',')}`);
  for (const [name, target, port] of r.srv ?? []) args.push(`--srv-host=${name},${target},${port},0,100`);
  for (const [name, target] of r.ptr ?? []) args.push(`--ptr-record=${name},${target}`);
  for (const [alias, target] of r.cname ?? []) args.push(`--cname=${alias},${target}`);
  for (const [name, strings] of Object.entries(r.txt ?? {})) args.push(`--txt-record=${[name, ...strings].join(',')}`);
  for (const zone of opts.localZones ?? []) args.push(`--local=/${zone}/`);
  if (opts.upstream) args.push(`--server=${opts.upstream}`);
  return args;
}

/** Resolves once the server answers a query (any answer), bounded to `attempts` tries of 100 ms. */
export async function waitForDns(address: string, attempts = 50): Promise<void> {
  const query = dnsPacket.encode({ type: 'query', id: 7, questions: [{ type: 'A', name: 'ready.invalid' }] });
  for (let i = 0; i < attempts; i++) {
    const answered = await new Promise<boolean>((resolve) => {
      const socket = dgram.createSocket('udp4');
      const done = (ok: boolean): void => {
        clearTimeout(timer);
        socket.close();
        resolve(ok);
      };
      const timer = setTimeout(() => done(false), 100);
      socket.on('error', () => setTimeout(() => done(false), 20));
      socket.on('message', () => done(true));
      socket.send(query, 53, address);
    });
    if (answered) return;
  }
  throw new Error(`dnsmasq on ${address} did not answer within ${attempts} tries`);
}

export async function startDnsmasq(opts: DnsmasqOptions): Promise<Dnsmasq> {
  const child = spawn(DNSMASQ, dnsmasqArgs(opts), { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  running.add(child);
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  exited.then(() => running.delete(child), () => undefined);
  try {
    await Promise.race([
      waitForDns(opts.address),
      exited.then(() => Promise.reject(new Error(`dnsmasq on ${opts.address} exited: ${log.trim()}`))),
    ]);
  } catch (err) {
    killGroup(child);
    throw err;
  }
  const pid = child.pid as number;
  return {
    address: opts.address,
    port: 53,
    pid,
    pause: () => process.kill(pid, 'SIGSTOP'),
    resume: () => process.kill(pid, 'SIGCONT'),
    stop: async () => {
      killGroup(child);
      await exited;
    },
  };
}

export async function stopAllDnsmasq(): Promise<void> {
  await Promise.all(
    [...running].map((child) => {
      const exited = new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
      killGroup(child);
      return exited;
    }),
  );
}
