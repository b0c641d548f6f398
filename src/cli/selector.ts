// Label selectors parsed locally, with the grammar of k8s.io/apimachinery labels.Parse, so a typo is
// exit 2 with the parse error instead of a 400 from the API server. Pure.
//   selector    = requirement ( "," requirement )*
//   requirement = [!]KEY | KEY ( "=" | "==" | "!=" ) VALUE | KEY ( ">" | "<" ) INTEGER
//               | KEY ( "in" | "notin" ) "(" VALUE ( "," VALUE )* ")"
// KEY: [prefix/]name — prefix a DNS subdomain (≤ 253), name ≤ 63 of [A-Za-z0-9._-], alphanumeric at both
// ends; VALUE: empty or like a name.

const NAME = /^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/;
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function keyProblem(key: string): string | undefined {
  const slash = key.indexOf('/');
  const [prefix, name] = slash === -1 ? [undefined, key] : [key.slice(0, slash), key.slice(slash + 1)];
  if (prefix !== undefined && (prefix.length > 253 || !SUBDOMAIN.test(prefix))) return `key prefix "${prefix}" must be a DNS subdomain`;
  if (!NAME.test(name)) return `key "${key}" must be 1–63 characters of letters, digits, '-', '_' or '.', starting and ending with a letter or digit`;
  return undefined;
}

const valueProblem = (v: string) => (v === '' || NAME.test(v) ? undefined : `value "${v}" must be at most 63 characters of letters, digits, '-', '_' or '.', starting and ending with a letter or digit`);

/** Splits on commas outside parentheses. */
function requirements(text: string): string[] | string {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')') depth--;
    if (depth < 0 || depth > 1) return 'unbalanced parentheses';
    if (text[i] === ',' && depth === 0) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  if (depth !== 0) return 'unbalanced parentheses';
  out.push(text.slice(start));
  return out;
}

function requirementProblem(req: string): string | undefined {
  const r = req.trim();
  if (!r) return 'empty requirement (a stray comma?)';
  let m = /^!\s*(\S+)$/.exec(r);
  if (m) return keyProblem(m[1]!);
  m = /^([^\s=!(),]+)\s+(in|notin)\s*\(([^()]*)\)$/.exec(r);
  if (m) {
    const values = m[3]!.split(',').map((v) => v.trim());
    if (values.length === 1 && values[0] === '') return `"${m[2]}" needs at least one value`;
    return keyProblem(m[1]!) ?? values.map(valueProblem).find(Boolean);
  }
  m = /^([^\s=!(),<>]+)\s*([<>])\s*(\S*)$/.exec(r);
  if (m) return keyProblem(m[1]!) ?? (/^-?\d+$/.test(m[3]!) ? undefined : `"${m[2]}" needs an integer, got "${m[3]}"`);
  m = /^([^\s=!(),]+)\s*(==|=|!=)\s*([^\s=!(),]*)$/.exec(r);
  if (m) return keyProblem(m[1]!) ?? valueProblem(m[3]!);
  if (/^[^\s=!(),]+$/.test(r)) return keyProblem(r);
  return `cannot parse "${r}"`;
}

/** undefined when the selector is valid; otherwise why not, one line. */
export function labelSelectorProblem(selector: string): string | undefined {
  if (!selector.trim()) return 'must not be empty';
  const reqs = requirements(selector);
  if (typeof reqs === 'string') return reqs;
  return reqs.map(requirementProblem).find(Boolean);
}
