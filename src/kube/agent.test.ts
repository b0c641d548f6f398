// Connection reuse against a real HTTPS server: every request of one client shares its TLS connection
// (client-node alone opens one per request), and a changed kubeconfig file is read again.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makePki, kubeconfigYaml } from '../../test/sim/pki.ts';
import { connect } from './client.ts';
import { identityKey } from './agent.ts';

describe('kube: shared keep-alive agents', function () {
  this.timeout(20_000);
  const dir = mkdtempSync(join(tmpdir(), 'kube-agent-'));
  let server: Server;
  let handshakes = 0;
  let kubeconfig = '';
  const nodeList = (name: string) => JSON.stringify({ kind: 'NodeList', apiVersion: 'v1', metadata: {}, items: [{ metadata: { name } }] });

  before(async () => {
    const pki = await makePki(dir, '127.0.0.1');
    server = createServer({ cert: pki.certPem, key: pki.keyPem }, (req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(req.url?.startsWith('/api/v1/nodes') ? nodeList(String(req.headers.authorization)) : '{}');
    });
    server.on('secureConnection', () => handshakes++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const server1 = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, kubeconfigYaml({ server: server1, caPem: pki.caPem, user: 'u', token: 'first' }));
  });

  after(() => {
    server?.closeAllConnections();
    server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('one TLS handshake for several requests of one client, one per client', async () => {
    handshakes = 0;
    const { client } = connect({ kubeconfig });
    for (let i = 0; i < 3; i++) assert.deepEqual((await client.listNodes()).map((n) => n.name), ['Bearer first']);
    await Promise.all([client.listNodes(), client.listNodes()]);
    assert.equal(client.requestCount, 5);
    assert.equal(handshakes, 2, 'two requests at once need two connections; the others reuse them');
    await connect({ kubeconfig }).client.listNodes();
    assert.equal(handshakes, 3, 'another client (another context of a fleet) has its own connection');
  });

  it('reads the kubeconfig file again once it changed', async () => {
    assert.deepEqual((await connect({ kubeconfig }).client.listNodes()).map((n) => n.name), ['Bearer first']);
    writeFileSync(kubeconfig, readFileSync(kubeconfig, 'utf8').replace('token: first', 'token: second'));
    assert.deepEqual((await connect({ kubeconfig }).client.listNodes()).map((n) => n.name), ['Bearer second']);
  });

  it('keys agents by the TLS identity, certificates compared by content', () => {
    const a = identityKey({ ca: Buffer.from('ca-1'), rejectUnauthorized: true });
    assert.equal(identityKey({ ca: Buffer.from('ca-1'), rejectUnauthorized: true }), a);
    assert.notEqual(identityKey({ ca: Buffer.from('ca-2'), rejectUnauthorized: true }), a);
    assert.notEqual(identityKey({ ca: Buffer.from('ca-1'), cert: Buffer.from('client'), rejectUnauthorized: true }), a);
  });
});
