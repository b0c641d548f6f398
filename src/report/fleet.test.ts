import assert from 'node:assert/strict';
import { errorOutput } from './output.ts';
import { FLEET_ERROR_CELL, fleetOutput, renderFleetTable } from './fleet.ts';

describe('fleet table', () => {
  it('an error row keeps the CLASSIFICATION column narrow; its whole line follows the table', () => {
    const long = `get services kube-dns in namespace kube-system: the API server did not answer within 15 s — ${'x'.repeat(150)}`;
    const f = fleetOutput([{ context: 'alpha', durationMs: 1200, output: errorOutput('short failure', 3) }, { context: 'gamma', durationMs: 100, output: errorOutput(long, 3) }], 3);
    const lines = renderFleetTable(f).split('\n');
    const header = lines[0]!;
    assert.ok(header.indexOf('FAILING PODS') - header.indexOf('CLASSIFICATION') <= FLEET_ERROR_CELL + 2, header);
    assert.ok(lines.slice(0, 3).every((l) => l.length < 120), lines.slice(0, 3).join('\n'));
    assert.match(lines[2]!, /^gamma\s+error\s+get services kube-dns in namespace kub … /);
    assert.ok(lines.includes('--- gamma ---') && lines.includes(`error: ${long}`), lines.join('\n'));
  });
});
