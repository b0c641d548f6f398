// Request-info parsing as the real API server does it (k8s.io/apiserver/pkg/endpoints/request/requestinfo.go):
// path + method + ?watch → verb, group, version, namespace, resource, name, subresource.

export interface RequestInfo {
  isResource: boolean;
  verb: string;
  group: string;
  version: string;
  namespace?: string;
  resource: string;
  subresource: string;
  name: string;
  path: string;
}

const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

const verbOf = (method: string, hasName: boolean, watch: boolean): string => {
  switch (method) {
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return hasName ? 'delete' : 'deletecollection';
    default:
      if (watch) return 'watch';
      return hasName ? 'get' : 'list';
  }
};

const isWatchParam = (v: string | null) => v !== null && !['false', '0'].includes(v.toLowerCase());

const exactName = (fieldSelector: string | null): string | undefined =>
  fieldSelector
    ?.split(',')
    .map((term) => /^metadata\.name==?([^=!,]+)$/.exec(term.trim())?.[1])
    .find((name) => name !== undefined);

export function parseRequestInfo(method: string, url: URL): RequestInfo {
  const path = url.pathname;
  const parts = path.split('/').filter(Boolean);
  const base: RequestInfo = { isResource: false, verb: method.toLowerCase(), group: '', version: '', resource: '', subresource: '', name: '', path };
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 3) {
    base.version = parts[1]!;
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 4) {
    base.group = parts[1]!;
    base.version = parts[2]!;
    rest = parts.slice(3);
  } else {
    return base;
  }
  if (rest[0] === 'namespaces' && rest.length > 1) {
    base.namespace = rest[1];
    if (rest.length > 2 && !NAMESPACE_SUBRESOURCES.has(rest[2]!)) rest = rest.slice(2);
  }
  const info: RequestInfo = { ...base, isResource: true, resource: rest[0] ?? '', name: rest[1] ?? '', subresource: rest[2] ?? '' };
  info.verb = verbOf(method, info.name !== '', info.name === '' && isWatchParam(url.searchParams.get('watch')));
  // A list or watch narrowed to one name is authorized as that name (resourceNames rules apply).
  if (info.verb === 'list' || info.verb === 'watch') info.name = exactName(url.searchParams.get('fieldSelector')) ?? '';
  return info;
}

/** "pods" or "pods/exec", as RBAC and error messages name it. */
export const resourcePath = (i: Pick<RequestInfo, 'resource' | 'subresource'>) => (i.subresource ? `${i.resource}/${i.subresource}` : i.resource);
