// Helpers of the ecosystem tests: the real programs from Debian (promtool, xmllint, prometheus,
// pushgateway, man, kubectl) run as child processes with a bound time. A missing program fails the
// test (scripts/install-deps.sh installs them all): never a silent skip.
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';

export interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program to completion (at most `timeoutMs`), stdin optional. */
export function run(cmd: string, args: string[], options: SpawnSyncOptions & { input?: string } = {}): Ran {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024, ...options });
  if (r.error) throw new Error(`${cmd} ${args.join(' ')}: ${r.error.message} (missing? run make deps)`);
  return { status: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
}

