import assert from 'node:assert/strict';
import { toEndpointSlice, toService } from '../kube/convert.ts';
import { discoverSample } from './sample.ts';

// API objects as the server sends them (raw JSON), through src/kube's conversion.
const RAW_SERVICES = [
  { metadata: { name: 'web', namespace: 'shop', creationTimestamp: '2025-01-01T00:00:00Z' }, spec: { type: 'ClusterIP', clusterIP: '10.96.5.5', clusterIPs: ['10.96.5.5'], ports: [{ name: 'http', port: 80, protocol: 'TCP' }] } },
  { metadata: { name: 'db', namespace: 'shop' }, spec: { clusterIP: 'None', clusterIPs: ['None'], ports: [{ port: 5432 }] } },
  { metadata: { name: 'ext', namespace: 'shop' }, spec: { type: 'ExternalName', externalName: 'api.example.com' } },
];
const RAW_SLICES = [
  { metadata: { name: 'db-x', namespace: 'shop', labels: { 'kubernetes.io/service-name': 'db' } }, addressType: 'IPv4', endpoints: [{ addresses: ['10.244.1.7'], conditions: { ready: true } }, { addresses: ['10.244.2.8'], conditions: { ready: false } }] },
  { metadata: { name: 'orphan', namespace: 'shop' }, addressType: 'IPv4', endpoints: [{ addresses: ['10.244.9.9'] }] },
];

describe('discoverSample', () => {
  it('lists Services and EndpointSlices cluster-wide as plain data (orphan slices left out)', async () => {
    const calls: string[] = [];
    const client = {
      listAllServices: async () => (calls.push('services'), RAW_SERVICES.map(toService)),
      listAllEndpointSlices: async () => (calls.push('endpointslices'), RAW_SLICES.map(toEndpointSlice)),
    };
    const sample = await discoverSample(client, 42);
    assert.deepEqual(calls.sort(), ['endpointslices', 'services']);
    assert.deepEqual(sample, {
      readAt: 42,
      services: [
        { namespace: 'shop', name: 'web', type: 'ClusterIP', clusterIPs: ['10.96.5.5'], headless: false, ports: [{ name: 'http', port: 80, protocol: 'TCP' }], createdAt: '2025-01-01T00:00:00Z' },
        { namespace: 'shop', name: 'db', type: 'ClusterIP', clusterIPs: [], headless: true, ports: [{ port: 5432, protocol: 'TCP' }] },
        { namespace: 'shop', name: 'ext', type: 'ExternalName', clusterIPs: [], headless: false, externalName: 'api.example.com', ports: [] },
      ],
      slices: [{ namespace: 'shop', service: 'db', addressType: 'IPv4', endpoints: [{ addresses: ['10.244.1.7'], ready: true }, { addresses: ['10.244.2.8'], ready: false }] }],
    });
  });
});
