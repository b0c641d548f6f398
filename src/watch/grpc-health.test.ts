// grpc.health.v1 on the metrics port, checked with a real gRPC client (@grpc/grpc-js): SERVING and
// NOT_SERVING follow /healthz, unknown services and methods get gRPC's codes, and HTTP/1.1 keeps working
// on the same port.
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { Registry } from 'prom-client';
import { claimSubnet } from '../../test/subnets.ts';
import { decodeHealthRequest, encodeHealthResponse, HEALTH_CHECK_PATH } from './grpc-health.ts';
import { startMetricsServer, type MetricsServer } from './server.ts';

const encodeRequest = (service: string): Buffer => {
  const s = Buffer.from(service, 'utf8');
  return service ? Buffer.concat([Buffer.from([0x0a, s.length]), s]) : Buffer.alloc(0);
};
const STATUS = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'];
const decodeResponse = (b: Buffer): string => (b.length === 0 ? 'UNKNOWN' : STATUS[b[1]!] ?? `status ${b[1]}`);

const method = (path: string) => ({ path, requestStream: false, responseStream: false, requestSerialize: encodeRequest, requestDeserialize: (b: Buffer) => b.toString(), responseSerialize: (s: string) => Buffer.from(s), responseDeserialize: decodeResponse });
const HealthClient = grpc.makeGenericClientConstructor({ Check: method(HEALTH_CHECK_PATH), Watch: method('/grpc.health.v1.Health/Watch') }, 'grpc.health.v1.Health');

type Call = (req: string, cb: (err: grpc.ServiceError | null, res?: string) => void) => void;

describe('watch: grpc.health.v1 beside /metrics and /healthz', () => {
  let server: MetricsServer;
  let client: grpc.Client & { Check: Call; Watch: Call };
  let ok = true;
  const call = (name: 'Check' | 'Watch', service: string) => new Promise<{ code: number; status?: string }>((resolve) => client[name](service, (err, res) => resolve(err ? { code: err.code } : { code: 0, status: res! })));

  before(async () => {
    const host = `${claimSubnet()}.0.9`;
    server = await startMetricsServer({ host, port: 0 }, new Registry(), () => (ok ? { ok, line: 'ok' } : { ok, line: 'stuck' }));
    client = new HealthClient(server.url.replace('http://', ''), grpc.credentials.createInsecure()) as unknown as typeof client;
  });

  after(async () => {
    client?.close();
    await server?.close();
  });

  it('answers Check SERVING while the loop makes progress, NOT_SERVING when it is stuck', async () => {
    ok = true;
    assert.deepEqual(await call('Check', ''), { code: 0, status: 'SERVING' });
    assert.deepEqual(await call('Check', 'coredns-sentinel'), { code: 0, status: 'SERVING' });
    ok = false;
    assert.deepEqual(await call('Check', ''), { code: 0, status: 'NOT_SERVING' });
    ok = true;
  });

  it('answers NOT_FOUND for an unknown service and UNIMPLEMENTED for Watch', async () => {
    assert.equal((await call('Check', 'other')).code, grpc.status.NOT_FOUND);
    assert.equal((await call('Watch', '')).code, grpc.status.UNIMPLEMENTED);
  });

  it('keeps serving HTTP/1.1 on the same port', async () => {
    const res = await fetch(`${server.url}/healthz`);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'ok\n');
    assert.equal((await fetch(`${server.url}/metrics`)).status, 200);
  });

  it('decodes requests and encodes responses as protobuf', () => {
    assert.equal(decodeHealthRequest(Buffer.alloc(0)), '');
    assert.equal(decodeHealthRequest(Buffer.from([0x0a, 2, 0x61, 0x62])), 'ab');
    assert.equal(decodeHealthRequest(Buffer.from([0x0a, 9, 0x61])), null, 'a length past the end');
    assert.deepEqual([...encodeHealthResponse(1)], [0, 0, 0, 0, 2, 0x08, 1]);
  });
});
