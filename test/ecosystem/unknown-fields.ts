// Fields the Kubernetes 1.27 API does not know, as `kubectl apply --validate=strict` reports them: the
// OpenAPI schemas kubernetes-models 4.3.1 ships (generated from 1.27.1's) with every object schema closed
// (additionalProperties: false), compiled with ajv. kubernetes-models registers a kind's schemas when one
// of its objects is first validated; this module collects them there. Only 4.3.1 ships the schemas as
// data (4.5.1, 1.33's, ships compiled validators), and APIs only gain fields, so a field known to 1.27 is
// known to 1.33.
import { Ajv } from 'ajv';
import { createRequire } from 'node:module';

type Validating = new (data: object) => { validate(): void };
interface Kube { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } }

const models = createRequire(createRequire(import.meta.url).resolve('kubernetes-models-1.27/package.json'));
const registry = models('@kubernetes-models/validate') as { register: (id: string, schema: object) => void };
const schemas = new Map<string, object>();
const register = registry.register;
registry.register = (id, schema) => {
  schemas.set(id, schema);
  register(id, schema);
};

/** A copy of an OpenAPI schema where every object with declared properties allows no others. */
function closed(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closed);
  if (schema === null || typeof schema !== 'object') return schema;
  const out = Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, k === 'properties' ? Object.fromEntries(Object.entries(v as object).map(([p, s]) => [p, closed(s)])) : closed(v)]));
  if ('properties' in out && !('additionalProperties' in out)) out.additionalProperties = false;
  return out;
}

/** The schema id of a kind: io.k8s.api.<group's first label, or core>.<version>.<Kind>. */
function schemaId(o: Kube): string {
  const [group, version] = o.apiVersion.includes('/') ? o.apiVersion.split('/') : ['core', o.apiVersion];
  return `io.k8s.api.${group!.split('.')[0]}.${version}.${o.kind}`;
}

/** "Kind/namespace/name: path must NOT have additional properties (field)" per unknown field. */
export function unknownFields(objs: Kube[]): string[] {
  for (const o of objs) {
    const model = (models(`kubernetes-models-1.27/${o.apiVersion}/${o.kind}`) as Record<string, Validating>)[o.kind]!;
    try {
      new model(o).validate();
    } catch {
      // Only its schemas are wanted here; the type and enum errors are the other test's.
    }
  }
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  for (const [id, schema] of schemas) ajv.addSchema(closed(schema) as object, id);
  return objs.flatMap((o) => {
    const validate = ajv.getSchema(schemaId(o));
    if (!validate) return [`${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}: no 1.27 schema ${schemaId(o)}`];
    if (validate(o)) return [];
    return (validate.errors ?? [])
      .filter((e) => e.keyword === 'additionalProperties')
      .map((e) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}: ${e.instancePath} has unknown field ${(e.params as { additionalProperty: string }).additionalProperty}`);
  });
}
