// Compares a TypeScript type (read with the compiler API from the source) with a JSON Schema node, so
// that the published schemas cannot drift from the code: the same properties, the same required ones,
// the same enums, the same nullability, arrays of the same items, and every object closed
// (additionalProperties false). Where the code declares a wider type than it fills (a `string` that
// only ever holds a RepairMethod), `narrow` gives the values for that path.
import ts from 'typescript';

type Json = Record<string, unknown>;

export interface Schemas {
  /** Every loaded schema by its $id, for references across files. */
  byId: Map<string, Json>;
}

export type Narrowing = Record<string, readonly (string | number)[]>;

export class TypeReader {
  readonly program: ts.Program;
  readonly checker: ts.TypeChecker;

  constructor(files: string[]) {
    this.program = ts.createProgram(files, {
      strict: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      allowImportingTsExtensions: true,
      resolveJsonModule: true,
      noEmit: true,
      skipLibCheck: true,
      types: ['node'],
    });
    this.checker = this.program.getTypeChecker();
  }

  /** The type an exported interface or type alias declares. */
  exported(file: string, name: string): ts.Type {
    const source = this.program.getSourceFile(file);
    if (!source) throw new Error(`${file} is not part of the program`);
    const module = this.checker.getSymbolAtLocation(source);
    const symbol = module && this.checker.getExportsOfModule(module).find((s) => s.name === name);
    if (!symbol) throw new Error(`${file} exports no ${name}`);
    const target = symbol.flags & ts.SymbolFlags.Alias ? this.checker.getAliasedSymbol(symbol) : symbol;
    return this.checker.getDeclaredTypeOfSymbol(target);
  }

  /** The string or number literals of a union type (or of one property path inside it), sorted. */
  literals(type: ts.Type, ...path: string[]): (string | number)[] {
    let t = type;
    for (const key of path) {
      const prop = t.getProperty(key);
      if (!prop) throw new Error(`no property ${key}`);
      t = this.checker.getNonNullableType(this.checker.getTypeOfSymbol(prop));
    }
    const members = t.isUnion() ? t.types : [t];
    return members.map((m) => {
      if (m.isStringLiteral() || m.isNumberLiteral()) return m.value;
      throw new Error(`${this.checker.typeToString(t)} is not a union of literals`);
    }).sort();
  }
}

const sorted = (values: readonly unknown[]): string => JSON.stringify([...values].map((v) => (v === null ? null : v)).sort());

