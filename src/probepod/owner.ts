// Which process a probe pod belongs to, written on the pod as annotations, so that the next run can
// tell a pod whose run is provably dead (same host, same boot, the process gone) from one whose run
// may still be alive elsewhere. Linux: boot id from /proc/sys/kernel/random/boot_id and the process's
// start time (field 22 of /proc/<pid>/stat) guard against a reused pid; elsewhere only the pid is known.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

export const OWNER_ANNOTATIONS = {
  host: 'coredns-sentinel/host',
  pid: 'coredns-sentinel/pid',
  pidStart: 'coredns-sentinel/pid-start',
  bootId: 'coredns-sentinel/boot-id',
} as const;

export interface RunOwner {
  host: string;
  pid: number;
  /** Clock ticks since boot when the process started; '' when unknown. */
  pidStart: string;
  /** '' when unknown. */
  bootId: string;
}

const readOr = (file: string): string => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
};

/** Field 22 (starttime) of /proc/<pid>/stat; the command name (field 2) may hold spaces and parentheses. */
export function processStart(pid: number): string {
  const stat = readOr(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[19] ?? '';
}

let self: RunOwner | undefined;

/** This process; read once, as it cannot change (a fleet or --probe-nodes all run asks once per probe pod). */
export function currentOwner(): RunOwner {
  self ??= { host: hostname(), pid: process.pid, pidStart: processStart(process.pid), bootId: readOr('/proc/sys/kernel/random/boot_id').trim() };
  return self;
}

export const ownerAnnotations = (o: RunOwner): Record<string, string> => ({
  [OWNER_ANNOTATIONS.host]: o.host,
  [OWNER_ANNOTATIONS.pid]: String(o.pid),
  ...(o.pidStart ? { [OWNER_ANNOTATIONS.pidStart]: o.pidStart } : {}),
  ...(o.bootId ? { [OWNER_ANNOTATIONS.bootId]: o.bootId } : {}),
});

/** Is this process (pid, started at `start` when known) still running here? */
export function processAlive(pid: number, start: string): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return !start || processStart(pid) === '' || processStart(pid) === start;
}

/**
 * The pod's run is provably dead: it was started on this host in this boot, and its process is gone
 * (or the pid now belongs to a process started later). Unknown hosts or boots are never "dead". Pure but
 * for `alive`.
 */
export function ownerDead(annotations: Record<string, string>, self: RunOwner, alive: (pid: number, start: string) => boolean = processAlive): boolean {
  const host = annotations[OWNER_ANNOTATIONS.host];
  const pid = Number(annotations[OWNER_ANNOTATIONS.pid]);
  const boot = annotations[OWNER_ANNOTATIONS.bootId] ?? '';
  if (host !== self.host || !Number.isInteger(pid) || pid <= 0) return false;
  if (!self.bootId || boot !== self.bootId) return false;
  if (pid === self.pid) return false;
  return !alive(pid, annotations[OWNER_ANNOTATIONS.pidStart] ?? '');
}
