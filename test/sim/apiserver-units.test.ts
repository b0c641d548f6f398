// The API server's pure parts: request info, RBAC matching, selectors, patches, watch translation,
// PDB arithmetic, exit Status, Table ages.
import { expect } from 'chai';
import { ruleAllows } from './apiserver/auth.ts';
import { apiFault, describeApiFault, faultMatches } from './apiserver/faults.ts';
import { scaled } from './apiserver/eviction.ts';
import { exitStatusJson, pickProtocol } from './apiserver/exec.ts';
import { mergePatch, strategicMergePatch } from './apiserver/patch.ts';
import { parseRequestInfo } from './apiserver/requestinfo.ts';
import { parseFieldSelector, parseLabelSelector } from './apiserver/selectors.ts';
import { humanDuration } from './apiserver/table.ts';
import { translate } from './apiserver/watch.ts';
import type { KObject } from './store.ts';
import { SimError } from './status.ts';

const info = (method: string, path: string) => parseRequestInfo(method, new URL(path, 'https://sim'));
const obj = (name: string, labels: Record<string, string> = {}, extra: Record<string, unknown> = {}): KObject => ({ metadata: { name, namespace: 'ns', labels }, ...extra });

describe('sim API server (pure parts)', () => {
  it('parses request info like the real server', () => {
    expect(info('GET', '/api/v1/namespaces/ns/pods/p/exec?command=ls')).to.include({ verb: 'get', resource: 'pods', subresource: 'exec', name: 'p', namespace: 'ns', group: '' });
    expect(info('POST', '/api/v1/namespaces/ns/pods/p/eviction')).to.include({ verb: 'create', subresource: 'eviction' });
    expect(info('GET', '/apis/apps/v1/namespaces/ns/deployments?watch=1')).to.include({ verb: 'watch', group: 'apps', resource: 'deployments', name: '' });
    expect(info('GET', '/api/v1/pods?watch=false')).to.include({ verb: 'list', resource: 'pods' });
    expect(info('GET', '/api/v1/namespaces/kube-system')).to.include({ verb: 'get', resource: 'namespaces', name: 'kube-system' });
    expect(info('PUT', '/api/v1/namespaces/x/status')).to.include({ verb: 'update', resource: 'namespaces', name: 'x', subresource: 'status' });
    expect(info('DELETE', '/api/v1/namespaces/ns/pods')).to.include({ verb: 'deletecollection' });
    expect(info('GET', '/api/v1/namespaces/ns/pods?fieldSelector=metadata.name%3Dp')).to.include({ verb: 'list', name: 'p' });
    expect(info('GET', '/version').isResource).to.equal(false);
  });

  it('matches RBAC rules: subresources, wildcards, resourceNames, namespaces', () => {
    const rule = { apiGroups: [''], resources: ['pods/exec'], verbs: ['create'], namespaces: ['ns'] };
    expect(ruleAllows(rule, { verb: 'create', group: '', resource: 'pods/exec', namespace: 'ns' })).to.equal(true);
    expect(ruleAllows(rule, { verb: 'create', group: '', resource: 'pods', namespace: 'ns' })).to.equal(false);
    expect(ruleAllows(rule, { verb: 'create', group: '', resource: 'pods/exec', namespace: 'other' })).to.equal(false);
    expect(ruleAllows({ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }, { verb: 'get', group: 'apps', resource: 'deployments/scale' })).to.equal(true);
    expect(ruleAllows({ apiGroups: [''], resources: ['*/status'], verbs: ['get'] }, { verb: 'get', group: '', resource: 'pods/status' })).to.equal(true);
    const named = { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'update'], resourceNames: ['lock'] };
    expect(ruleAllows(named, { verb: 'get', group: 'coordination.k8s.io', resource: 'leases', name: 'lock' })).to.equal(true);
    expect(ruleAllows(named, { verb: 'get', group: 'coordination.k8s.io', resource: 'leases', name: 'other' })).to.equal(false);
    expect(ruleAllows({ ...named, verbs: ['list'] }, { verb: 'list', group: 'coordination.k8s.io', resource: 'leases' })).to.equal(false);
  });

  it('parses label selectors with every operator and rejects garbage with 400', () => {
    const o = obj('a', { app: 'dns', tier: 'x' });
    for (const [sel, want] of [
      ['app=dns', true],
      ['app==dns', true],
      ['app!=dns', false],
      ['app in (dns, web)', true],
      ['app notin (dns)', false],
      ['tier', true],
      ['!tier', false],
      ['!missing,app in (dns),tier=x', true],
      ['', true],
    ] as const)
      expect(parseLabelSelector(sel)(o), sel).to.equal(want);
    expect(() => parseLabelSelector('app===x')).to.throw(SimError).with.property('code', 400);
  });

  it('parses field selectors for the supported fields only', () => {
    const pod = obj('p', {}, { spec: { nodeName: 'n1' }, status: { phase: 'Running' } });
    expect(parseFieldSelector('pods', 'status.phase=Running,spec.nodeName!=n2')(pod)).to.equal(true);
    expect(parseFieldSelector('pods', 'metadata.namespace=other')(pod)).to.equal(false);
    expect(() => parseFieldSelector('configmaps', 'status.phase=Running')).to.throw('field label not supported: status.phase');
  });

  it('merge patch deletes with null; strategic merge merges named lists and drops $ directives', () => {
    expect(mergePatch({ a: 1, b: { c: 2, d: 3 } }, { b: { c: null, e: 4 } })).to.deep.equal({ a: 1, b: { d: 3, e: 4 } });
    const spec = { containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'y' }] };
    expect(strategicMergePatch(spec, { '$setElementOrder/containers': [{ name: 'b' }], containers: [{ name: 'b', image: 'z' }] })).to.deep.equal({
      containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'z' }],
    });
    expect(strategicMergePatch(spec, { containers: [{ name: 'a', $patch: 'delete' }] })).to.deep.equal({ containers: [{ name: 'b', image: 'y' }] });
  });

  it('turns store events into what a selector-filtered watcher sees', () => {
    const matches = parseLabelSelector('app=dns');
    const visible = new Set<string>();
    const ev = (type: 'ADDED' | 'MODIFIED' | 'DELETED', labels: Record<string, string>) => ({ type, resource: 'pods', object: obj('p', labels) });
    expect(translate(ev('ADDED', { app: 'web' }), matches, visible)).to.equal(undefined);
    expect(translate(ev('MODIFIED', { app: 'dns' }), matches, visible)).to.equal('ADDED');
    expect(translate(ev('MODIFIED', { app: 'dns', x: '1' }), matches, visible)).to.equal('MODIFIED');
    expect(translate(ev('MODIFIED', { app: 'web' }), matches, visible)).to.equal('DELETED');
    expect(translate(ev('DELETED', { app: 'web' }), matches, visible)).to.equal(undefined);
  });

  it('scales PDB int-or-percent values rounding up, and refuses nonsense', () => {
    expect(scaled(2, 10)).to.equal(2);
    expect(scaled('50%', 3)).to.equal(2);
    expect(scaled('10%', 10)).to.equal(1);
    expect(() => scaled('half', 3)).to.throw(SimError);
  });

  it('formats exit Status exactly as the kubelet, signals as 128+n', () => {
    expect(exitStatusJson(['true'], { code: 0, signal: null })).to.equal('{"metadata":{},"status":"Success"}');
    expect(JSON.parse(exitStatusJson(['sleep', '9'], { code: null, signal: 'SIGKILL' })).details.causes[0].message).to.equal('137');
    expect(pickProtocol(['base64.channel.k8s.io', 'v5.channel.k8s.io'])).to.equal('v5.channel.k8s.io');
    expect(pickProtocol(['channel.k8s.io'])).to.equal(undefined);
  });

  it('reads the fault CLI\'s api and api-latency commands, and matches faults by name and node', () => {
    expect(apiFault('api', ['create', 'pods/portforward', '500', '--name', 'coredns-a', '--count', '2', '--message', 'error dialing backend'])).to.deep.equal({
      verb: 'create', resource: 'pods/portforward', status: 500, name: 'coredns-a', count: 2, message: 'error dialing backend',
    });
    expect(apiFault('api-latency', ['*', '*', '750', '--node', 'sim-node-2'])).to.deep.equal({ latencyMs: 750, node: 'sim-node-2' });
    expect(() => apiFault('api', ['create', 'pods/exec'])).to.throw(/^usage: api VERB RESOURCE STATUS/);
    expect(() => apiFault('api', ['create', 'pods/exec', '200'])).to.throw(/HTTP status from 400 to 599/);
    expect(() => apiFault('api', ['create', 'pods/exec', '500', '--count', '0'])).to.throw(/positive integer/);
    expect(() => apiFault('api-latency', ['get', 'pods', '10', '--message', 'x'])).to.throw(/unknown option "--message"/);
    expect(describeApiFault({ verb: 'create', resource: 'pods/eviction', name: 'coredns-a', status: 429, count: 1 })).to.equal('create pods/eviction coredns-a → answered HTTP 429, 1 time');
    const target = { verb: 'create', resource: 'pods/portforward', namespace: 'kube-system', name: 'coredns-a', node: 'n1', user: 'admin' };
    expect(faultMatches({ resource: 'pods/portforward', name: 'coredns-a' }, target)).to.equal(true);
    expect(faultMatches({ resource: 'pods/portforward', name: 'coredns-b' }, target)).to.equal(false);
    expect(faultMatches({ node: 'n1' }, target)).to.equal(true);
    expect(faultMatches({ node: 'n2' }, target)).to.equal(false);
    expect(faultMatches({ node: 'n1' }, { ...target, node: undefined })).to.equal(false);
  });

  it('prints ages like kubectl', () => {
    expect([5e3, 150e3, 600e3, 3 * 3600e3 + 60e3, 30 * 3600e3, 3 * 86400e3, 400 * 86400e3].map(humanDuration)).to.deep.equal(['5s', '2m30s', '10m', '3h1m', '30h', '3d', '400d']);
  });
});
