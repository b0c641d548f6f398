import assert from 'node:assert/strict';
import { boundedDuration, MAX_TIMER_MS, parseDurationMs } from './duration.ts';
import { formatDuration } from './defaults.ts';

describe('durations (kubectl syntax)', () => {
  const table: [string, number | undefined][] = [
    ['30', 30_000], ['0', 0], ['1.5', 1500], ['500ms', 500], ['2s', 2000], ['1.5s', 1500], ['5m', 300_000], ['1h', 3_600_000],
    ['1m30s', 90_000], ['1h2m3s4ms', 3_723_004], [' 2s ', 2000],
    ['', undefined], ['s', undefined], ['2x', undefined], ['-1s', undefined], ['1d', undefined], ['2 s', undefined], ['1m 30s', undefined], ['1e3', undefined], ['0x10', undefined], ['2sec', undefined],
  ];
  for (const [text, ms] of table) it(`${JSON.stringify(text)} → ${ms ?? 'not a duration'}`, () => assert.equal(parseDurationMs(text), ms));

  it('bounds every duration, never past a Node timer (2^31−1 ms)', () => {
    assert.deepEqual(boundedDuration('600h', 1000, Number.MAX_SAFE_INTEGER), { problem: `must be from 1s to ${MAX_TIMER_MS}ms, got "600h"` });
    assert.deepEqual(boundedDuration('10m', 100, 600_000), { ms: 600_000 });
    assert.match((boundedDuration('11m', 100, 600_000) as { problem: string }).problem, /from 100ms to 10m, got "11m"/);
    assert.match((boundedDuration('soon', 0, 1) as { problem: string }).problem, /must be a duration such as 30 \(seconds\)/);
  });

  it('refuses fractions of a millisecond instead of rounding them (0.5ms ran as 1 ms)', () => {
    for (const text of ['0.5ms', '1.0005s', '0.0001']) assert.deepEqual(boundedDuration(text, 1, 30_000), { problem: `must be a whole number of milliseconds, got "${text}"` });
    for (const [text, ms] of [['1.1s', 1100], ['0.001', 1], ['2.25s', 2250]] as const) assert.deepEqual(boundedDuration(text, 1, 30_000), { ms });
  });

  it('formats defaults the way they are typed, and parses back', () => {
    for (const ms of [500, 2000, 60_000, 90_000, 300_000, 3_600_000, 5_400_000]) assert.equal(parseDurationMs(formatDuration(ms)), ms);
    assert.equal(formatDuration(90_000), '1m30s');
    assert.equal(formatDuration(3_600_000), '1h');
  });
});
