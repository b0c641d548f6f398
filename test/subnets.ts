// Address ranges for test suites, claimed across processes so two suites (or two developers' runs) on
// one machine never share a /16. A claim is a lock file holding the claimer's pid; a claim whose
// process is gone is taken over. Claims are released by their holder (a sim when it stops) or when the
// process exits.
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const DIR = join(tmpdir(), 'coredns-sentinel-test-subnets');
// 127.100–127.249: the sim's and the suites' range. 127.0.x stays for ordinary localhost use.
const FIRST = 100;
const LAST = 249;
const mine = new Set<string>();

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

function tryClaim(subnet: string): boolean {
  const file = join(DIR, subnet);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      mine.add(subnet);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number(readFileSync(file, 'utf8').trim());
      if (owner && alive(owner)) return false;
      try {
        unlinkSync(file); // a dead process's claim
      } catch {
        /* another process took it over first */
      }
    }
  }
  return false;
}

process.on('exit', () => {
  for (const s of mine) {
    try {
      unlinkSync(join(DIR, s));
    } catch {
      /* already gone */
    }
  }
});

/** Gives a claim back before the process exits (a sim that stopped): long suites then never run out. */
export function releaseSubnet(subnet: string): void {
  if (!mine.delete(subnet)) return;
  try {
    unlinkSync(join(DIR, subnet));
  } catch {
    /* already gone */
  }
}

/** A /16 of 127.0.0.0/8 ("127.N") that no other live process has claimed; held until released or this process exits. */
export function claimSubnet(): string {
  mkdirSync(DIR, { recursive: true });
  const start = FIRST + Math.floor(Math.random() * (LAST - FIRST + 1));
  for (let i = 0; i <= LAST - FIRST; i++) {
    const subnet = `127.${FIRST + ((start - FIRST + i) % (LAST - FIRST + 1))}`;
    if (!mine.has(subnet) && tryClaim(subnet)) return subnet;
  }
  throw new Error(`every test subnet 127.${FIRST}–127.${LAST} is claimed (see ${DIR})`);
}
