// The check command's flags → settings: every repair flag, and one-line refusals.
import assert from 'node:assert/strict';
import { validateCheckFlags, CHECK_DEFAULTS, type RawCheckFlags } from './options.ts';

describe('--repair flags', () => {
  const raw = (extra: Partial<RawCheckFlags> = {}): RawCheckFlags => ({
    ...CHECK_DEFAULTS, external: true, imagePullSecret: [], nodeSelector: [], toleration: [], ...extra,
  } as RawCheckFlags);
  it('parses every flag into policy and judge settings', () => {
    const o = validateCheckFlags(raw({ repair: true, restartMethod: 'delete', maxUnavailable: '2', minReady: '1', cooldown: '5m', restartBudget: '4/2h',
      escalateAfter: '3', allowFullRestart: true, allowSingleReplica: true, failSamples: '2', confirmCycles: '2', latencyThreshold: '200ms', repairTimeout: '90s', quarantineTtl: '10m' }));
    assert.deepEqual(o.repair, { enabled: true, dryRun: false, timeoutMs: 90_000, leaseSeconds: 60, silentGraceSeconds: 1, quarantine: { enabled: true, ttlMs: 600_000 }, timeline: true,
      policy: { method: 'delete', maxUnavailable: 2, minReady: 1, cooldownMs: 300_000, budget: 4, windowMs: 7_200_000, escalateAfter: 3, allowFullRestart: true, allowSingleReplica: true } });
    assert.deepEqual(o.judge, { failSamples: 2, confirmCycles: 2, latencyThresholdMs: 200 });
  });
  it('rejects bad values and repair flags without --repair, one line each', () => {
    assert.throws(() => validateCheckFlags(raw({ dryRun: true })), /^UsageError: --dry-run only applies with --repair$/);
    assert.throws(() => validateCheckFlags(raw({ quarantine: false })), /^UsageError: --no-quarantine only applies with --repair$/);
    assert.equal(validateCheckFlags(raw({ repair: true, quarantine: false })).repair.quarantine.enabled, false);
    assert.throws(() => validateCheckFlags(raw({ repair: true, restartMethod: 'kill' })), /--restart-method must be one of evict, delete, rollout/);
    assert.throws(() => validateCheckFlags(raw({ repair: true, restartBudget: 'lots' })), /--restart-budget must look like N\/DURATION/);
    assert.throws(() => validateCheckFlags(raw({ repair: true, cooldown: 'soon' })), /--cooldown must be a duration/);
    assert.throws(() => validateCheckFlags(raw({ requestTimeout: '1ms' })), /--request-timeout must be from 100ms to 10m, got "1ms"/);
  });
});

describe('--context, --all-contexts, --parallel', () => {
  const raw = (extra: Partial<RawCheckFlags> = {}): RawCheckFlags => ({
    ...CHECK_DEFAULTS, external: true, imagePullSecret: [], nodeSelector: [], toleration: [], context: [], ...extra,
  } as RawCheckFlags);
  it('one context is the cycle\'s; several (lists or repeated) or --all-contexts make a fleet run', () => {
    assert.equal(validateCheckFlags(raw()).context, undefined);
    assert.equal(validateCheckFlags(raw({ context: ['a'] })).context, 'a');
    assert.equal(validateCheckFlags(raw({ context: ['a'] })).fleet, undefined);
    assert.deepEqual(validateCheckFlags(raw({ context: ['a,b', 'c'] })).fleet, { contexts: ['a', 'b', 'c'], parallel: 4 });
    assert.deepEqual(validateCheckFlags(raw({ allContexts: true, parallel: '8' })).fleet, { contexts: 'all', parallel: 8 });
  });
  it('refuses empty names, duplicates, contradictions and --parallel without a fleet', () => {
    assert.throws(() => validateCheckFlags(raw({ context: [''] })), /--context must name contexts/);
    assert.throws(() => validateCheckFlags(raw({ context: ['a,'] })), /--context must name contexts/);
    assert.throws(() => validateCheckFlags(raw({ context: ['a', 'a'] })), /twice/);
    assert.throws(() => validateCheckFlags(raw({ context: ['a'], allContexts: true })), /contradict/);
    assert.throws(() => validateCheckFlags(raw({ parallel: '2' })), /--parallel only applies/);
    assert.throws(() => validateCheckFlags(raw({ allContexts: true, parallel: '33' })), /from 1 to 32/);
  });
});

describe('--probe-image', () => {
  const raw = (extra: Partial<RawCheckFlags> = {}): RawCheckFlags => ({
    ...CHECK_DEFAULTS, probeImage: undefined, external: true, imagePullSecret: [], nodeSelector: [], toleration: [], ...extra,
  } as RawCheckFlags);
  it('without it: the default image, and this release\'s dedicated image to fall back on; given (even the default\'s name): that image alone', () => {
    const dflt = validateCheckFlags(raw());
    assert.equal(dflt.probeImage, 'node:22-alpine');
    assert.match(String(dflt.probeImageFallback), /^ghcr\.io\/coredns-sentinel\/probe:\d+\.\d+\.\d+/);
    for (const image of ['node:22-alpine', 'mirror.corp/node:22-alpine']) {
      const given = validateCheckFlags(raw({ probeImage: image }));
      assert.equal(given.probeImage, image);
      assert.equal(given.probeImageFallback, undefined);
    }
  });
});
