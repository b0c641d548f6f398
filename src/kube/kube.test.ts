import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type WebSocket from 'ws';
import { classifySocketError, PATH_ERROR_CODE } from '../probe/dns.ts';
import { PortForwardStream } from './portforward.ts';
import { fromHttp, isRetryable, KubeError, missingRule, parseStatus, statusOrText, toKubeError } from './errors.ts';
import { interpretExecStatus } from './exec.ts';
import { backoffDelay, RETRY, withRetry } from './retry.ts';
import { fitEventMessage, toPod } from './convert.ts';

const ctx = { verb: 'create', resource: 'pods/exec', namespace: 'default', name: 'p' };
const status = (code: number, reason: string, message: string, extra = {}) => JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message, ...extra });

describe('kube error mapping', () => {
  it('turns an ApiException 403 (body is a JSON string) into forbidden with the missing RBAC rule', () => {
    const body = status(403, 'Forbidden', 'pods "p" is forbidden: User "ci" cannot get resource "pods/exec" in API group "" in the namespace "default"');
    const err = toKubeError({ code: 403, body, headers: {} }, ctx);
    assert.equal(err.kind, 'forbidden');
    assert.equal(err.code, 403);
    assert.equal(err.hint, 'missing RBAC: grant get and create on pods/exec in namespace default (Role coredns-sentinel-check-probe in manifests/rbac-check.yaml)');
    assert.match(err.line, /^create pods\/exec p in namespace default: pods "p" is forbidden: .* — missing RBAC: /);
  });

  it('names cluster-scoped rules and other resources', () => {
    // A rule no shipped manifest holds: the manifest a read would belong to.
    const err = fromHttp(403, parseStatus(status(403, 'Forbidden', 'persistentvolumes is forbidden: User "u" cannot list resource "persistentvolumes" in API group "" at the cluster scope')), ctx);
    assert.equal(err.hint, 'missing RBAC: grant list on persistentvolumes cluster-wide (see manifests/rbac-check.yaml)');
    assert.deepEqual(missingRule('User "u" cannot watch resource "pods" in API group "" in the namespace "x"'), { verb: 'watch', resource: 'pods', group: '', namespace: 'x' });
  });

  for (const [code, kind] of [[401, 'unauthorized'], [404, 'not-found'], [409, 'conflict'], [422, 'invalid'], [429, 'throttled'], [500, 'server'], [503, 'server']] as const) {
    it(`maps HTTP ${code} to ${kind}`, () => {
      const err = toKubeError({ code, body: status(code, 'X', 'the message') }, ctx);
      assert.equal(err.kind, kind);
      assert.match(err.message, /the message/);
    });
  }

  it('keeps 422 causes and Retry-After', () => {
    const invalid = toKubeError({ code: 422, body: status(422, 'Invalid', 'Pod "x" is invalid', { details: { causes: [{ message: 'spec.containers[0].image: Required value' }] } }) }, ctx);
    assert.match(invalid.message, /Required value/);
    const throttled = toKubeError({ code: 429, body: status(429, 'TooManyRequests', 'slow down'), headers: { 'retry-after': '3' } }, ctx);
    assert.equal(throttled.retryAfterSeconds, 3);
    assert.equal(backoffDelay(RETRY, 1, throttled), 3000, 'Retry-After is honoured (the budget bounds it)');
  });

  it('survives a body that is not JSON and network errors', () => {
    assert.equal(toKubeError({ code: 502, body: '<html>bad gateway</html>' }, ctx).line,
      'create pods/exec p in namespace default: the API server failed (HTTP 502) — check the API server\'s health and run again');
    const refused = toKubeError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { code: 'ECONNREFUSED' }), ctx);
    assert.equal(refused.kind, 'unreachable');
    assert.ok(isRetryable(refused));
    assert.equal(toKubeError(Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }), ctx).kind, 'unreachable');
    assert.ok(!isRetryable(new KubeError('forbidden', 403, 'x', '')));
  });
});

