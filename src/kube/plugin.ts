// The exec credential plugin (kubeconfig users[].user.exec), bounded. client-node's ExecAuth spawns the
// plugin and waits for it without limit: one that hangs (an interactive login, a stuck network call)
// would hang every run, and a plain kill leaves its children. Here client-node keeps its own handling of
// the ExecCredential (parsing, caching, token and client certificate), but the process it spawns is
// ours: a process group of its own, killed whole after `timeoutMs` or when this process exits, and every
// failure a PluginFailure whose text holds nothing the plugin printed (its stderr may carry secrets; it
// goes to the debug log only).
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '../common/logger.ts';

/** Why the plugin gave no credential: it ran past its time, or ended with this exit code or signal. */
export class PluginFailure extends Error {
  constructor(
    readonly why: 'timeout' | 'exit',
    /** "exit code 1", "signal SIGTERM", or the time it had ("2 s"). */
    readonly detail: string,
  ) {
    super(why === 'timeout' ? `did not finish within ${detail}` : `failed (${detail})`);
    this.name = 'PluginFailure';
  }
}

/** Process groups of plugins still running: killed when this process exits (a signal, process.exit). */
const running = new Set<number>();
let exitHook = false;

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function trackGroup(pid: number): void {
  running.add(pid);
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => running.forEach(killGroup));
  }
}

export interface PluginBounds {
  timeoutMs: number;
  log: Logger;
}

type Spawn = (command: string, args: readonly string[] | undefined, opts: SpawnOptions) => ChildProcess;

/** A spawn for client-node's ExecAuth: the same child, in its own process group, bounded in time. */
export function boundedSpawn(command: string, bounds: PluginBounds): Spawn {
  return (file, args, opts) => {
    // stdin closed: a plugin asking for input would otherwise wait on it (interactiveMode Never).
    const child = spawn(file, args ?? [], { ...opts, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer | string) => {
      if (stderr.length < 4096) stderr += String(d);
    });
    const fail = (failure: PluginFailure) => {
      bounds.log.debug(`exec credential plugin "${command}" ${failure.message}${stderr.trim() ? `; its stderr: ${stderr.trim()}` : ''}`);
      // ExecAuth rejects with the child's last 'error' once it closes, in place of the stderr text.
      child.emit('error', failure);
    };
    if (child.pid === undefined) return child; // not started: ExecAuth gets the spawn error
    const pid = child.pid;
    trackGroup(pid);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(pid);
      fail(new PluginFailure('timeout', `${bounds.timeoutMs / 1000} s`));
      // A child of the plugin outside its group may hold the pipes open: 'close' must not wait for it.
      child.stdout?.destroy();
      child.stderr?.destroy();
    }, bounds.timeoutMs);
    child.on('exit', (code, signal) => {
      if (!timedOut && code !== 0) fail(new PluginFailure('exit', signal ? `signal ${signal}` : `exit code ${code}`));
    });
    // Bounded until its output is closed: a child it left holding the pipes is killed with its group.
    child.on('close', () => {
      clearTimeout(timer);
      running.delete(pid);
    });
    return child;
  };
}

/**
 * Makes the exec credential plugin of `kc` run through boundedSpawn. ExecAuth and its spawn function
 * are private to client-node (pinned at 1.4; plugin.test.ts fails if they move).
 */
export function boundExecPlugin(kc: KubeConfig, command: string, bounds: PluginBounds): void {
  const authenticators = (kc as unknown as { authenticators?: { execFn?: unknown; isAuthProvider(u: unknown): boolean }[] }).authenticators;
  const execAuth = authenticators?.find((a) => typeof a.execFn === 'function' && a.isAuthProvider({ name: 'probe', exec: { command } }));
  if (!execAuth) throw new Error('@kubernetes/client-node: its ExecAuth was not found (a changed version?): exec credential plugins cannot be bounded');
  execAuth.execFn = boundedSpawn(command, bounds);
}
