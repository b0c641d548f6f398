// The validation kit (src/probe/validate.ts): one readable line with the path, closed objects,
// optional keys, unique lists, refinements.
import assert from 'node:assert/strict';
import * as v from '../../src/probe/validate.ts';

describe('validation kit (pure)', function () {
  const port = v.int(1, 65535);
  const target = v.object({ id: v.str({ max: 8 }), port, kind: v.oneOf(['pod', 'service'] as const), note: v.optional(v.str()) });
  const doc = v.object({ targets: v.list(target, { min: 1, unique: (t) => t.id }), at: v.nullable(v.time) });

  it('accepts what it describes, with optional keys absent', function () {
    assert.equal(doc({ targets: [{ id: 'a', port: 53, kind: 'pod' }], at: null }, ''), null);
    assert.equal(doc({ targets: [{ id: 'a', port: 53, kind: 'pod', note: 'x' }], at: '2025-01-01T00:00:00Z' }, ''), null);
    assert.ok(v.is(target, { id: 'a', port: 1, kind: 'service' }));
  });

  it('names the path and what was there', function () {
    assert.equal(doc({ targets: [{ id: 'a', port: 0, kind: 'pod' }], at: null }, ''), 'targets[0].port must be an integer from 1 to 65535, got 0');
    assert.equal(doc({ targets: [{ id: 'a', kind: 'pod' }], at: null }, ''), 'targets[0].port must be an integer from 1 to 65535, got nothing');
    assert.equal(doc({ targets: [{ id: 'a', port: 1, kind: 'node' }], at: null }, 'plan'), 'plan.targets[0].kind must be one of "pod", "service", got "node"');
    assert.equal(doc({ targets: [], at: null }, ''), 'targets must not be empty');
    assert.equal(doc({ targets: [{ id: 'a', port: 1, kind: 'pod' }, { id: 'a', port: 2, kind: 'pod' }], at: null }, ''), 'targets[1] repeats "a"');
    assert.equal(doc({ targets: [{ id: 'toolong-id', port: 1, kind: 'pod' }], at: null }, ''), 'targets[0].id must be a non-empty string of 1 to 8 characters');
    assert.equal(doc({ targets: [{ id: 'a', port: 1, kind: 'pod' }], at: 'soon' }, ''), 'at must be a timestamp, got "soon"');
    assert.equal(doc([], 'plan'), 'plan must be an object, got a list');
  });

  it('closes objects unless open, and refines', function () {
    assert.equal(target({ id: 'a', port: 1, kind: 'pod', extra: 1 }, 't'), 't has an unknown field "extra"');
    assert.equal(v.object({ id: v.str() }, { open: true })({ id: 'a', extra: 1 }, ''), null);
    const range = v.refine(v.object({ lo: v.int(0, 9), hi: v.int(0, 9) }), (r) => (r.lo <= r.hi ? null : 'has lo above hi'));
    assert.equal(range({ lo: 5, hi: 1 }, 'r'), 'r has lo above hi');
    assert.equal(v.record(v.bool)({ a: true, b: 'no' }, 'flags'), 'flags.b must be true or false, got "no"');
    assert.equal(v.ip('10.0.0.256', 'a'), 'a must be an IP address, got "10.0.0.256"');
    assert.equal(v.ip('fd00::1', 'a'), null);
  });
});
