// Which process owns a client socket, read from /proc. Every sim "pod" shares the sim's network
// namespace and sends from 127.0.0.1, so a forwarder cannot tell a probe on node A from one on node B
// by its address; NodeLocal DNSCache's interception asks which exec'd process owns the socket instead.
import { endianness } from 'node:os';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface SocketEnd {
  address: string;
  port: number;
}

/** An IPv4 address:port as /proc/net/{udp,tcp} prints it: the address in host byte order, both in hex. */
export function procEndpoint(e: SocketEnd): string {
  const octets = e.address.split('.').map((o) => Number(o).toString(16).toUpperCase().padStart(2, '0'));
  const address = (endianness() === 'LE' ? octets.reverse() : octets).join('');
  return `${address}:${e.port.toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * Inodes of the IPv4 sockets bound to `local` (or to any address on its port) whose peer is `peer`, or
 * that have no peer (unconnected UDP), from the text of /proc/net/udp or /proc/net/tcp. Pure.
 */
export function socketInodes(table: string, local: SocketEnd, peer: SocketEnd): string[] {
  const exact = procEndpoint(local);
  const anyAddress = procEndpoint({ address: '0.0.0.0', port: local.port });
  const peers = new Set([procEndpoint(peer), '00000000:0000']);
  const inodes: string[] = [];
  for (const line of table.split('\n').slice(1)) {
    // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode …
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || (f[1] !== exact && f[1] !== anyAddress) || !peers.has(f[2]!) || f[9] === '0') continue;
    inodes.push(f[9]!);
  }
  return inodes;
}

/** Whether the process, or one of its descendants (bounded), holds one of the socket inodes. */
export function holdsSocket(pid: number, inodes: string[], depth = 3): boolean {
  const wanted = new Set(inodes.map((i) => `socket:[${i}]`));
  const visit = (p: number, left: number): boolean => {
    try {
      for (const fd of readdirSync(`/proc/${p}/fd`)) {
        try {
          if (wanted.has(readlinkSync(`/proc/${p}/fd/${fd}`))) return true;
        } catch {
          // the descriptor closed meanwhile
        }
      }
      if (left === 0) return false;
      const children = readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
      return children.some((c) => visit(Number(c), left - 1));
    } catch {
      return false; // the process is gone
    }
  };
  return visit(pid, depth);
}

/** The inodes of a client's IPv4 socket talking to `server` over UDP or TCP; empty for IPv6 clients. */
export function clientSocketInodes(protocol: 'udp' | 'tcp', client: SocketEnd, server: SocketEnd): string[] {
  if (client.address.includes(':') || server.address.includes(':')) return [];
  return socketInodes(readFileSync(`/proc/self/net/${protocol}`, 'utf8'), client, server);
}
