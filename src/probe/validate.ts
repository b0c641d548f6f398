// The validation kit: one small set of validators for every document read from outside the process —
// the probe plan and report (src/probe/contract.ts), the config file (src/plan/config.ts) and the repair
// history (src/repair/history.ts). Zero dependencies: the probe bundles it.
//
// API. A Validator<T> is a function (value, at) → Problem: null when `value` is a valid T, otherwise one
// readable line that starts with `at` (the path of the value, e.g. "targets[3].port").
//   str({ min = 1, max, pattern, what })  a string of min..max characters (max defaults to 1024)
//   int(min, max)                          an integer in [min, max]
//   num({ min, max, positive })            a finite number (positive: > 0)
//   bool                                   true or false
//   oneOf(values)                          one of the listed strings (an enum; `values` is a const list)
//   constant(value)                        exactly this string
//   ip                                     an IPv4 or IPv6 address in text form
//   time                                   an ISO 8601 timestamp Date.parse understands
//   nullable(v)                            null or what v accepts
//   list(item, { min, max, unique })       an array of min..max items; unique: a key function, no repeats
//   oneOrList(item, { min, max })          one item, or a list of them (YAML's `include: 10.0.0.1`)
//   record(value, { max })                 an object used as a map: any keys, each value checked
//   object(shape, { open, listKnown, see }) an object with exactly these keys (open: extra keys allowed;
//                                          listKnown: an unknown key's message lists the known ones,
//                                          see: and points to a page); at "" (a whole document) paths
//                                          start at its keys; keys whose validator is optional(v) may be absent
//   optional(v)                            marks a key of `shape` as optional
//   custom(test)                           test(raw value) → a problem without `at` ("must be …, got …")
//                                          or null: a rule no other piece states
//   refine(v, test)                        v, then test(typed value) → a problem without `at`
//                                          ("must have …", "is …") or null: cross-field rules
//   then(v, next)                          v, then the validator next(typed value) picks, over the same
//                                          value and path: keys whose rules depend on another key
// Use: v(value, at) → Problem; is(v, value) → a type guard; sift(v, items, at) → the valid items and
// the problems of the others (lenient reading); Infer<typeof v> → the type v accepts.
// Validators never serialize untrusted values (deep nesting would overflow the stack): see preview().

export type Problem = string | null;

export interface Validator<T> {
  (value: unknown, at: string): Problem;
  /** Type carrier only; never set. */
  readonly __type?: T;
}

export type Infer<V> = V extends Validator<infer T> ? T : never;

const make = <T>(fn: (value: unknown, at: string) => Problem): Validator<T> => fn as Validator<T>;

/** A short description of an untrusted value for a message. */
export function preview(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 80 ? `${v.slice(0, 80)}…` : v);
  if (v === null || typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === undefined) return 'nothing';
  return Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'an object' : typeof v;
}

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function str(opts: { min?: number; max?: number; pattern?: RegExp; what?: string } = {}): Validator<string> {
  const { min = 1, max = 1024, pattern, what } = opts;
  const kind = what ?? (min > 0 ? 'a non-empty string' : 'a string');
  return make((v, at) => {
    if (typeof v !== 'string') return `${at} must be ${kind}, got ${preview(v)}`;
    if (v.length < min || v.length > max) return `${at} must be ${kind} of ${min} to ${max} characters`;
    if (pattern && !pattern.test(v)) return `${at} must be ${what ?? `a string matching ${pattern.source}`}, got ${preview(v)}`;
    return null;
  });
}

export const int = (min: number, max: number): Validator<number> =>
  make((v, at) => (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? null : `${at} must be an integer from ${min} to ${max}, got ${preview(v)}`));

export function num(opts: { min?: number; max?: number; positive?: boolean } = {}): Validator<number> {
  const { min = -Number.MAX_VALUE, max = Number.MAX_VALUE, positive = false } = opts;
  return make((v, at) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) return `${at} must be a number, got ${preview(v)}`;
    if (positive && !(v > 0)) return `${at} must be a positive number, got ${v}`;
    return v < min || v > max ? `${at} must be a number from ${min} to ${max}, got ${v}` : null;
  });
}

export const bool: Validator<boolean> = make((v, at) => (typeof v === 'boolean' ? null : `${at} must be true or false, got ${preview(v)}`));

export function oneOf<const L extends string>(values: readonly L[]): Validator<L> {
  const allowed: ReadonlySet<unknown> = new Set(values);
  const listed = values.map((x) => `"${x}"`).join(', ');
  return make((v, at) => (allowed.has(v) ? null : `${at} must be one of ${listed}, got ${preview(v)}`));
}

export const constant = <const L extends string>(value: L): Validator<L> =>
  make((v, at) => (v === value ? null : `${at} must be "${value}", got ${preview(v)}`));

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
/** Hex groups and colons (and an embedded IPv4 tail); the socket layer rejects what is left. */
const IPV6 = /^(?=.*:)[0-9a-fA-F:.]{2,45}$/;

export const isIpAddress = (v: string): boolean => IPV4.test(v) || IPV6.test(v);

export const ip: Validator<string> = make((v, at) => (typeof v === 'string' && isIpAddress(v) ? null : `${at} must be an IP address, got ${preview(v)}`));

export const time: Validator<string> = make((v, at) =>
  typeof v === 'string' && v.length <= 64 && !Number.isNaN(Date.parse(v)) ? null : `${at} must be a timestamp, got ${preview(v)}`);

