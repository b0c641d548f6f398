// What the registry strategies do before storing: validation (422), decoding checks (400) and the
// defaults clients rely on. Only the checks that catch real client mistakes are modelled.
import type { KObject } from '../store.ts';
import { SimError, type StatusCause } from '../status.ts';
import type { ServedType } from './resources.ts';

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function invalid(kind: string, name: string, causes: Required<Pick<StatusCause, 'field' | 'message' | 'reason'>>[]): SimError {
  const texts = causes.map((c) => `${c.field}: ${c.message}`);
  const summary = texts.length === 1 ? texts[0] : `[${texts.join(', ')}]`;
  return SimError.of(422, 'Invalid', `${kind} "${name}" is invalid: ${summary}`, { name, group: '', kind, causes });
}

const required = (field: string) => ({ reason: 'FieldValueRequired', message: 'Required value', field });

function metadataCauses(o: KObject) {
  const { name, generateName } = o.metadata;
  if (!name && !generateName) return [{ ...required('metadata.name'), message: 'Required value: name or generateName is required' }];
  if (name && (!DNS_SUBDOMAIN.test(name) || name.length > 253))
    return [
      {
        reason: 'FieldValueInvalid',
        field: 'metadata.name',
        message: `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`,
      },
    ];
  return [];
}

/** apimachinery's TotalAnnotationSizeLimitB: every key and value of an object's annotations together. */
export const TOTAL_ANNOTATION_SIZE_LIMIT_B = 256 * 1024;

function annotationCauses(o: KObject) {
  const size = Object.entries(o.metadata.annotations ?? {}).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(String(v)), 0);
  return size > TOTAL_ANNOTATION_SIZE_LIMIT_B
    ? [{ reason: 'FieldValueTooLong', field: 'metadata.annotations', message: `Too long: must have at most ${TOTAL_ANNOTATION_SIZE_LIMIT_B} bytes` }]
    : [];
}

type Container = { name?: string; image?: string };
type Volume = { name?: string; downwardAPI?: { items?: { path?: string; fieldRef?: { fieldPath?: string } }[] } };

// The fieldPaths a downwardAPI volume file may show (validation.go validDownwardAPIFieldPathExpressions,
// and one label or annotation by key).
const DOWNWARD_FIELDS = new Set(['metadata.name', 'metadata.namespace', 'metadata.uid', 'metadata.labels', 'metadata.annotations']);
const DOWNWARD_SUBSCRIPT = /^metadata\.(labels|annotations)\['[^']+'\]$/;

function volumeCauses(volumes: Volume[]) {
  return volumes.flatMap((v, i) =>
    (v.downwardAPI?.items ?? []).flatMap((item, j) => {
      const at = `spec.volumes[${i}].downwardAPI.items[${j}]`;
      const fieldPath = item.fieldRef?.fieldPath ?? '';
      if (!item.path) return [required(`${at}.path`)];
      if (item.path.startsWith('/') || item.path.split('/').includes('..'))
        return [{ reason: 'FieldValueInvalid', field: `${at}.path`, message: `Invalid value: "${item.path}": must be a relative path without '..'` }];
      if (!DOWNWARD_FIELDS.has(fieldPath) && !DOWNWARD_SUBSCRIPT.test(fieldPath))
        return [{ reason: 'FieldValueNotSupported', field: `${at}.fieldRef.fieldPath`, message: `Unsupported value: "${fieldPath}": supported values: "metadata.annotations", "metadata.labels", "metadata.name", "metadata.namespace", "metadata.uid"` }];
      return [];
    }),
  );
}

function podCauses(o: KObject) {
  const spec = o.spec as { containers?: Container[]; volumes?: Volume[] } | undefined;
  if (!spec?.containers?.length) return [required('spec.containers')];
  return [
    ...spec.containers.flatMap((c, i) => [...(c.name ? [] : [required(`spec.containers[${i}].name`)]), ...(c.image ? [] : [required(`spec.containers[${i}].image`)])]),
    ...volumeCauses(spec.volumes ?? []),
  ];
}

// metav1.MicroTime only parses RFC3339 with exactly six fractional digits.
const MICRO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}(Z|[+-]\d{2}:\d{2})$/;

// Fields of type metav1.MicroTime per kind (dotted paths).
const MICRO_TIME_FIELDS: Record<string, string[]> = {
  Lease: ['spec.acquireTime', 'spec.renewTime'],
  Event: ['eventTime', 'series.lastObservedTime'],
};

const at = (o: unknown, dotted: string): unknown =>
  dotted.split('.').reduce<unknown>((cur, k) => (cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[k] : undefined), o);

/** Decoding errors the real server answers with 400 before validation (MicroTime fields). */
export function checkDecodable(type: ServedType, o: KObject): void {
  for (const field of MICRO_TIME_FIELDS[type.kind] ?? []) {
    const v = at(o, field);
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string' || !MICRO_TIME.test(v))
      throw SimError.badRequest(
        `${type.kind} in version "${type.version}" cannot be handled as a ${type.kind}: parsing time "${String(v)}" as "2006-01-02T15:04:05.000000Z07:00": cannot parse as RFC3339 with microseconds (${field})`,
      );
  }
}

/**
 * An Event with eventTime is validated like an events.k8s.io one: its note (message) at most 1024
 * bytes (kubernetes pkg/apis/core/validation/events.go, NoteLengthLimit).
 */
function eventCauses(o: KObject) {
  const message = typeof o.message === 'string' ? o.message : '';
  return o.eventTime && Buffer.byteLength(message) > 1024 ? [{ reason: 'FieldValueTooLong', field: 'message', message: 'Too long: may not be more than 1024 bytes' }] : [];
}

/** 422 when the object could not be stored by a real server. */
export function validate(type: ServedType, o: KObject, isCreate: boolean): void {
  const causes = [...(isCreate ? metadataCauses(o) : []), ...annotationCauses(o), ...(type.kind === 'Pod' ? podCauses(o) : []), ...(type.kind === 'Event' ? eventCauses(o) : [])];
  if (causes.length) throw invalid(type.kind, o.metadata.name ?? '', causes);
}

/** The defaults the real registry and admission fill in on create, where clients or the node side read them. */
export function applyCreateDefaults(type: ServedType, o: KObject): void {
  if (type.kind === 'Pod') {
    const spec = o.spec as Record<string, unknown>;
    spec.restartPolicy ??= 'Always';
    spec.terminationGracePeriodSeconds ??= 30;
    spec.dnsPolicy ??= 'ClusterFirst';
    spec.schedulerName ??= 'default-scheduler';
    spec.serviceAccountName ??= 'default';
    o.status = { phase: 'Pending' }; // the scheduler and the kubelet (node side) take it from here
  } else if (type.kind === 'Namespace') {
    o.status = { phase: 'Active' };
  } else if (['Deployment', 'ReplicaSet', 'DaemonSet', 'StatefulSet', 'PodDisruptionBudget'].includes(type.kind)) {
    o.status = {};
    // The apps/v1 defaults kubectl rollout reads (pkg/apis/apps/v1/defaults.go).
    const spec = (o.spec ??= {}) as Record<string, unknown>;
    if (type.kind === 'DaemonSet') {
      spec.updateStrategy ??= { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } };
      spec.revisionHistoryLimit ??= 10;
    } else if (type.kind === 'StatefulSet') {
      spec.replicas ??= 1;
      spec.podManagementPolicy ??= 'OrderedReady';
      spec.updateStrategy ??= { type: 'RollingUpdate', rollingUpdate: { partition: 0 } };
      spec.revisionHistoryLimit ??= 10;
    }
  }
}
