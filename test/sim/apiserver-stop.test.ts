// stop() ends what is open: watch streams and exec sockets, and frees the port.
import { KubeConfig, Watch } from '@kubernetes/client-node';
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { WebSocket } from 'ws';
import { startHarness, type Harness } from './apiserver-fixtures.ts';

describe('sim API server stop()', () => {
  let h: Harness | undefined;
  after(async () => h?.close()); // kills the exec'd sleep, removes the dir

  it('closes open watches and exec sockets and resolves', async () => {
    h = await startHarness('127.60.0.4');
    h.store.create('pods', { metadata: { name: 'p', namespace: 'default' }, spec: { nodeName: 'n', containers: [{ name: 'c', image: 'i' }] } });
    const kc = new KubeConfig();
    kc.loadFromFile(h.server.admin.kubeconfigPath);
    let watchEnded = false;
    await new Watch(kc).watch('/api/v1/namespaces/default/pods', {}, () => undefined, () => (watchEnded = true));
    const ws = new WebSocket(`${h.server.url.replace('https', 'wss')}/api/v1/namespaces/default/pods/p/exec?command=sleep&command=30&stdout=true`, ['v5.channel.k8s.io'], {
      ca: readFileSync(h.server.caPath),
      headers: { Authorization: `Bearer ${h.server.admin.token}` },
    });
    const wsClosed = new Promise<void>((resolve) => ws.on('close', () => resolve()));
    await new Promise((resolve) => ws.once('message', resolve));
    await h.server.stop();
    await wsClosed;
    expect(h.runtime.children.size, 'stop() leaves exec processes to the node side').to.equal(1);
    for (let i = 0; i < 20 && !watchEnded; i++) await new Promise((r) => setTimeout(r, 25));
    expect(watchEnded).to.equal(true);
    expect(ws.readyState).to.equal(WebSocket.CLOSED);
  });
});