export const nullable = <T>(inner: Validator<T>): Validator<T | null> => make((v, at) => (v === null ? null : inner(v, at)));

export function list<T>(item: Validator<T>, opts: { min?: number; max?: number; unique?: (item: T) => string } = {}): Validator<T[]> {
  const { min = 0, max = 100_000, unique } = opts;
  return make((v, at) => {
    if (!Array.isArray(v)) return `${at} must be a list, got ${preview(v)}`;
    if (v.length < min) return min === 1 ? `${at} must not be empty` : `${at} must have at least ${min} items`;
    if (v.length > max) return `${at} must have at most ${max} items`;
    for (let i = 0; i < v.length; i++) {
      const problem = item(v[i], `${at}[${i}]`);
      if (problem) return problem;
    }
    if (unique) {
      const seen = new Set<string>();
      for (let i = 0; i < v.length; i++) {
        const key = unique(v[i] as T);
        if (seen.has(key)) return `${at}[${i}] repeats ${preview(key)}`;
        seen.add(key);
      }
    }
    return null;
  });
}

export function oneOrList<T>(item: Validator<T>, opts: { min?: number; max?: number } = {}): Validator<T | T[]> {
  const many = list(item, opts);
  return make((v, at) => (Array.isArray(v) ? many(v, at) : item(v, at)));
}

export function record<T>(value: Validator<T>, opts: { max?: number } = {}): Validator<Record<string, T>> {
  const { max = 100_000 } = opts;
  return make((v, at) => {
    if (!isObject(v)) return `${at} must be an object, got ${preview(v)}`;
    const keys = Object.keys(v);
    if (keys.length > max) return `${at} must have at most ${max} keys`;
    for (const k of keys) {
      const problem = value(v[k], field(at, k));
      if (problem) return problem;
    }
    return null;
  });
}

/** The path of a field: "targets[0].port", or "port" at the top (at = ""). */
const field = (at: string, key: string): string => (at ? `${at}.${key}` : key);

/** A validator that also accepts "absent"; the brand tells object() to make its key optional in the type. */
interface Optional<T> extends Validator<T | undefined> {
  /** Type brand only; never set. */
  readonly __optional: true;
}

export const optional = <T>(inner: Validator<T>): Optional<T> => make<T | undefined>((x, at) => (x === undefined ? null : inner(x, at))) as Optional<T>;

type Shape = Record<string, Validator<unknown>>;
type OptionalKeys<S extends Shape> = { [K in keyof S]: S[K] extends { readonly __optional: true } ? K : never }[keyof S];
type Flatten<T> = { [K in keyof T]: T[K] };
export type ObjectOf<S extends Shape> = Flatten<
  { [K in Exclude<keyof S, OptionalKeys<S>>]: Infer<S[K]> } & { [K in OptionalKeys<S>]?: Exclude<Infer<S[K]>, undefined> }
>;

export function object<S extends Shape>(shape: S, opts: { open?: boolean; listKnown?: boolean; see?: string } = {}): Validator<ObjectOf<S>> {
  const keys = Object.keys(shape);
  const known = new Set(keys);
  const help = [opts.listKnown ? `known: ${keys.join(', ')}` : '', opts.see ? `see ${opts.see}` : ''].filter(Boolean).join('; ');
  return make((v, at) => {
    if (!isObject(v)) return `${at} must be an object, got ${preview(v)}`;
    for (const k of keys) {
      const problem = (shape[k] as Validator<unknown>)(v[k], field(at, k));
      if (problem) return problem;
    }
    if (!opts.open) {
      const extra = Object.keys(v).find((k) => !known.has(k));
      if (extra !== undefined) return `${at ? `${at} has an unknown field` : 'unknown field'} ${preview(extra)}${help ? ` (${help})` : ''}`;
    }
    return null;
  });
}

/** `inner`, then `test` over the value it accepted; `test` returns a problem (without `at`) or null. */
export const refine = <T>(inner: Validator<T>, test: (value: T) => string | null): Validator<T> =>
  make((v, at) => {
    const problem = inner(v, at);
    if (problem) return problem;
    const extra = test(v as T);
    return extra === null ? null : `${at} ${extra}`;
  });

/** A rule of its own: `test` returns a problem without `at` or null. */
export const custom = <T>(test: (value: unknown) => string | null): Validator<T> =>
  make((v, at) => {
    const problem = test(v);
    return problem === null ? null : at ? `${at} ${problem}` : problem;
  });

/** `inner`, then the validator `next` picks from the value it accepted, over the same value and path. */
export const then = <T, U>(inner: Validator<T>, next: (value: T) => Validator<U>): Validator<T & U> =>
  make((v, at) => inner(v, at) ?? next(v as T)(v, at));

export const is = <T>(v: Validator<T>, value: unknown): value is T => v(value, '') === null;

/** The items `v` accepts, and one problem per item it refuses (at `at[i]`): for reading leniently. */
export function sift<T>(v: Validator<T>, items: readonly unknown[], at: string): { valid: T[]; problems: string[] } {
  const valid: T[] = [];
  const problems: string[] = [];
  items.forEach((item, i) => {
    const problem = v(item, `${at}[${i}]`);
    if (problem === null) valid.push(item as T);
    else problems.push(problem);
  });
  return { valid, problems };
}
