import { expect } from 'chai';
import dgram from 'node:dgram';
import net from 'node:net';
import { spawn } from 'node:child_process';
import { clientSocketInodes, holdsSocket, procEndpoint, socketInodes } from './sockets.ts';

describe('sim sockets: which process owns a client socket (/proc)', () => {
  it('reads /proc/net tables: the local end exact or on any address, the peer or none', () => {
    const header = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
    const row = (local: string, remote: string, inode: string) => `   0: ${local} ${remote} 01 00000000:00000000 00:00000000 00000000     0        0 ${inode} 2 0 0\n`;
    const client = { address: '127.0.0.1', port: 40000 };
    const server = { address: '127.9.1.10', port: 53 };
    const table = header + row(procEndpoint(client), procEndpoint(server), '11') + row(procEndpoint({ address: '0.0.0.0', port: 40000 }), '00000000:0000', '12') + row(procEndpoint(client), procEndpoint({ address: '127.9.1.11', port: 53 }), '13') + row(procEndpoint(server), procEndpoint(client), '14');
    expect(socketInodes(table, client, server)).to.deep.equal(['11', '12']);
  });

  it('finds a live connected UDP and TCP socket of this process, and not of another process', async () => {
    const server = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const serverEnd = { address: '127.0.0.1', port: (server.address() as net.AddressInfo).port };
    const udp = dgram.createSocket('udp4');
    await new Promise<void>((r) => udp.connect(serverEnd.port, serverEnd.address, () => r()));
    const tcp = net.connect(serverEnd.port, serverEnd.address);
    await new Promise((r) => tcp.once('connect', r));
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 5000)']);
    try {
      for (const [protocol, port] of [['udp', udp.address().port], ['tcp', tcp.localPort!]] as const) {
        const inodes = clientSocketInodes(protocol, { address: '127.0.0.1', port }, serverEnd);
        expect(inodes.length, protocol).to.be.greaterThan(0);
        expect(holdsSocket(process.pid, inodes), protocol).to.equal(true);
        expect(holdsSocket(other.pid!, inodes), protocol).to.equal(false);
      }
    } finally {
      other.kill('SIGKILL');
      udp.close();
      tcp.destroy();
      server.close();
    }
  });
});
