// How runPlan schedules (src/probe/run.ts): the queries to one target one after another, targets in
// parallel, a target that stops answering not waited for query by query; and the report written in
// pieces is the same JSON (src/probe/write.ts).
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import dnsPacket from 'dns-packet';
import type { CheckPlan, Query, Target } from '../../src/probe/contract.ts';
import { PLAN_SCHEMA } from '../../src/probe/contract.ts';
import { runPlan } from '../../src/probe/run.ts';
import { writeReport } from '../../src/probe/write.ts';
import { claimSubnet } from '../subnets.ts';

const NET = claimSubnet();

/** Queries in flight at all the servers of a test, and the most there were at once. */
const all = { now: 0, max: 0 };

/** A UDP DNS server answering A queries after `delayMs` (never when null), counting what is in flight per client socket. */
function server(address: string, delayMs: number | null): Promise<{ socket: dgram.Socket; maxPerClient: () => number; arrivals: number[] }> {
  const socket = dgram.createSocket('udp4');
  const inFlight = new Map<string, number>();
  const arrivals: number[] = [];
  let maxPerClient = 0;
  socket.on('message', (msg, rinfo) => {
    arrivals.push(performance.now());
    const client = `${rinfo.address}:${rinfo.port}`;
    const now = (inFlight.get(client) ?? 0) + 1;
    inFlight.set(client, now);
    all.now++;
    maxPerClient = Math.max(maxPerClient, now);
    all.max = Math.max(all.max, all.now);
    if (delayMs === null) return;
    const q = dnsPacket.decode(msg);
    setTimeout(() => {
      inFlight.set(client, (inFlight.get(client) ?? 1) - 1);
      all.now--;
      const answer = dnsPacket.encode({ type: 'response', id: q.id, flags: dnsPacket.RECURSION_DESIRED, questions: q.questions, answers: [{ type: 'A', name: q.questions![0]!.name, data: '10.0.0.1' }] });
      socket.send(answer, rinfo.port, rinfo.address);
    }, delayMs);
  });
  return new Promise((resolve) => socket.bind(53, address, () => resolve({ socket, maxPerClient: () => maxPerClient, arrivals })));
}

const queries: Query[] = Array.from({ length: 5 }, (_, i) => ({ id: `q${i}`, name: `n${i}.example`, type: 'A', expect: { equal: ['10.0.0.1'] } }));
const target = (id: string, address: string): Target => ({ id, address, port: 53, kind: 'pod', label: id });
const plan = (targets: Target[], timeoutMs = 1000): CheckPlan => ({ schema: PLAN_SCHEMA, targets, queries, transports: ['udp'], samples: 2, timeoutMs, concurrency: 64 });

describe('probe scheduling', function () {
  this.timeout(20_000);
  const sockets: dgram.Socket[] = [];
  after(() => sockets.forEach((s) => s.close()));

  it('asks one target one query at a time, and several targets at once', async function () {
    const servers = await Promise.all(Array.from({ length: 6 }, (_, i) => server(`${NET}.6.${i + 1}`, 5)));
    sockets.push(...servers.map((s) => s.socket));
    const report = await runPlan(plan(servers.map((_, i) => target(`t${i}`, `${NET}.6.${i + 1}`))));
    assert.deepEqual(report.results.filter((r) => r.verdict === 'fail').map((r) => r.reason), []);
    assert.equal(Math.max(...servers.map((s) => s.maxPerClient())), 1, 'a second query to a target went out before the first was answered');
    assert.ok(all.max > 1, 'the targets were asked one after another');
  });

  it('does not wait query by query for a target that stopped answering', async function () {
    const hung = await server(`${NET}.6.20`, null);
    sockets.push(hung.socket);
    const report = await runPlan(plan([target('hung', `${NET}.6.20`)], 500));
    assert.ok(report.results.every((r) => r.samples.every((s) => s.outcome === 'timeout')));
    // In series, 10 queries × 500 ms would take at least 5 s.
    assert.ok(hung.maxPerClient() > 1, 'each query waited for the previous one to time out');
    assert.ok(report.durationMs < 5000, `${report.durationMs} ms`);
  });

  it('asks a target that left its first touch unanswered first, not at its turn', async function () {
    const healthy = await Promise.all(Array.from({ length: 30 }, (_, i) => server(`${NET}.6.${i + 30}`, 2)));
    const hung = await server(`${NET}.6.21`, null);
    sockets.push(hung.socket, ...healthy.map((s) => s.socket));
    const report = await runPlan(plan([...healthy.map((_, i) => target(`t${i}`, `${NET}.6.${i + 30}`)), target('hung', `${NET}.6.21`)], 500));
    assert.deepEqual(report.targets.filter((t) => t.failedChecks > 0).map((t) => t.targetId), ['hung']);
    // Every target got one touch; the hung one's samples went out before the last healthy target was asked.
    assert.ok(healthy.every((s) => s.arrivals.length === 1 + queries.length * 2));
    const lastAsked = Math.max(...healthy.map((s) => s.arrivals[1]!));
    assert.equal(hung.arrivals.length, 1 + queries.length * 2);
    assert.ok(hung.arrivals[1]! < lastAsked, 'the silent target was asked at its turn, after the others');
  });

  it('writes the report in pieces as the same one line of JSON', function () {
    const results = Array.from({ length: 3000 }, (_, i) => ({ targetId: `t${i}`, queryId: 'q', transport: 'udp' as const, samples: [{ outcome: 'ok' as const, rcode: 'NOERROR', answers: ['10.0.0.1'], latencyMs: 0.1 }], verdict: 'pass' as const, reason: 'ok' }));
    const report = { schema: 'coredns-sentinel/report/v1' as const, probeVersion: '1', hostname: 'h', startedAt: new Date(0).toISOString(), durationMs: 1, results, targets: [] };
    const pieces: string[] = [];
    writeReport(report, (text) => pieces.push(text));
    assert.ok(pieces.length > 2);
    const text = pieces.join('');
    assert.equal(text.indexOf('\n'), text.length - 1);
    assert.deepEqual(JSON.parse(text), report);
    const small: string[] = [];
    writeReport({ ...report, results: [] }, (t) => small.push(t));
    assert.deepEqual(JSON.parse(small.join('')), { ...report, results: [] });
  });
});
