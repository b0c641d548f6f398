// Is an address routable from this process? One DNS question over UDP (any answer counts, even an error
// rcode) or a TCP connect that completes: either proves a path. A pod that hangs still accepts TCP, so a
// sick pod does not look unroutable; a network without a route fails both within the timeout.
import net from 'node:net';
import { UdpChannel, type Endpoint } from '../probe/dns.ts';

function tcpConnects(e: Endpoint, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: e.address, port: e.port });
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function udpAnswers(e: Endpoint, timeoutMs: number): Promise<boolean> {
  const channel = new UdpChannel(e);
  try {
    return (await channel.query({ name: '.', type: 'A' }, { timeoutMs, ednsUdpSize: 0 })).ok;
  } finally {
    channel.close();
  }
}

export async function reachable(e: Endpoint, timeoutMs: number): Promise<boolean> {
  const [udp, tcp] = await Promise.all([udpAnswers(e, timeoutMs), tcpConnects(e, timeoutMs)]);
  return udp || tcp;
}

/** True when any of the endpoints is reachable (all tried at once). */
export async function anyReachable(endpoints: readonly Endpoint[], timeoutMs: number): Promise<boolean> {
  return (await Promise.all(endpoints.map((e) => reachable(e, timeoutMs)))).some(Boolean);
}

