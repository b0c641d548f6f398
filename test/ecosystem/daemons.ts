// Long-running ecosystem programs (Pushgateway, Prometheus) started by a test on a claimed 127.N
// address, waited for within a bound, and stopped (SIGTERM, then SIGKILL) so none is left behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

export interface Daemon {
  url: string;
  output: () => string;
  stop(): Promise<void>;
}

/** Starts `cmd`, then polls `readyPath` on `url` until it answers 200 (at most `timeoutMs`). */
export async function startDaemon(cmd: string, args: string[], url: string, readyPath: string, timeoutMs = 20_000): Promise<Daemon> {
  const child: ChildProcess = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d));
  child.stderr!.on('data', (d: Buffer) => (output += d));
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  let spawnError: Error | undefined;
  child.on('error', (err) => (spawnError = err));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const killed = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(killed);
  };
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 400 && Date.now() < deadline; i++) {
    if (spawnError || child.exitCode !== null) break;
    try {
      if ((await fetch(`${url}${readyPath}`, { signal: AbortSignal.timeout(1000) })).ok) return { url, output: () => output, stop };
    } catch {
      /* not listening yet */
    }
    await sleep(100);
  }
  await stop();
  throw new Error(`${cmd} did not become ready on ${url}${readyPath} within ${timeoutMs} ms: ${spawnError?.message ?? output.slice(-2000)}`);
}
