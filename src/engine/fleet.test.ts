import assert from 'node:assert/strict';
import { worstExitCode } from './fleet.ts';

describe('worstExitCode', () => {
  const table: [number[], number][] = [
    [[], 0], [[0, 0], 0], [[0, 1], 1], [[1, 6], 6], [[6, 4], 4], [[4, 3], 3], [[3, 2], 2], [[2, 5], 5], [[0, 1, 3, 5, 6], 5], [[0, 42], 42], [[5, 42], 42],
  ];
  for (const [codes, worst] of table) it(`${JSON.stringify(codes)} → ${worst}`, () => assert.equal(worstExitCode(codes), worst));
});
