// Discovery documents in their plain (legacy) JSON forms. kubectl 1.32 first asks for aggregated
// discovery (Accept: …;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,…,application/json); a
// plain application/json answer makes it fall back to these per-group documents.
import { SERVED_TYPES, SUBRESOURCE_INFO, groupVersion, servedGroups, type ServedType } from './resources.ts';

export const VERSION_INFO = {
  major: '1',
  minor: '31',
  gitVersion: 'v1.31.0-sim',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2024-08-13T00:00:00Z',
  goVersion: 'go1.22.5',
  compiler: 'gc',
  platform: 'linux/amd64',
};

function resourceEntries(s: ServedType): Record<string, unknown>[] {
  const main = {
    name: s.resource,
    singularName: s.singular,
    namespaced: s.namespaced,
    kind: s.kind,
    verbs: s.verbs,
    ...(s.shortNames ? { shortNames: s.shortNames } : {}),
    ...(s.categories ? { categories: s.categories } : {}),
  };
  const subs = s.subresources.map((sub) => {
    const info = SUBRESOURCE_INFO[sub]!;
    return {
      name: `${s.resource}/${sub}`,
      singularName: '',
      namespaced: s.namespaced,
      ...(info.group ? { group: info.group, version: info.version } : {}),
      kind: info.kind || s.kind,
      verbs: info.verbs,
    };
  });
  return [main, ...subs];
}

export const apiVersions = (serverAddress: string) => ({
  kind: 'APIVersions',
  versions: ['v1'],
  serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
});

const groupDoc = (group: string, version: string) => {
  const v = { groupVersion: groupVersion(group, version), version };
  return { name: group, versions: [v], preferredVersion: v };
};

export const apiGroupList = () => ({ kind: 'APIGroupList', apiVersion: 'v1', groups: servedGroups().map((g) => groupDoc(g.group, g.version)) });

export function apiGroup(group: string): Record<string, unknown> | undefined {
  const g = servedGroups().find((x) => x.group === group);
  return g && { kind: 'APIGroup', apiVersion: 'v1', ...groupDoc(g.group, g.version) };
}

export function apiResourceList(group: string, version: string): Record<string, unknown> | undefined {
  const types = SERVED_TYPES.filter((s) => s.group === group && s.version === version);
  if (!types.length) return undefined;
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: groupVersion(group, version), resources: types.flatMap(resourceEntries) };
}

/** The document for a discovery path, or undefined when the path is not a discovery path. */
export function discoveryDoc(path: string, serverAddress: string): Record<string, unknown> | undefined {
  const parts = path.split('/').filter(Boolean);
  if (parts[0] === 'api') {
    if (parts.length === 1) return apiVersions(serverAddress);
    if (parts.length === 2) return apiResourceList('', parts[1]!);
  }
  if (parts[0] === 'apis') {
    if (parts.length === 1) return apiGroupList();
    if (parts.length === 2) return apiGroup(parts[1]!);
    if (parts.length === 3) return apiResourceList(parts[1]!, parts[2]!);
  }
  if (path === '/version' || path === '/version/') return VERSION_INFO;
  return undefined;
}