describe('withRetry', () => {
  it('retries retryable errors a bounded number of times and never others', async () => {
    let calls = 0;
    const policy = { attempts: 3, baseDelayMs: 1, maxDelayMs: 1 };
    await assert.rejects(withRetry(policy, 10_000, async () => { calls++; throw { code: 503, body: '' }; }, (e) => toKubeError(e, ctx)), /\(3 attempts in/);
    assert.equal(calls, 3);
    calls = 0;
    await assert.rejects(withRetry(policy, 10_000, async () => { calls++; throw { code: 403, body: '' }; }, (e) => toKubeError(e, ctx)), KubeError);
    assert.equal(calls, 1);
    calls = 0;
    assert.equal(await withRetry(policy, 10_000, async () => (++calls < 2 ? Promise.reject({ code: 429, body: '' }) : 'ok'), (e) => toKubeError(e, ctx)), 'ok');
  });
});

describe('exec handshake bodies', () => {
  it('keep a text/plain 500 (a v4 kubelet error) as the message', () => {
    const err = fromHttp(500, statusOrText('container not found ("probe")\n'), ctx);
    assert.equal(err.message, 'the API server failed (HTTP 500): container not found ("probe")');
    assert.equal(statusOrText('  ')?.message, undefined);
    assert.equal(statusOrText(status(500, 'InternalError', 'boom'))?.reason, 'InternalError');
  });
});

describe('interpretExecStatus', () => {
  it('reads success, non-zero exit codes and failures', () => {
    assert.deepEqual(interpretExecStatus('{"metadata":{},"status":"Success"}'), { exitCode: 0 });
    assert.deepEqual(
      interpretExecStatus('{"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: 3","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"3"}]}}'),
      { exitCode: 3 },
    );
    // ≥ 1.30: the kubelet could not be reached after the upgrade; the reason stays in the message.
    assert.deepEqual(interpretExecStatus('{"status":"Failure","reason":"InternalError","message":"error dialing backend: dial tcp 10.0.0.5:10250: i/o timeout"}'),
      { error: 'error dialing backend: dial tcp 10.0.0.5:10250: i/o timeout (InternalError)', internal: true });
    assert.deepEqual(interpretExecStatus('{"status":"Failure","reason":"BadRequest","message":"container not running"}'), { error: 'container not running' });
    assert.ok('error' in interpretExecStatus('not json'));
  });
});

describe('toPod', () => {
  it('reads raw watch JSON and deserialized objects alike', () => {
    const raw = {
      metadata: { name: 'p', namespace: 'n', uid: 'u', resourceVersion: '7', creationTimestamp: '2025-01-01T00:00:00Z', ownerReferences: [{ kind: 'ReplicaSet', name: 'coredns-abc' }] },
      spec: { nodeName: 'node-1', activeDeadlineSeconds: 60 },
      status: { phase: 'Pending', podIP: '10.0.0.1', containerStatuses: [{ name: 'c', ready: false, restartCount: 2, state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off' } } }] },
    };
    const pod = toPod(raw);
    assert.deepEqual([pod.podIPs, pod.containerStatuses[0]?.waitingReason, pod.creationTimestamp, pod.activeDeadlineSeconds], [['10.0.0.1'], 'ImagePullBackOff', '2025-01-01T00:00:00Z', 60]);
    const deserialized = toPod({ ...raw, metadata: { ...raw.metadata, creationTimestamp: new Date('2025-01-01T00:00:00Z') } });
    assert.equal(deserialized.creationTimestamp, '2025-01-01T00:00:00.000Z');
  });
});

describe('port-forward stream', () => {
  /** A websocket as far as the stream sees it: events, a state, no network. */
  const fakeSocket = () => Object.assign(new EventEmitter(), { readyState: 1, close() {}, terminate() {} }) as unknown as WebSocket;
  const failure = (stream: PortForwardStream) => new Promise<NodeJS.ErrnoException>((resolve) => stream.once('error', resolve));

  it('a websocket error during the handshake stays the handshake\'s (retried by openPortForward)', async () => {
    const ws = fakeSocket();
    const stream = new PortForwardStream(ws, 53);
    const failed = failure(stream);
    ws.emit('error', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
    assert.equal((await failed).code, 'ECONNRESET');
  });

  it('once open, the connection to the API server breaking is the path\'s failure, not the pod\'s', async () => {
    const ws = fakeSocket();
    const stream = new PortForwardStream(ws, 53);
    const failed = failure(stream);
    ws.emit('open');
    ws.emit('error', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
    const err = await failed;
    assert.equal(err.code, PATH_ERROR_CODE);
    assert.deepEqual(classifySocketError(err), { outcome: 'path', detail: 'port-forward: the connection to the API server broke (read ECONNRESET)' });
  });
});

describe('Event messages', () => {
  it('fit the API server\'s 1024 bytes, cut on a code point', () => {
    for (const [text, fits] of [['short — fine', true], ['x'.repeat(1024), true], ['—'.repeat(400), false], ['a' + '—'.repeat(400), false], ['😀'.repeat(300), false]] as const) {
      const out = fitEventMessage(text);
      assert.ok(Buffer.byteLength(out) <= 1024, `${Buffer.byteLength(out)} bytes`);
      assert.equal(out === text, fits);
      if (!fits) {
        assert.ok(out.endsWith('…') && text.startsWith(out.slice(0, -1)));
        assert.ok(!out.includes('\uFFFD') && Buffer.byteLength(out) > 1024 - 6, 'cut close to the limit, never inside a character');
      }
    }
  });
});
