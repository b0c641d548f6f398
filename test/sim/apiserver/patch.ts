// PATCH bodies by content type: JSON patch (RFC 6902, via fast-json-patch), JSON merge patch
// (RFC 7386) and a strategic merge patch reduced to what kubectl sends (merge, plus lists of named
// objects merged by name, `$`-directives dropped).
import fastJsonPatch from 'fast-json-patch';
import { SimError } from '../status.ts';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** RFC 7386: null deletes, objects merge, everything else replaces. */
export function mergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return patch;
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k] ?? null, v);
  }
  return out;
}

const isNamedList = (v: Json[]) => v.length > 0 && v.every((e) => isObject(e) && typeof e.name === 'string');

/** Strategic merge: like merge patch, but lists of objects with a `name` (containers, ports, env) merge by name. */
export function strategicMergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return patch;
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$')) continue; // $setElementOrder/…, $retainKeys, $patch: ordering hints we do not model
    const cur = out[k];
    if (v === null) delete out[k];
    else if (Array.isArray(v) && Array.isArray(cur) && isNamedList(v) && isNamedList(cur)) out[k] = mergeByName(cur, v);
    else out[k] = strategicMergePatch(cur ?? null, v);
  }
  return out;
}

const mergeByName = (cur: Json[], patch: Json[]): Json[] => {
  const out = [...cur] as JsonObject[];
  for (const p of patch as JsonObject[]) {
    const i = out.findIndex((e) => e.name === p.name);
    if (p.$patch === 'delete') {
      if (i >= 0) out.splice(i, 1);
    } else if (i >= 0) out[i] = strategicMergePatch(out[i]!, p) as JsonObject;
    else out.push(strategicMergePatch(null, p) as JsonObject);
  }
  return out;
};

export const PATCH_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
] as const;

/** Applies a PATCH body; 415 for other content types, 422 for a JSON patch that does not apply. */
export function applyPatch<T>(current: T, contentType: string | undefined, body: unknown, kind: string, name: string): T {
  const type = (contentType ?? '').split(';')[0]!.trim();
  switch (type) {
    case 'application/json-patch+json': {
      if (!Array.isArray(body)) throw SimError.badRequest('json: cannot unmarshal object into Go value of type []handlers.jsonPatchOp');
      try {
        return fastJsonPatch.applyPatch(structuredClone(current), body as fastJsonPatch.Operation[], true, false).newDocument;
      } catch (e) {
        throw SimError.of(422, 'Invalid', `${kind} "${name}" is invalid: ${(e as Error).message.split('\n')[0]}`);
      }
    }
    case 'application/merge-patch+json':
      return mergePatch(current as Json, body as Json) as T;
    case 'application/strategic-merge-patch+json':
      return strategicMergePatch(current as Json, body as Json) as T;
    default:
      throw SimError.of(
        415,
        'UnsupportedMediaType',
        `the body of the request was in an unknown format - accepted media types include: ${PATCH_TYPES.join(', ')}`,
      );
  }
}
