// Test fixtures for the API server specs: a NodeRuntime that runs exec'd commands as local
// processes (and remembers them, so after-hooks can kill them), and a started server.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApiServer, type ApiServer } from './apiserver/index.ts';
import { SimError } from './status.ts';
import { Store } from './store.ts';
import type { ExecProcess, ExecRequest, NodeRuntime } from './types.ts';

export class FakeRuntime implements NodeRuntime {
  readonly children = new Set<ChildProcess>();
  readonly execs: ExecRequest[] = [];
  logText = 'line 1\nline 2\nline 3\n';

  exec(req: ExecRequest): ExecProcess {
    if (req.container === 'broken') throw SimError.internal('container not running');
    this.execs.push(req);
    const child = spawn(req.command[0]!, req.command.slice(1), { stdio: [req.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    this.children.add(child);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => {
        this.children.delete(child);
        resolve({ code, signal });
      }),
    );
    child.once('error', () => undefined);
    return { stdout: child.stdout!, stderr: child.stderr!, ...(child.stdin ? { stdin: child.stdin } : {}), exited, kill: (s) => child.kill(s) };
  }

  logs(_ns: string, _pod: string, opts: { tailLines?: number }): string {
    const lines = this.logText.split('\n').filter(Boolean);
    return lines.slice(opts.tailLines ? -opts.tailLines : 0).join('\n') + '\n';
  }

  killAll(): void {
    for (const c of this.children) c.kill('SIGKILL');
  }
}

export interface Harness {
  server: ApiServer;
  store: Store;
  runtime: FakeRuntime;
  dir: string;
  close(): Promise<void>;
}

export async function startHarness(address: string): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'sim-apiserver-'));
  const store = new Store();
  const runtime = new FakeRuntime();
  const server = await startApiServer({ store, runtime, dir, address });
  return {
    server,
    store,
    runtime,
    dir,
    close: async () => {
      runtime.killAll();
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
