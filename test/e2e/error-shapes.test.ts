// End to end: one failure, one exit code and one line, whatever its transport shape (an HTTP status, a
// connection reset, a slow answer); fatal errors as JSON under --log-format json. One sim for every
// case; each fault is persistent (retries spent) and cleared after its run.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSim, type Sim } from '../sim/index.ts';
import type { ApiFault } from '../sim/types.ts';
import { simOnly } from './cluster.ts';
import { connect } from '../../src/kube/index.ts';
import { EXIT } from '../../src/common/exit-codes.ts';
import { buildCli, cli, probePodsLeft, type Run } from './cli.ts';

const NS = 'kube-system';
const PROBE_NS = 'default';

before(function () {
  this.timeout(60_000);
  buildCli();
});

const errorLines = (run: Run) => run.stderr.split('\n').filter((l) => l.startsWith('error: '));

interface Shape {
  name: string;
  fault: ApiFault;
  /** Extra flags (a shorter --request-timeout for the slow shape). */
  flags?: string[];
}

interface Failure {
  failure: string;
  shapes: Shape[];
  exitCode: number;
  /** What every shape's run shows: the one error line, or the note a run that stands carries. */
  expect: { errorLine: RegExp } | { note: RegExp; verdict: 'healthy' };
}

const FAILURES: Failure[] = [
  {
    // The Corefile is optional evidence (zones, stub domains): without it the plan uses the defaults.
    failure: 'get configmaps coredns fails',
    shapes: [
      { name: 'HTTP 500', fault: { verb: 'get', resource: 'configmaps', namespace: NS, name: 'coredns', status: 500 } },
      { name: 'connection reset', fault: { verb: 'get', resource: 'configmaps', namespace: NS, name: 'coredns', reset: true } },
      { name: 'no answer within --request-timeout', fault: { verb: 'get', resource: 'configmaps', namespace: NS, name: 'coredns', latencyMs: 3_000 }, flags: ['--request-timeout', '1s'] },
    ],
    exitCode: EXIT.healthy,
    expect: { note: /^ConfigMap coredns: not read: get configmaps coredns in namespace kube-system: .* — .*$/, verdict: 'healthy' },
  },
  {
    failure: 'exec of the probe fails',
    shapes: [
      { name: 'HTTP 500', fault: { verb: 'exec', status: 500 } },
      { name: 'connection reset', fault: { verb: 'exec', reset: true } },
    ],
    exitCode: EXIT.probe,
    expect: { errorLine: /^error: exec of the probe in pod coredns-sentinel-probe-\S+ on node sim-node-\d+ failed: .*\(4 attempts in \d+\.\d s\) \(check the API server/ },
  },
  {
    // The probe finished: its verdict stands; the pod left is this tool's own, swept by the next run.
    failure: 'delete of the probe pod fails',
    shapes: [
      { name: 'HTTP 500', fault: { verb: 'delete', resource: 'pods', namespace: PROBE_NS, status: 500 } },
      { name: 'connection reset', fault: { verb: 'delete', resource: 'pods', namespace: PROBE_NS, reset: true } },
      { name: 'slow (6 s)', fault: { verb: 'delete', resource: 'pods', namespace: PROBE_NS, latencyMs: 6_000 }, flags: ['--request-timeout', '1s'] },
    ],
    exitCode: EXIT.healthy,
    expect: { note: /^probe pod (coredns-sentinel-probe-\S+) NOT deleted: delete pods \1 in namespace default: .* — the next run or `coredns-sentinel cleanup` deletes it; now: kubectl delete pod -n default \1$/, verdict: 'healthy' },
  },
];

describe('error shapes e2e: the same failure → the same exit code and line, whatever its shape', function () {
  this.timeout(120_000);
  before(function () {
    simOnly(this);
  });
  let sim: Sim;
  let check: string[];

  before(async () => {
    sim = await startSim({ dns: { replicas: 2 }, timing: { scale: 0.1 } });
    await sim.waitReady(30_000);
    check = ['check', '--kubeconfig', sim.kubeconfigPath, '--mode', 'probe-pod', '--no-freshness', '-o', 'json', '--timeout', '500ms', '--samples', '1'];
  });

  after(async () => {
    await sim?.stop();
  });

  afterEach(async () => {
    sim.faults.clear();
    // A pod a failed delete left goes now (as the next run's sweep would remove it), so each case starts clean.
    const { client } = connect({ kubeconfig: sim.kubeconfigPath });
    for (const name of await probePodsLeft(sim.kubeconfigPath)) await client.deletePod(PROBE_NS, name);
  });

  for (const f of FAILURES) {
    for (const shape of f.shapes) {
      it(`${f.failure}, ${shape.name} → exit ${f.exitCode}`, async () => {
        sim.faults.api(shape.fault);
        const run = await cli([...check, ...(shape.flags ?? [])]);
        sim.faults.clear();
        assert.equal(run.code, f.exitCode, `${run.stderr}\n${run.stdout}`);
        if ('errorLine' in f.expect) {
          const lines = errorLines(run);
          assert.equal(lines.length, 1, run.stderr);
          assert.match(lines[0]!, f.expect.errorLine);
          assert.equal(run.json?.message, lines[0]!.replace(/^error: /, ''), '-o json carries the same line');
          assert.deepEqual(await probePodsLeft(sim.kubeconfigPath), [], 'a probe pod was left behind');
        } else {
          assert.equal(run.json?.verdict, f.expect.verdict, run.stderr);
          assert.deepEqual(errorLines(run), [], run.stderr);
          const pattern = f.expect.note;
          assert.equal(run.json?.notes.filter((n) => pattern.test(n)).length, 1, `no note matching ${pattern}:\n${run.json?.notes.join('\n')}`);
        }
      });
    }
  }

  it('the exec and then the delete fail → exit 4 for the exec, the pod left named in the same line', async () => {
    sim.faults.api({ verb: 'exec', status: 500 });
    sim.faults.api({ verb: 'delete', resource: 'pods', namespace: PROBE_NS, status: 500 });
    const run = await cli(check);
    sim.faults.clear();
    assert.equal(run.code, EXIT.probe, run.stderr);
    const lines = errorLines(run);
    assert.equal(lines.length, 1, run.stderr);
    assert.match(lines[0]!, /^error: exec of the probe in pod (coredns-sentinel-probe-\S+) .* failed: .*; probe pod \1 NOT deleted: delete pods \1 in namespace default: .*kubectl delete pod -n default \1 /);
    assert.equal((await probePodsLeft(sim.kubeconfigPath)).length, 1, 'the pod named as left is there');
  });

  describe('--log-format json: the fatal error is one JSON object on stderr, never plain text', () => {
    const jsonLines = (run: Run) =>
      run.stderr.split('\n').filter(Boolean).map((line) => {
        try {
          return JSON.parse(line) as Record<string, unknown>;
        } catch {
          assert.fail(`stderr line is not JSON: ${line}`);
        }
      });

    it('a kubeconfig naming an unknown context → exit 2, one JSON error naming no request', async () => {
      const run = await cli(['check', '--kubeconfig', sim.kubeconfigPath, '--context', 'no-such-context', '--log-format', 'json']);
      assert.equal(run.code, EXIT.usage, run.stderr);
      const [fatal, ...rest] = jsonLines(run);
      assert.deepEqual(rest, []);
      assert.equal(fatal?.level, 'error');
      assert.equal(fatal?.exitCode, EXIT.usage);
      assert.match(String(fatal?.message), /no-such-context/);
      assert.equal(fatal?.request, undefined);
    });

    it('an unknown flag (commander\'s own error) → exit 2, one JSON error', async () => {
      const run = await cli(['check', '--log-format', 'json', '--no-such-flag']);
      assert.equal(run.code, EXIT.usage, run.stderr);
      assert.deepEqual(jsonLines(run).map((l) => [l.level, l.message, l.exitCode]), [['error', "unknown option '--no-such-flag'", EXIT.usage]]);
    });

    it('a kubeconfig file that is not YAML → exit 2, one JSON error', async () => {
      const bad = join(sim.dir, 'not-a-kubeconfig');
      writeFileSync(bad, '{ this is: [not yaml');
      const run = await cli(['check', '--kubeconfig', bad, '--log-format', 'json']);
      assert.equal(run.code, EXIT.usage, run.stderr);
      const lines = jsonLines(run);
      assert.equal(lines.length, 1, run.stderr);
      assert.equal(lines[0]?.exitCode, EXIT.usage);
    });

    it('a persistent 503 on list pods → exit 3, the JSON error names the request', async () => {
      sim.faults.api({ verb: 'list', resource: 'pods', namespace: NS, status: 503 });
      const run = await cli(['check', '--kubeconfig', sim.kubeconfigPath, '--mode', 'probe-pod', '--log-format', 'json']);
      sim.faults.clear();
      assert.equal(run.code, EXIT.cluster, run.stderr);
      const errors = jsonLines(run).filter((l) => l.level === 'error');
      assert.equal(errors.length, 1, run.stderr);
      assert.equal(errors[0]!.exitCode, EXIT.cluster);
      assert.match(String(errors[0]!.message), /^list pods in namespace kube-system: the API server failed \(HTTP 503\)/);
      assert.deepEqual(errors[0]!.request, { verb: 'list', resource: 'pods', namespace: NS });
    });

    it('a push to a Pushgateway nothing listens on → an error record with the check\'s own exit code', async () => {
      const run = await cli([...check, '--log-format', 'json', '--pushgateway', 'http://127.0.0.1:9']);
      assert.equal(run.code, EXIT.healthy, run.stderr);
      const errors = jsonLines(run).filter((l) => l.level === 'error');
      assert.equal(errors.length, 1, run.stderr);
      assert.match(String(errors[0]!.message), /^cannot push metrics .*--pushgateway$/);
      assert.equal(errors[0]!.exitCode, EXIT.healthy);
    });
  });
});
