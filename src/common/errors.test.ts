import assert from 'node:assert/strict';
import { failureOf, lineOf, UsageError, type Failure } from './errors.ts';
import { EXIT } from './exit-codes.ts';
import { Interrupted } from './abort.ts';
import { fromHttp, KubeError, toKubeError } from '../kube/errors.ts';
import { DiscoverError } from '../discover/discover.ts';
import { OutageError } from '../discover/outage.ts';
import { ConfigError } from '../plan/config.ts';
import { ProbePodError } from '../probepod/lifecycle.ts';
import { LockedError } from '../repair/lock.ts';
import { ModeError } from '../modes/errors.ts';

const listPods = { verb: 'list', resource: 'pods', namespace: 'kube-system' };

describe('failureOf: every error a run ends with → its exit code (README "Exit codes"), line and request', () => {
  const cases: [string, unknown, Failure][] = [
    ['a bad flag', new UsageError('--samples must be at least 1'), { exitCode: EXIT.usage, line: '--samples must be at least 1' }],
    ['a bad config file', new ConfigError('config.yaml: checks[0]: bad type'), { exitCode: EXIT.usage, line: 'config.yaml: checks[0]: bad type' }],
    ['a kubeconfig that cannot be used', new KubeError('config', 0, 'context "x" not found', 'use one of: a'), { exitCode: EXIT.usage, line: 'context "x" not found — use one of: a' }],
    [
      'an API 503, the grant left out of the request',
      fromHttp(503, { message: 'busy' }, { ...listPods, grant: 'check' }),
      { exitCode: EXIT.cluster, line: "list pods in namespace kube-system: the API server failed (HTTP 503): busy — check the API server's health and run again", request: listPods },
    ],
    [
      'a connection reset',
      toKubeError(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), listPods),
      { exitCode: EXIT.cluster, line: 'list pods in namespace kube-system: the connection to the API server was reset (ECONNRESET) — check the API server and any proxy or load balancer in front of it, then run again', request: listPods },
    ],
    ['no DNS Service', new DiscoverError('no-service', 'Service kube-dns not found', 'pass --service'), { exitCode: EXIT.cluster, line: 'Service kube-dns not found (pass --service)' }],
    ['a mode that cannot run', new ModeError('no route to the pods', 'use --mode probe-pod'), { exitCode: EXIT.cluster, line: 'no route to the pods — use --mode probe-pod' }],
    ['an outage', new OutageError({ kind: 'scaled-to-zero', reason: 'coredns has 0 replicas' }), { exitCode: EXIT.unhealthy, line: 'DNS unhealthy — outage: coredns has 0 replicas' }],
    [
      'an exec that failed, its request kept',
      new ProbePodError('exec', 'exec of the probe in pod p failed: reset', 'run again', { verb: 'create', resource: 'pods/exec', namespace: 'default', name: 'p' }),
      { exitCode: EXIT.probe, line: 'exec of the probe in pod p failed: reset (run again)', request: { verb: 'create', resource: 'pods/exec', namespace: 'default', name: 'p' } },
    ],
    ['a probe with garbage output, no hint', new ProbePodError('garbage', 'probe output invalid', ''), { exitCode: EXIT.probe, line: 'probe output invalid' }],
    ['the repair lock held', new LockedError('ci/1/ab', '2026-01-01T00:00:00.000Z'), { exitCode: EXIT.locked, line: 'repair is locked by ci/1/ab until 2026-01-01T00:00:00.000Z (Lease coredns-sentinel-repair): another runner is repairing; run again later' }],
    ['a signal', new Interrupted('interrupted: probe pod p deleted'), { exitCode: EXIT.interrupted, line: 'interrupted: probe pod p deleted' }],
    ['a message over lines, folded', new UsageError('first\n  second'), { exitCode: EXIT.usage, line: 'first second' }],
    ['anything else: a bug', new TypeError('x is undefined'), { exitCode: EXIT.cluster, line: 'unexpected error: x is undefined (please report this)' }],
  ];
  for (const [name, err, expected] of cases) {
    it(name, () => assert.deepEqual(failureOf(err), expected));
  }

  it('lineOf: the same line for a SentinelError, the message of any other error, the text of anything else', () => {
    assert.equal(lineOf(new ModeError('a', 'b')), 'a — b');
    assert.equal(lineOf(new Error('plain')), 'plain');
    assert.equal(lineOf('thrown text'), 'thrown text');
  });
});
