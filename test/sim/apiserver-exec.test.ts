// pods/exec over websockets: exact frames on v4 and v5 with the `ws` package, errors before the
// upgrade, and the real client-node Exec.
import { Exec, KubeConfig, type V1Status } from '@kubernetes/client-node';
import { expect } from 'chai';
import { readFileSync, rmSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import { WebSocket } from 'ws';
import { startHarness, type Harness } from './apiserver-fixtures.ts';

const NS = 'default';

interface Session {
  protocol: string;
  frames: Buffer[];
  closeCode: number;
}

function execUrl(h: Harness, pod: string, command: string[], extra: Record<string, string> = {}): string {
  const q = new URLSearchParams({ stdout: 'true', stderr: 'true', ...extra });
  for (const c of command) q.append('command', c);
  return `${h.server.url.replace('https', 'wss')}/api/v1/namespaces/${NS}/pods/${pod}/exec?${q}`;
}

/** Runs one exec with `ws` and collects every frame; `onOpen` may send stdin frames. */
function rawExec(h: Harness, url: string, protocols: string[], token = h.server.admin.token, onOpen?: (ws: WebSocket) => void): Promise<Session> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, { ca: readFileSync(h.server.caPath), headers: { Authorization: `Bearer ${token}` } });
    const frames: Buffer[] = [];
    const timer = setTimeout(() => (ws.terminate(), reject(new Error('exec did not finish'))), 10000);
    ws.on('open', () => onOpen?.(ws));
    ws.on('message', (d: Buffer) => frames.push(d));
    ws.on('close', (closeCode) => (clearTimeout(timer), resolve({ protocol: ws.protocol, frames, closeCode })));
    ws.on('error', (e) => (clearTimeout(timer), reject(e)));
  });
}

/** The HTTP answer of a refused handshake ('unexpected-response'), body included. */
function refusedExec(h: Harness, url: string, token = h.server.admin.token, protocols = ['v5.channel.k8s.io']): Promise<{ code: number; body: { message?: string; reason?: string; code?: number } }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, { ca: readFileSync(h.server.caPath), headers: { Authorization: `Bearer ${token}` } });
    ws.on('open', () => (ws.terminate(), reject(new Error('the handshake should have been refused'))));
    ws.on('error', () => undefined);
    ws.on('unexpected-response', (_req, res: IncomingMessage) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d)).on('end', () => resolve({ code: res.statusCode ?? 0, body: JSON.parse(text) as never }));
    });
  });
}

const channel = (s: Session, ch: number) => Buffer.concat(s.frames.filter((f) => f[0] === ch).map((f) => f.subarray(1))).toString();

