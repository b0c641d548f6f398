// Label and field selectors as the API server parses them (apimachinery/pkg/labels, pkg/fields).
import type { KObject } from '../store.ts';
import { SimError } from '../status.ts';

export type Matcher = (o: KObject) => boolean;

interface Requirement {
  key: string;
  op: 'in' | 'notin' | 'exists' | '!exists';
  values: string[];
}

/** Splits on commas that are not inside parentheses. */
const splitTerms = (s: string): string[] => {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.map((t) => t.trim()).filter(Boolean);
};

const KEY = String.raw`[A-Za-z0-9][-A-Za-z0-9_./]*`;
const VALUE = String.raw`[-A-Za-z0-9_.]*`;

const parseRequirement = (term: string): Requirement => {
  let m: RegExpExecArray | null;
  if ((m = new RegExp(`^(${KEY})\\s*(==|=|!=)\\s*(${VALUE})$`).exec(term)))
    return { key: m[1]!, op: m[2] === '!=' ? 'notin' : 'in', values: [m[3]!] };
  if ((m = new RegExp(`^(${KEY})\\s+(in|notin)\\s*\\(([^)]*)\\)$`).exec(term)))
    return { key: m[1]!, op: m[2] as 'in' | 'notin', values: m[3]!.split(',').map((v) => v.trim()) };
  if ((m = new RegExp(`^!\\s*(${KEY})$`).exec(term))) return { key: m[1]!, op: '!exists', values: [] };
  if ((m = new RegExp(`^(${KEY})$`).exec(term))) return { key: m[1]!, op: 'exists', values: [] };
  throw SimError.badRequest(`unable to parse requirement: found '${term}', expected: in, notin, =, ==, !=, gt, lt`);
};

const requirementMatches = (r: Requirement, labels: Record<string, string>): boolean => {
  const present = Object.hasOwn(labels, r.key);
  switch (r.op) {
    case 'in':
      return present && r.values.includes(labels[r.key]!);
    case 'notin':
      return !present || !r.values.includes(labels[r.key]!);
    case 'exists':
      return present;
    case '!exists':
      return !present;
  }
};

/** Parses `a=b,c!=d,e in (x,y),!f`; throws 400 on a malformed selector. */
export function parseLabelSelector(selector: string | null | undefined): Matcher {
  const reqs = splitTerms(selector ?? '').map(parseRequirement);
  return (o) => reqs.every((r) => requirementMatches(r, o.metadata.labels ?? {}));
}

const SELECTOR_OPERATORS: Record<string, Requirement['op'] | undefined> = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!exists' };

/** A metav1.LabelSelector (matchLabels + matchExpressions), as PDBs and Deployments carry it. */
export function labelSelectorMatcher(sel: { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] } | undefined): Matcher {
  const reqs: Requirement[] = [
    ...Object.entries(sel?.matchLabels ?? {}).map(([key, v]): Requirement => ({ key, op: 'in', values: [v] })),
    ...(sel?.matchExpressions ?? []).map((e): Requirement => {
      const op = SELECTOR_OPERATORS[e.operator];
      if (!op) throw SimError.badRequest(`"${e.operator}" is not a valid label selector operator`);
      return { key: e.key, op, values: e.values ?? [] };
    }),
  ];
  return (o) => reqs.every((r) => requirementMatches(r, o.metadata.labels ?? {}));
}

const path = (o: unknown, dotted: string): string => {
  let cur: unknown = o;
  for (const k of dotted.split('.')) cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[k] : undefined;
  return cur === undefined || cur === null ? '' : String(cur);
};

/** Field labels each type supports besides metadata.name and metadata.namespace (the real servers' sets, trimmed). */
const FIELDS: Record<string, string[]> = {
  pods: ['spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName', 'status.phase', 'status.podIP', 'status.nominatedNodeName'],
  events: ['involvedObject.kind', 'involvedObject.namespace', 'involvedObject.name', 'involvedObject.uid', 'involvedObject.apiVersion', 'involvedObject.resourceVersion', 'involvedObject.fieldPath', 'reason', 'reportingComponent', 'source', 'type'],
  namespaces: ['status.phase'],
  nodes: ['spec.unschedulable'],
  replicasets: ['status.replicas'],
};

/** Parses `metadata.name=x,status.phase!=Running` for a resource; unknown fields → 400 like the real server. */
export function parseFieldSelector(resource: string, selector: string | null | undefined): Matcher {
  const allowed = new Set(['metadata.name', 'metadata.namespace', ...(FIELDS[resource] ?? [])]);
  const terms = splitTerms(selector ?? '').map((term) => {
    const m = /^([^=!]+?)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (!m) throw SimError.badRequest(`invalid selector: '${selector}'; can't understand '${term}'`);
    const field = m[1]!;
    if (!allowed.has(field)) throw SimError.badRequest(`field label not supported: ${field}`);
    return { field: field === 'source' ? 'source.component' : field, negate: m[2] === '!=', value: m[3]! };
  });
  return (o) => terms.every((t) => (path(o, t.field) === t.value) !== t.negate);
}
