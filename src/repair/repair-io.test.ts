// Pure parts of repair's I/O: lease decisions, newer history schemas, replacement and verification
// checks, the PDB refusal parser, and the --repair flags.
import assert from 'node:assert/strict';
import { leaseDecision, leaseExpiry } from './lock.ts';
import { newerSchemaOf } from './state.ts';
import { replaced } from './execute.ts';
import { HISTORY_KEY } from './history.ts';
import { disruptionBudgetBlock } from '../kube/client.ts';
import { validateCheckFlags, CHECK_DEFAULTS, type RawCheckFlags } from '../cli/options.ts';
import type { KPod } from '../kube/index.ts';

const now = new Date('2025-01-01T00:01:00Z');

describe('repair lock decisions', () => {
  const lease = { name: 'coredns-sentinel-repair', namespace: 'kube-system', leaseDurationSeconds: 60 };
  it('creates when absent, takes a free, expired or own lease, refuses a live one naming holder and expiry', () => {
    assert.deepEqual(leaseDecision(undefined, 'me', now), { kind: 'create' });
    assert.deepEqual(leaseDecision({ ...lease, holderIdentity: '' }, 'me', now), { kind: 'take' });
    assert.deepEqual(leaseDecision({ ...lease, holderIdentity: 'me', renewTime: '2025-01-01T00:00:59.000000Z' }, 'me', now), { kind: 'take' });
    assert.deepEqual(leaseDecision({ ...lease, holderIdentity: 'ci/7/ab', renewTime: '2025-01-01T00:00:00.000000Z' }, 'me', now), { kind: 'take' });
    assert.deepEqual(leaseDecision({ ...lease, holderIdentity: 'ci/7/ab', renewTime: '2025-01-01T00:00:30.000000Z' }, 'me', now), {
      kind: 'locked',
      holder: 'ci/7/ab',
      until: '2025-01-01T00:01:30.000Z',
    });
    assert.equal(leaseExpiry({ ...lease, holderIdentity: 'x' }), 0, 'a lease without times is expired');
  });
});

describe('shared history schema', () => {
  it('flags only a NEWER schema (garbage and the current one are not newer)', () => {
    assert.equal(newerSchemaOf({ [HISTORY_KEY]: '{"schema":"coredns-sentinel/history/v2"}' }), 'coredns-sentinel/history/v2');
    assert.equal(newerSchemaOf({ [HISTORY_KEY]: '{"schema":"coredns-sentinel/history/v1"}' }), undefined);
    assert.equal(newerSchemaOf({ [HISTORY_KEY]: 'not json' }), undefined);
    assert.equal(newerSchemaOf(undefined), undefined);
  });
});

describe('replacement wait', () => {
  const pod = (uid: string, ready: boolean, terminating = false): KPod => ({
    name: uid, namespace: 'kube-system', uid, resourceVersion: '1', labels: {}, ownerReferences: [], nodeName: 'n', phase: 'Running', podIPs: [],
    conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }], containerStatuses: [], ...(terminating ? { deletionTimestamp: 'x' } : {}),
  });
  it('needs the old pod out of service and the Ready count back', () => {
    const old = new Set(['a']);
    assert.equal(replaced([pod('a', true), pod('b', true), pod('c', true)], old, 3), false);
    assert.equal(replaced([pod('a', true, true), pod('b', true), pod('c', true)], old, 3), false, 'replacement not there yet');
    assert.equal(replaced([pod('a', true, true), pod('b', true), pod('c', true), pod('d', false)], old, 3), false, 'replacement not Ready');
    assert.equal(replaced([pod('a', true, true), pod('b', true), pod('c', true), pod('d', true)], old, 3), true);
  });
});

describe('eviction refused by a PodDisruptionBudget', () => {
  it('is a typed result with the budget, not throttling', () => {
    const body = JSON.stringify({ kind: 'Status', code: 429, reason: 'TooManyRequests', message: "Cannot evict pod as it would violate the pod's disruption budget.",
      details: { causes: [{ reason: 'DisruptionBudget', message: 'The disruption budget coredns-pdb needs 3 healthy pods and has 3 currently' }] } });
    assert.deepEqual(disruptionBudgetBlock({ code: 429, body }), { blockedBy: 'coredns-pdb', message: 'blocked by PodDisruptionBudget coredns-pdb: needs 3 healthy, has 3' });
    assert.equal(disruptionBudgetBlock({ code: 429, body: JSON.stringify({ message: 'slow down' }) }), undefined);
  });
});

describe('--repair flags', () => {
  const raw = (extra: Partial<RawCheckFlags> = {}): RawCheckFlags => ({
    ...CHECK_DEFAULTS, external: true, imagePullSecret: [], nodeSelector: [], toleration: [], ...extra,
  } as RawCheckFlags);
  it('parses every flag into policy and judge settings', () => {
    const o = validateCheckFlags(raw({ repair: true, restartMethod: 'delete', maxUnavailable: '2', minReady: '1', cooldown: '5m', restartBudget: '4/2h',
      escalateAfter: '3', allowFullRestart: true, allowSingleReplica: true, failSamples: '2', confirmCycles: '2', latencyThreshold: '200ms', repairTimeout: '90s' }));
    assert.deepEqual(o.repair, { enabled: true, dryRun: false, timeoutMs: 90_000,
      policy: { method: 'delete', maxUnavailable: 2, minReady: 1, cooldownMs: 300_000, budget: 4, windowMs: 7_200_000, escalateAfter: 3, allowFullRestart: true, allowSingleReplica: true } });
    assert.deepEqual(o.judge, { failSamples: 2, confirmCycles: 2, latencyThresholdMs: 200 });
  });
  it('rejects bad values and repair flags without --repair, one line each', () => {
    assert.throws(() => validateCheckFlags(raw({ dryRun: true })), /^UsageError: --dry-run only applies with --repair$/);
    assert.throws(() => validateCheckFlags(raw({ repair: true, restartMethod: 'kill' })), /--restart-method must be one of evict, delete, rollout/);
    assert.throws(() => validateCheckFlags(raw({ repair: true, restartBudget: 'lots' })), /--restart-budget must look like N\/DURATION/);
    assert.throws(() => validateCheckFlags(raw({ repair: true, cooldown: 'soon' })), /--cooldown must be a duration/);
    assert.throws(() => validateCheckFlags(raw({ requestTimeout: '1ms' })), /--request-timeout must be at least 100ms/);
  });
});
