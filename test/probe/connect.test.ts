// Network evidence: the probe's TCP connects against a real listener and a closed port on a claimed /16.
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { connectOnce } from '../../src/probe/connect.ts';
import { PLAN_SCHEMA, validatePlan, validateReport, type CheckPlan } from '../../src/probe/contract.ts';
import { runPlan } from '../../src/probe/run.ts';
import { claimSubnet } from '../subnets.ts';

const NET = claimSubnet();
const HOST = `${NET}.0.1`;

describe('probe network evidence (TCP connect)', function () {
  this.timeout(10_000);
  let server: net.Server;
  let port: number;

  before(async () => {
    server = net.createServer((s) => s.destroy());
    server.listen(0, HOST);
    await once(server, 'listening');
    port = (server.address() as net.AddressInfo).port;
  });
  after(() => server.close());

  it('succeeds against a listener and times the handshake', async () => {
    const r = await connectOnce({ id: 'k', address: HOST, port, label: 'kubernetes Service' }, 2000);
    assert.equal(r.ok, true);
    assert.ok(r.latencyMs !== null && r.latencyMs >= 0 && r.latencyMs < 2000);
  });

  it('fails with the reason against a closed port', async () => {
    const r = await connectOnce({ id: 'k', address: `${NET}.0.2`, port, label: 'nothing here' }, 2000);
    assert.deepEqual(r, { id: 'k', ok: false, latencyMs: null, detail: 'ECONNREFUSED' });
  });

  it('runs with the plan and lands in a report the orchestrator accepts', async () => {
    const plan: CheckPlan = {
      schema: PLAN_SCHEMA,
      targets: [{ id: 'dns', address: `${NET}.0.3`, port: 53, kind: 'pod', label: 'no dns here' }],
      queries: [{ id: 'q', name: 'a.test', type: 'A', expect: { nonEmpty: true } }],
      transports: ['tcp'],
      samples: 1,
      timeoutMs: 1000,
      concurrency: 4,
      connects: [
        { id: 'up', address: HOST, port, label: 'listener' },
        { id: 'down', address: `${NET}.0.2`, port, label: 'closed' },
      ],
    };
    assert.equal(validatePlan(plan), null);
    const report = await runPlan(plan, { hostname: 'probe-test' });
    assert.deepEqual(report.connects?.map((c) => [c.id, c.ok]), [
      ['up', true],
      ['down', false],
    ]);
    assert.equal(validateReport(JSON.parse(JSON.stringify(report)), plan), null);
    assert.match(validateReport({ ...report, connects: [{ id: 'other', ok: true, latencyMs: 1 }] }, plan) ?? '', /not a planned connect/);
  });

  it('rejects bad connect checks in a plan with one line', () => {
    const base = { schema: PLAN_SCHEMA, targets: [{ id: 't', address: HOST, port: 53, kind: 'pod', label: 'x' }], queries: [{ id: 'q', name: 'a.test', type: 'A', expect: {} }], transports: ['udp'], samples: 1, timeoutMs: 100, concurrency: 1 };
    assert.equal(validatePlan({ ...base, connects: [{ id: 'c', address: 'api.example', port: 443, label: 'x' }] }), 'connects[0].address must be an IP address, got "api.example"');
    assert.equal(validatePlan({ ...base, connects: [{ id: 'c', address: HOST, port: 0, label: 'x' }] }), 'connects[0].port must be >= 1, got 0');
    assert.equal(validatePlan({ ...base, connects: Array.from({ length: 17 }, (_, i) => ({ id: `c${i}`, address: HOST, port: 1, label: 'x' })) }), 'connects must have at most 16 items');
  });
});
