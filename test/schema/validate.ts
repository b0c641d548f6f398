// The published JSON Schemas (schema/*.json, docs/contracts.md) compiled once with ajv (draft 2020-12,
// strict), for tests: expectValidOutput() is what every e2e test calls on the `-o json` it reads.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';

export const SCHEMA_FILES = {
  plan: 'schema/probe-plan.v1.json',
  report: 'schema/probe-report.v1.json',
  check: 'schema/check-output.v1.json',
  fleet: 'schema/fleet-output.v1.json',
  doctor: 'schema/doctor-report.v1.json',
  config: 'schema/config.v1.json',
  history: 'schema/history.v2.json',
} as const;

export type SchemaName = keyof typeof SCHEMA_FILES;

const schemaUrl = (name: SchemaName): URL => new URL(`../../${SCHEMA_FILES[name]}`, import.meta.url);

export const loadSchema = (name: SchemaName): Record<string, unknown> => JSON.parse(readFileSync(schemaUrl(name), 'utf8')) as Record<string, unknown>;

let ajv: Ajv2020 | undefined;
const compiled = new Map<SchemaName, ValidateFunction>();

function validator(name: SchemaName): ValidateFunction {
  let fn = compiled.get(name);
  if (fn) return fn;
  if (!ajv) {
    // strict: unknown keywords, formats and ambiguous types in a schema are errors, not silently ignored;
    // strictRequired would also reject the CheckReport's if/then, whose `required` names root properties.
    ajv = new Ajv2020({ strict: true, strictRequired: false, allErrors: true });
    for (const n of Object.keys(SCHEMA_FILES) as SchemaName[]) ajv.addSchema(loadSchema(n));
  }
  fn = ajv.getSchema(loadSchema(name).$id as string);
  if (!fn) throw new Error(`schema ${SCHEMA_FILES[name]} did not compile`);
  compiled.set(name, fn);
  return fn;
}

const describeErrors = (errors: ErrorObject[] | null | undefined): string =>
  (errors ?? []).slice(0, 5).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`).join('; ');

/** null when `doc` is valid against the named schema, otherwise ajv's first errors in one line. */
export function schemaProblem(name: SchemaName, doc: unknown): string | null {
  const fn = validator(name);
  return fn(doc) ? null : describeErrors(fn.errors);
}

/** The CLI's `-o json` document (a CheckReport, a FleetReport over several contexts, doctor's DoctorReport) must match its schema. */
export function expectValidOutput(json: unknown): void {
  const kind = typeof json === 'object' && json !== null ? (json as { kind?: unknown }).kind : undefined;
  const name: SchemaName = kind === 'FleetReport' ? 'fleet' : kind === 'DoctorReport' ? 'doctor' : 'check';
  const problem = schemaProblem(name, json);
  assert.equal(problem, null, `-o json does not match ${SCHEMA_FILES[name]}: ${problem}`);
}
