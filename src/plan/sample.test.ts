import assert from 'node:assert/strict';
import { validatePlan } from '../probe/contract.ts';
import { conformanceQueries, SAMPLE_MIN_AGE_MS } from './sample.ts';
import type { SampleObjects, SampleService } from '../discover/sample.ts';
import { buildPlan, PLAN_DEFAULTS } from './plan.ts';
import type { DnsWorkload } from '../discover/types.ts';

const NOW = Date.parse('2025-06-01T12:00:00Z');
const old = new Date(NOW - 10 * SAMPLE_MIN_AGE_MS).toISOString();
const svc = (over: Partial<SampleService>): SampleService => ({
  namespace: 'shop',
  name: 'web',
  type: 'ClusterIP',
  clusterIPs: ['10.96.5.5'],
  headless: false,
  ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
  createdAt: old,
  ...over,
});

const OBJECTS: SampleObjects = {
  readAt: NOW,
  services: [
    svc({}),
    svc({ namespace: 'default', name: 'kubernetes', clusterIPs: ['10.96.0.1'] }),
    svc({ name: 'fresh', clusterIPs: ['10.96.5.9'], createdAt: new Date(NOW - 1000).toISOString() }),
    svc({ name: 'db', clusterIPs: [], headless: true, ports: [] }),
    svc({ name: 'empty', clusterIPs: [], headless: true, ports: [] }),
    svc({ name: 'ext', type: 'ExternalName', clusterIPs: [], externalName: 'Api.Example.COM.', ports: [] }),
    svc({ name: 'v6', clusterIPs: ['fd00::5'], ports: [{ port: 9, protocol: 'UDP' }] }),
  ],
  slices: [
    { namespace: 'shop', service: 'db', addressType: 'IPv4', endpoints: [{ addresses: ['10.244.1.7'], ready: true }, { addresses: ['10.244.2.8'], ready: false }] },
    { namespace: 'shop', service: 'db', addressType: 'IPv4', endpoints: [{ addresses: ['10.244.0.6'], ready: true }] },
    { namespace: 'shop', service: 'empty', addressType: 'IPv4', endpoints: [{ addresses: ['10.244.0.9'], ready: false }] },
  ],
};

describe('conformanceQueries', () => {
  it('asks for one object of each kind, with the answers the API gives', () => {
    const rows = conformanceQueries(OBJECTS, 'cluster.local', 1).map((q) => `${q.id} | ${q.name} ${q.type} ${JSON.stringify(q.expect)} | ${q.source}`);
    assert.deepEqual(rows, [
      'sample/a/shop/v6 | v6.shop.svc.cluster.local AAAA {"equal":["fd00::5"]} | sample: ClusterIP AAAA of Service shop/v6',
      'sample/headless/shop/db | db.shop.svc.cluster.local A {"equal":["10.244.0.6","10.244.1.7"]} | sample: headless A (2 ready endpoints) of Service shop/db',
      'sample/cname/shop/ext | ext.shop.svc.cluster.local CNAME {"include":["api.example.com"]} | sample: ExternalName CNAME of Service shop/ext',
      'sample/srv/shop/web/http | _http._tcp.web.shop.svc.cluster.local SRV {"include":["80 web.shop.svc.cluster.local"]} | sample: SRV of port http of Service shop/web',
      'sample/ptr/shop/v6 | 5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa PTR {"include":["v6.shop.svc.cluster.local"]} | sample: PTR of its ClusterIP of Service shop/v6',
    ]);
  });

  it('is bounded by n per kind, leaves out Services younger than a minute and default/kubernetes', () => {
    const names = conformanceQueries(OBJECTS, 'c.test', 5).map((q) => q.id);
    assert.deepEqual(names, [
      'sample/a/shop/v6',
      'sample/a/shop/web',
      'sample/headless/shop/db',
      'sample/cname/shop/ext',
      'sample/srv/shop/web/http',
      'sample/ptr/shop/v6',
      'sample/ptr/shop/web',
    ]);
    assert.deepEqual(conformanceQueries(OBJECTS, 'c.test', 0), []);
    const many: SampleObjects = { readAt: NOW, slices: [], services: Array.from({ length: 50 }, (_, i) => svc({ name: `s${i}` })) };
    assert.equal(conformanceQueries(many, 'c.test', 1000).length, 30); // 10 each of A, SRV, PTR
  });

  it('joins the plan only when --sample-services is set, and the plan stays valid', () => {
    const w = {
      namespace: 'kube-system',
      labelSelector: 'k8s-app=kube-dns',
      service: { name: 'kube-dns', namespace: 'kube-system', clusterIPs: ['10.96.0.10'], port: 53 },
      pods: [],
      zones: { clusterDomain: 'cluster.local', stubDomains: [], fromCorefile: true },
      kubernetesServiceIP: '10.96.0.1',
    } satisfies DnsWorkload;
    assert.equal(buildPlan(w, PLAN_DEFAULTS, OBJECTS).queries.filter((q) => q.id.startsWith('sample/')).length, 0);
    const plan = buildPlan(w, { ...PLAN_DEFAULTS, sampleServices: 2 }, OBJECTS);
    assert.equal(plan.queries.filter((q) => q.id.startsWith('sample/')).length, 7);
    assert.equal(validatePlan(plan), null);
  });
});
