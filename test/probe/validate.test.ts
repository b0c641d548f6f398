// The validation kit (src/probe/validate.ts): one readable line with the path, closed objects,
// optional keys, unique lists, refinements, one-or-list values, custom and dependent rules, sifting.
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

  it('names the known keys when asked, and an unknown key at the top without a subject', function () {
    const o = v.object({ a: v.bool, b: v.optional(v.bool) }, { listKnown: true, see: 'docs/x.md' });
    assert.equal(o({ a: true, c: 1 }, 'cfg'), 'cfg has an unknown field "c" (known: a, b; see docs/x.md)');
    assert.equal(o({ a: true, c: 1 }, ''), 'unknown field "c" (known: a, b; see docs/x.md)');
    assert.equal(v.object({ a: v.bool })({ a: true, c: 1 }, ''), 'unknown field "c"');
  });

  it('oneOrList: one item or a list, each checked with its path', function () {
    const ports = v.oneOrList(port, { min: 1, max: 2 });
    assert.equal(ports(53, 'p'), null);
    assert.equal(ports([53, 54], 'p'), null);
    assert.equal(ports(0, 'p'), 'p must be an integer from 1 to 65535, got 0');
    assert.equal(ports([53, 0], 'p'), 'p[1] must be an integer from 1 to 65535, got 0');
    assert.equal(ports([], 'p'), 'p must not be empty');
    assert.equal(ports([1, 2, 3], 'p'), 'p must have at most 2 items');
  });

  it('custom: a rule of its own, prefixed with the path (none at the top)', function () {
    const even = v.custom<number>((x) => (typeof x === 'number' && x % 2 === 0 ? null : `must be even, got ${v.preview(x)}`));
    assert.equal(even(2, 'n'), null);
    assert.equal(even(3, 'n'), 'n must be even, got 3');
    assert.equal(even('x', ''), 'must be even, got "x"');
  });

  it('then: the second validator depends on the value the first accepted, over the same path', function () {
    const ranged = v.then(v.object({ max: v.int(1, 9), value: v.int(0, 99) }), (r) => v.object({ value: v.int(0, r.max) }, { open: true }));
    assert.equal(ranged({ max: 5, value: 5 }, 'r'), null);
    assert.equal(ranged({ max: 5, value: 7 }, 'r'), 'r.value must be an integer from 0 to 5, got 7');
    assert.equal(ranged({ max: 0, value: 7 }, 'r'), 'r.max must be an integer from 1 to 9, got 0', 'the first validator speaks first');
  });

  it('sift: keeps the valid items, one problem per refused item', function () {
    const { valid, problems } = v.sift(target, [{ id: 'a', port: 53, kind: 'pod' }, { id: 'b', port: 0, kind: 'pod' }, 'x', { id: 'c', port: 1, kind: 'service' }], 'targets');
    assert.deepEqual(valid.map((t) => t.id), ['a', 'c']);
    assert.deepEqual(problems, ['targets[1].port must be an integer from 1 to 65535, got 0', 'targets[2] must be an object, got "x"']);
  });
});