describe('sim API server: pods/exec over websocket', function () {
  let h: Harness;

  before(async () => {
    h = await startHarness('127.60.0.2');
    for (const [name, nodeName] of [['runner', 'node-1'], ['unscheduled', undefined]] as const)
      h.store.create('pods', {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, namespace: NS },
        spec: { ...(nodeName ? { nodeName } : {}), containers: [{ name: 'main', image: 'busybox' }] },
        status: { phase: 'Running' },
      });
  });
  after(async () => h.close());

  for (const protocol of ['v5.channel.k8s.io', 'v4.channel.k8s.io']) {
    it(`${protocol}: empty stdout frame first, output on 1 and 2, Success on 3, normal close`, async () => {
      const s = await rawExec(h, execUrl(h, 'runner', ['sh', '-c', 'echo out; echo err >&2']), [protocol]);
      expect(s.protocol).to.equal(protocol);
      expect(s.frames[0]).to.deep.equal(Buffer.from([1]));
      expect(channel(s, 1)).to.equal('out\n');
      expect(channel(s, 2)).to.equal('err\n');
      expect(channel(s, 3)).to.equal('{"metadata":{},"status":"Success"}');
      expect(s.frames.at(-1)![0]).to.equal(3);
      expect(s.closeCode).to.equal(1000);
    });

    it(`${protocol}: a non-zero exit is a NonZeroExitCode Status with the code as cause`, async () => {
      const s = await rawExec(h, execUrl(h, 'runner', ['sh', '-c', 'exit 3']), [protocol]);
      expect(channel(s, 3)).to.equal(
        '{"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"3"}]}}',
      );
    });
  }

  it('picks the first protocol in the client order that it speaks', async () => {
    const s = await rawExec(h, execUrl(h, 'runner', ['true']), ['v3.channel.k8s.io', 'v4.channel.k8s.io', 'v5.channel.k8s.io']);
    expect(s.protocol).to.equal('v4.channel.k8s.io');
  });

  it('v5: stdin frames reach the process and the CLOSE signal [255, 0] ends its input', async () => {
    const s = await rawExec(h, execUrl(h, 'runner', ['cat'], { stdin: 'true' }), ['v5.channel.k8s.io'], undefined, (ws) => {
      ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('hello ')]));
      ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('world')]));
      ws.send(Buffer.from([255, 0]));
    });
    expect(channel(s, 1)).to.equal('hello world');
    expect(channel(s, 3)).to.equal('{"metadata":{},"status":"Success"}');
  });

  it('refuses before the upgrade with a readable Status: 401, 403 (create pods/exec), 404, 400s', async () => {
    const url = execUrl(h, 'runner', ['true']);
    expect((await refusedExec(h, url, 'bad')).code).to.equal(401);
    const getOnly = h.server.addUser('get-only', [{ apiGroups: [''], resources: ['pods/exec'], verbs: ['get'] }]);
    const forbidden = await refusedExec(h, url, getOnly.token);
    expect(forbidden.code).to.equal(403);
    expect(forbidden.body.message).to.equal('pods "runner" is forbidden: User "get-only" cannot create resource "pods/exec" in API group "" in the namespace "default"');
    const missing = await refusedExec(h, execUrl(h, 'ghost', ['true']));
    expect(missing).to.deep.include({ code: 404 });
    expect(missing.body.message).to.equal('pods "ghost" not found');
    expect((await refusedExec(h, execUrl(h, 'unscheduled', ['true']))).body).to.include({ code: 400, message: 'pod unscheduled does not have a host assigned' });
    expect((await refusedExec(h, execUrl(h, 'runner', ['true'], { container: 'nope' }))).body.message).to.equal('container nope is not valid for pod runner');
    expect((await refusedExec(h, url, undefined, ['channel.k8s.io'])).code).to.equal(400);
    expect(h.server.requests.filter((r) => r.resource === 'pods/exec').map((r) => r.code)).to.include.members([101, 401, 403, 404, 400]);
  });

  it('answers an injected exec fault before the upgrade', async () => {
    h.server.faults.add({ verb: 'exec', status: 500, count: 1 });
    expect((await refusedExec(h, execUrl(h, 'runner', ['true']))).code).to.equal(500);
  });

  it('works with client-node Exec: output, then a V1Status with the exit code', async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(h.server.admin.kubeconfigPath);
    const out = new PassThrough();
    let text = '';
    out.on('data', (d: Buffer) => (text += d.toString()));
    let settle!: (s: V1Status) => void;
    const status = new Promise<V1Status>((r) => (settle = r));
    const ws = await new Exec(kc).exec(NS, 'runner', 'main', ['sh', '-c', 'echo from-client-node; exit 7'], out, null, null, false, settle);
    const st = await Promise.race([status, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no status')), 10000))]);
    ws.close();
    expect(text).to.equal('from-client-node\n');
    expect(st.status).to.equal('Failure');
    expect(st.reason).to.equal('NonZeroExitCode');
    expect(st.details?.causes?.[0]).to.include({ reason: 'ExitCode', message: '7' });
  });

  it('does not kill the process when the client disconnects (like a real kubelet)', async () => {
    const marker = `/tmp/sim-exec-${process.pid}-${Date.now()}`;
    const before = h.runtime.children.size;
    await new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(execUrl(h, 'runner', ['sh', '-c', `sleep 0.3; touch ${marker}`]), ['v5.channel.k8s.io'], {
        ca: readFileSync(h.server.caPath),
        headers: { Authorization: `Bearer ${h.server.admin.token}` },
      });
      ws.on('message', () => (ws.terminate(), resolve()));
      ws.on('error', reject);
    });
    expect(h.runtime.children.size).to.equal(before + 1);
    for (let i = 0; i < 40 && h.runtime.children.size > before; i++) await new Promise((r) => setTimeout(r, 50));
    expect(readFileSync(marker, 'utf8')).to.equal('');
    rmSync(marker);
  });
});
