// Helpers for the sim's own tests: dig, kubectl, bounded waiting, and the no-process-left check.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A /16 for one sim of a test file, claimed so concurrent suites never share it. */
export { claimSubnet as testSubnet } from '../subnets.ts';

export interface DigResult {
  /** NOERROR, NXDOMAIN …, or "timeout" when no answer came. */
  status: string;
  answers: string[];
}

/** One dig query (1 s, one try), answers as the RDATA text of the answer section. */
export async function dig(server: string, name: string, type = 'A', opts: { tcp?: boolean; port?: number; timeoutS?: number } = {}): Promise<DigResult> {
  const args = [`@${server}`, '-p', String(opts.port ?? 53), name, type, `+time=${opts.timeoutS ?? 1}`, '+tries=1', '+retry=0', '+noall', '+answer', '+comments'];
  if (opts.tcp) args.push('+tcp');
  try {
    const { stdout } = await run('dig', args);
    const status = /status: (\w+)/.exec(stdout)?.[1] ?? 'unknown';
    const answers = stdout
      .split('\n')
      .filter((l) => l && !l.startsWith(';'))
      .map((l) => l.split(/\s+/).slice(4).join(' '));
    return { status, answers };
  } catch (err) {
    const e = err as { code?: number; stdout?: string };
    if (e.code === 9 || /timed out|no servers could be reached/.test(e.stdout ?? '')) return { status: 'timeout', answers: [] };
    throw err;
  }
}

export async function kubectl(kubeconfig: string, args: string[], input?: string): Promise<string> {
  const p = run('kubectl', ['--kubeconfig', kubeconfig, ...args], { timeout: 20_000 });
  if (input !== undefined) p.child.stdin?.end(input);
  return (await p).stdout;
}

/** Polls `check` until it returns a value (not undefined/false), bounded in time and count. */
export async function waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 10_000, stepMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < timeoutMs / stepMs + 1; i++) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** Processes whose command line mentions `needle` (e.g. the sim's directory: its dnsmasq configs live there). */
export async function processesMentioning(needle: string): Promise<string[]> {
  const { stdout } = await run('ps', ['-eo', 'pid=,args=']);
  return stdout.split('\n').filter((l) => l.includes(needle) && !l.includes('ps -eo'));
}

export type PodJson = {
  metadata: { name: string; namespace: string; deletionTimestamp?: string; ownerReferences?: { kind: string; name: string }[] };
  spec: { nodeName?: string };
  status: {
    phase?: string;
    reason?: string;
    podIP?: string;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    containerStatuses?: { name: string; ready: boolean; restartCount: number; state: Record<string, { reason?: string; message?: string; exitCode?: number }>; lastState: Record<string, unknown> }[];
  };
};

export async function getPod(kubeconfig: string, namespace: string, name: string): Promise<PodJson | undefined> {
  try {
    return JSON.parse(await kubectl(kubeconfig, ['get', 'pod', '-n', namespace, name, '-o', 'json'])) as PodJson;
  } catch {
    return undefined;
  }
}

export const isReady = (p: PodJson | undefined) => !!p?.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
