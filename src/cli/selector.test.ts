import assert from 'node:assert/strict';
import { labelSelectorProblem } from './selector.ts';

describe('label selectors (labels.Parse grammar)', () => {
  const valid = ['k8s-app=kube-dns', 'k8s-app==kube-dns', 'app!=x', 'app', '!app', 'app in (a, b)', 'app notin (a)', 'a=b,c!=d,!e,f in (g,h)',
    'dns.operator.openshift.io/daemonset-dns=default', 'app.kubernetes.io/name=coredns', 'tier=', 'replicas>1', 'replicas<10', 'a_b.c-d=E_f.g-h'];
  for (const s of valid) it(`accepts ${s}`, () => assert.equal(labelSelectorProblem(s), undefined));
  const invalid: [string, RegExp][] = [
    ['', /must not be empty/],
    ['  ', /must not be empty/],
    ['a=b,', /empty requirement/],
    ['=b', /cannot parse/],
    ['a=b=c', /cannot parse/],
    ['app in ()', /at least one value/],
    ['app in (a', /unbalanced/],
    ['app in a)', /unbalanced|cannot parse/],
    ['-app=x', /key "-app"/],
    ['app=-x', /value "-x"/],
    [`app=${'x'.repeat(64)}`, /value/],
    ['Bad_Prefix/app=x', /prefix/],
    ['a b', /cannot parse/],
    ['app>x', /integer/],
  ];
  for (const [s, re] of invalid) it(`rejects ${JSON.stringify(s)}`, () => assert.match(labelSelectorProblem(s) ?? 'VALID', re));
  it('an empty value is allowed as in labels.Parse (a== means value "")', () => assert.equal(labelSelectorProblem('a=='), undefined));
});
