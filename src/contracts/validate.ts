// Runs a validator that ajv compiled from a schema (src/contracts/generated/*.validate.ts, from
// schema/*.json by scripts/contracts.mjs) and turns its first error into one readable line that starts
// with the value's path: "targets[3].port must be <= 65535, got 70000". Zero dependencies: the probe
// bundles it. Validators never serialize untrusted values (deep nesting would overflow the stack): see preview().

export type Problem = string | null;

/** An error as ajv's compiled code reports it. */
export interface SchemaError {
  instancePath: string;
  schemaPath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

/** A compiled validator: true when `data` is valid, otherwise false with `errors` set. */
export interface Compiled {
  (data: unknown): boolean;
  errors?: SchemaError[] | null;
}

/**
 * What a value must be, in words, for the errors whose schema path ends with the key (a pattern or an
 * anyOf, whose own message would quote a regular expression or say "must match a schema in anyOf"):
 * { '/$defs/ipAddress/pattern': 'an IP address' }.
 */
export type Words = Readonly<Record<string, string>>;

/** A short description of an untrusted value for a message. */
export function preview(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 80 ? `${v.slice(0, 80)}…` : v);
  if (v === null || typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === undefined) return 'nothing';
  return Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'an object' : typeof v;
}

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const segments = (pointer: string): string[] => pointer.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));

/** "targets[3].port" from "/targets/3/port", after `at` ("" at the top of a document). */
function pathOf(at: string, pointer: string): string {
  let path = at;
  for (const s of segments(pointer)) path = /^\d+$/.test(s) ? `${path}[${s}]` : path ? `${path}.${s}` : s;
  return path;
}

function valueAt(doc: unknown, pointer: string): unknown {
  let v = doc;
  for (const s of segments(pointer)) v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[s] : undefined;
  return v;
}

const TYPE_WORDS: Record<string, string> = { integer: 'an integer', number: 'a number', string: 'a string', boolean: 'true or false', object: 'an object', array: 'a list', null: 'null' };

/** The error to report: the deepest one the document's own branch reached (an anyOf tries every branch). */
function pick(errors: SchemaError[]): SchemaError {
  const last = errors[errors.length - 1]!;
  if (last.keyword !== 'anyOf') return errors[0]!;
  // A branch refused for its type is not the one the author meant; of the others, the one that got furthest.
  const meant = errors.filter((e) => e.keyword !== 'anyOf' && !(e.keyword === 'type' && e.instancePath === last.instancePath) && e.instancePath.startsWith(last.instancePath));
  if (meant.length === 0) return last;
  return meant.reduce((a, b) => (segments(b.instancePath).length > segments(a.instancePath).length ? b : a));
}

/** One line for ajv's error, naming the path and the value. */
function describe(e: SchemaError, doc: unknown, at: string, words: Words): string {
  const path = pathOf(at, e.instancePath);
  const value = valueAt(doc, e.instancePath);
  const got = `, got ${preview(value)}`;
  const p = e.params;
  const said = Object.entries(words).find(([suffix]) => e.schemaPath.endsWith(suffix))?.[1];
  const must = (what: string) => `${path ? `${path} ` : ''}must be ${what}`;
  switch (e.keyword) {
    case 'required':
      return `${pathOf(path, `/${String(p.missingProperty)}`)} is missing`;
    case 'additionalProperties':
      return `${path ? `${path} has an unknown field` : 'unknown field'} ${preview(p.additionalProperty)}`;
    case 'type':
      return must(String(p.type).split(',').map((t) => TYPE_WORDS[t] ?? t).join(' or ')) + got;
    case 'enum':
      return must(`one of ${(p.allowedValues as unknown[]).map((x) => JSON.stringify(x)).join(', ')}`) + got;
    case 'const':
      return must(JSON.stringify(p.allowedValue)) + got;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return must(`${String(p.comparison)} ${String(p.limit)}`) + got;
    case 'minLength':
      return must(p.limit === 1 ? 'a non-empty string' : `a string of at least ${String(p.limit)} characters`);
    case 'maxLength':
      return must(`a string of at most ${String(p.limit)} characters`);
    case 'minItems':
      return p.limit === 1 ? `${path} must not be empty` : `${path} must have at least ${String(p.limit)} items`;
    case 'maxItems':
      return `${path} must have at most ${String(p.limit)} items`;
    case 'uniqueItems':
      return `${path}[${String(p.i)}] repeats ${preview((value as unknown[])[p.i as number])}`;
    case 'pattern':
      return must(said ?? `a string matching ${String(p.pattern)}`) + got;
    case 'anyOf':
      return must(said ?? 'one of the forms its schema allows') + got;
    default:
      return `${path ? `${path} ` : ''}${e.message ?? 'is not valid'}`;
  }
}

/** null when `doc` is valid, otherwise its first problem as one line (paths after `at`). */
export function problemOf(validate: Compiled, doc: unknown, at = '', words: Words = {}): Problem {
  if (validate(doc)) return null;
  const errors = validate.errors ?? [];
  return errors.length ? describe(pick(errors), doc, at, words) : `${at || 'the document'} is not valid`;
}

/** The items `validate` accepts, and one problem per item it refuses (at `at[i]`): for reading leniently. */
export function sift<T>(validate: Compiled, items: readonly unknown[], at: string, words: Words = {}): { valid: T[]; problems: string[] } {
  const valid: T[] = [];
  const problems: string[] = [];
  items.forEach((item, i) => {
    const problem = problemOf(validate, item, `${at}[${i}]`, words);
    if (problem === null) valid.push(item as T);
    else problems.push(problem);
  });
  return { valid, problems };
}
