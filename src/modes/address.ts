// `--dns-address HOST:PORT`: an IP address (IPv6 in brackets) and a port. Pure.
import net from 'node:net';
import type { DnsAddress } from './types.ts';

/** The endpoint, or what is wrong with the text. */
export function parseDnsAddress(text: string): DnsAddress | { problem: string } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text.trim());
  if (!m) return { problem: `--dns-address must be IP:PORT (IPv6 as [IP]:PORT), got "${text}"` };
  const address = m[1] ?? m[2]!;
  const port = Number(m[3]);
  if (!net.isIP(address)) return { problem: `--dns-address needs an IP address (the tool resolves no names for its own checks), got "${address}"` };
  if (m[1] !== undefined && !net.isIPv6(address)) return { problem: `--dns-address: brackets are for IPv6 addresses, got "${text}"` };
  if (port < 1 || port > 65535) return { problem: `--dns-address port must be 1 to 65535, got ${port}` };
  return { address, port };
}