/** Differences between `type` and `schema`, one line each with the path; empty when they agree. */
export function compareShape(reader: TypeReader, type: ts.Type, root: Json, schemas: Schemas, narrow: Narrowing = {}): string[] {
  const { checker } = reader;
  const problems: string[] = [];

  const resolve = (node: Json, doc: Json): { node: Json; doc: Json } => {
    let n = node;
    let d = doc;
    for (let hops = 0; typeof n.$ref === 'string' && hops < 10; hops++) {
      const [base, pointer = ''] = (n.$ref as string).split('#');
      if (base) d = schemas.byId.get(base) ?? (() => { throw new Error(`unknown schema ${base}`); })();
      n = pointer.split('/').filter(Boolean).reduce<Json>((at, key) => at[key] as Json, d);
    }
    return { node: n, doc: d };
  };

  const walk = (t: ts.Type, raw: Json, doc: Json, path: string): void => {
    const { node, doc: inDoc } = resolve(raw, doc);
    const at = path || '(root)';
    const types = ([] as unknown[]).concat(node.type ?? []) as string[];
    const members = (t.isUnion() ? t.types : [t]).filter((m) => !(m.flags & ts.TypeFlags.Undefined));
    const hasNull = members.some((m) => m.flags & ts.TypeFlags.Null);
    const rest = members.filter((m) => !(m.flags & ts.TypeFlags.Null));
    const schemaNull = types.includes('null') || (Array.isArray(node.enum) && node.enum.includes(null));
    if (hasNull !== schemaNull) problems.push(`${at}: ${hasNull ? 'the type allows null, the schema does not' : 'the schema allows null, the type does not'}`);

    const isBool = rest.length > 0 && rest.every((m) => m.flags & ts.TypeFlags.BooleanLiteral);
    const literals = !isBool && rest.length > 0 && rest.every((m) => m.isStringLiteral() || m.isNumberLiteral());
    const schemaValues = node.const !== undefined ? [node.const] : Array.isArray(node.enum) ? node.enum.filter((v) => v !== null) : undefined;
    const declared = rest.length === 1 ? rest[0]! : undefined;
    const wide = declared && !literals && declared.flags & (ts.TypeFlags.String | ts.TypeFlags.Number);

    if (literals || (wide && narrow[path])) {
      const values = literals ? rest.map((m) => (m as ts.LiteralType).value) : narrow[path]!;
      if (!schemaValues) problems.push(`${at}: the code has the values ${sorted(values)}, the schema no enum`);
      else if (sorted(values) !== sorted(schemaValues)) problems.push(`${at}: the code has ${sorted(values)}, the schema ${sorted(schemaValues)}`);
      return;
    }
    if (schemaValues) {
      problems.push(`${at}: the schema has the enum ${sorted(schemaValues)}, the code a ${checker.typeToString(t)} (give its values in narrow)`);
      return;
    }
    if (isBool) {
      if (!types.includes('boolean')) problems.push(`${at}: boolean in the code, ${sorted(types)} in the schema`);
      return;
    }
    if (!declared) {
      problems.push(`${at}: the code has the union ${checker.typeToString(t)}, which this comparison does not read`);
      return;
    }
    if (declared.flags & ts.TypeFlags.String) {
      if (!types.includes('string')) problems.push(`${at}: string in the code, ${sorted(types)} in the schema`);
      return;
    }
    if (declared.flags & ts.TypeFlags.Number) {
      if (!types.includes('number') && !types.includes('integer')) problems.push(`${at}: number in the code, ${sorted(types)} in the schema`);
      return;
    }
    if (checker.isArrayType(declared)) {
      if (!types.includes('array')) problems.push(`${at}: a list in the code, ${sorted(types)} in the schema`);
      else walk(checker.getTypeArguments(declared as ts.TypeReference)[0]!, (node.items ?? {}) as Json, inDoc, `${path}[]`);
      return;
    }
    if (declared.flags & ts.TypeFlags.Object || declared.isIntersection()) {
      if (!types.includes('object')) return void problems.push(`${at}: an object in the code, ${sorted(types)} in the schema`);
      if (node.additionalProperties !== false) problems.push(`${at}: the schema does not close the object (additionalProperties false)`);
      const props = checker.getPropertiesOfType(declared);
      const schemaProps = (node.properties ?? {}) as Record<string, Json>;
      const required = new Set((node.required ?? []) as string[]);
      const names = new Set(props.map((p) => p.name));
      for (const key of Object.keys(schemaProps)) if (!names.has(key)) problems.push(`${at}: the schema has ${key}, the code does not`);
      for (const p of props) {
        const child = path ? `${path}.${p.name}` : p.name;
        if (!(p.name in schemaProps)) {
          problems.push(`${child}: in the code, not in the schema`);
          continue;
        }
        const optional = (p.flags & ts.SymbolFlags.Optional) !== 0;
        if (optional === required.has(p.name)) problems.push(`${child}: ${optional ? 'optional in the code, required in the schema' : 'required in the code, optional in the schema'}`);
        walk(checker.getTypeOfSymbol(p), schemaProps[p.name]!, inDoc, child);
      }
      return;
    }
    problems.push(`${at}: ${checker.typeToString(t)} is not a type this comparison reads`);
  };

  walk(type, root, root, '');
  return problems;
}
