// IPv6 for a dual-stack sim. Loopback has no IPv6 range like 127/8 (only ::1), so the sim puts each
// address it hands out on lo itself (`ip -6 addr add … nodad`, root only) inside a ULA /64 of its own,
// derived from its 127.N subnet, and removes them again on stop (and leftovers of a killed run on start).
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** "127.166" → "fd7f:0:a6:": the sim's IPv6 /64s are fd7f:0:N:<third>::/64 (pods 2, Services 1). */
export const ipv6Prefix = (subnet: string) => `fd7f:0:${Number(subnet.split('.')[1]).toString(16)}:`;

/** The reverse zone of the sim's IPv6 /48, in nibble format: "fd7f:0:a6:" → "6.a.0.0.0.0.0.0.f.7.d.f.ip6.arpa". */
export function reverseZone6(prefix: string): string {
  const nibbles = prefix.split(':').slice(0, 3).map((g) => g.padStart(4, '0')).join('');
  return `${[...nibbles].reverse().join('.')}.ip6.arpa`;
}

/** Skips the running test or hook, saying why in the test output (mocha's skip takes no reason). */
export function skipWithoutIpv6(ctx: Mocha.Context): void {
  const why = ipv6Available();
  if (!why) return;
  console.log(`      skipped: ${why}`);
  ctx.skip();
}

/** Why IPv6 addresses cannot be added here, or undefined when they can (root, IPv6 enabled). */
export function ipv6Available(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root to add IPv6 addresses to lo';
  try {
    execFileSync('ip', ['-6', 'addr', 'show', 'dev', 'lo'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'needs iproute2 (`ip`) and IPv6 on lo';
  }
}

/** The /128 addresses of one sim on lo. */
export class Ipv6Addresses {
  private readonly added = new Set<string>();
  private next = new Map<number, number>();

  constructor(readonly prefix: string) {}

  /** Removes addresses a killed sim of the same subnet left on lo. */
  async sweep(): Promise<void> {
    const { stdout } = await run('ip', ['-6', '-o', 'addr', 'show', 'dev', 'lo']);
    for (const m of stdout.matchAll(/inet6 ([0-9a-f:]+)\/128/g)) if (m[1]!.startsWith(this.prefix)) await run('ip', ['-6', 'addr', 'del', `${m[1]}/128`, 'dev', 'lo']).catch(() => undefined);
  }

  /** The address `index` of a /64 (1 = Services, 2 = pods), added to lo now. */
  add(range: number, index?: number): string {
    const n = index ?? (this.next.get(range) ?? 0) + 1;
    if (index === undefined) this.next.set(range, n);
    const ip = `${this.prefix}${range}::${n.toString(16)}`;
    if (!this.added.has(ip)) {
      execFileSync('ip', ['-6', 'addr', 'add', `${ip}/128`, 'dev', 'lo', 'nodad']);
      this.added.add(ip);
    }
    return ip;
  }

  async removeAll(): Promise<void> {
    await Promise.all([...this.added].map((ip) => run('ip', ['-6', 'addr', 'del', `${ip}/128`, 'dev', 'lo']).catch(() => undefined)));
    this.added.clear();
  }
}
