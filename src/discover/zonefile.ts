// Reads the records a CoreDNS `file` zone (RFC 1035 master file) or a `hosts` file holds, so the plan
// can ask each pod for them. Pure. Only what the checks compare is kept: A, AAAA, CNAME, TXT, SRV, PTR
// in the normalized text form of src/probe/contract.ts (Expectation); other types are skipped.
import type { RecordType } from '../probe/contract.ts';

export interface ZoneRecord {
  /** Fully qualified, lowercase, without the trailing dot. */
  name: string;
  type: RecordType;
  /** Normalized answer text: "192.168.1.3", "host.example.com", "443 api.example.com". */
  value: string;
}

const KEPT = new Set<string>(['A', 'AAAA', 'CNAME', 'TXT', 'SRV', 'PTR']);
const ALL_TYPES = new Set([...KEPT, 'SOA', 'NS', 'MX', 'CAA', 'DS', 'DNSKEY', 'RRSIG', 'NSEC', 'HINFO', 'SPF', 'NAPTR']);
const CLASSES = new Set(['IN', 'CH', 'HS']);
const isTtl = (w: string) => /^\d+[smhdw]?$/i.test(w);

const strip = (n: string) => n.replace(/\.$/, '').toLowerCase();

/** "host" in origin example.com → "host.example.com"; "@" → the origin; "x." stays absolute. */
function qualify(name: string, origin: string): string {
  if (name === '@') return origin;
  if (name.endsWith('.')) return strip(name);
  return origin === '' ? name.toLowerCase() : `${name.toLowerCase()}.${origin}`;
}

/** Logical lines: comments removed, parenthesized continuations joined; keeps whether a line began with blank. */
function logicalLines(text: string): { words: string[]; continued: boolean }[] {
  const out: { words: string[]; continued: boolean }[] = [];
  let pending: { words: string[]; continued: boolean } | null = null;
  let depth = 0;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/;.*$/, '');
    const words: string[] = [];
    for (const t of line.match(/"[^"]*"|[()]|[^\s()]+/g) ?? []) {
      if (t === '(') depth++;
      else if (t === ')') depth--;
      else words.push(t);
    }
    if (pending) pending.words.push(...words);
    else if (words.length > 0) pending = { words, continued: /^\s/.test(line) };
    if (pending && depth <= 0) {
      depth = 0;
      out.push(pending);
      pending = null;
    }
  }
  if (pending) out.push(pending);
  return out;
}

/** The records of a master file for `zone`. Never throws: lines it cannot read are skipped. */
export function parseZoneFile(text: string, zone: string): ZoneRecord[] {
  let origin = strip(zone === '.' ? '' : zone);
  let previous = origin;
  const records: ZoneRecord[] = [];
  for (const { words, continued } of logicalLines(text)) {
    if (words[0] === '$ORIGIN' && words[1]) {
      origin = qualify(words[1], origin);
      continue;
    }
    if (words[0]!.startsWith('$')) continue; // $TTL, $INCLUDE (a file outside the ConfigMap)
    let rest = words;
    if (!continued) {
      previous = qualify(words[0]!, origin);
      rest = words.slice(1);
    }
    while (rest.length > 0 && (isTtl(rest[0]!) || CLASSES.has(rest[0]!.toUpperCase()))) rest = rest.slice(1);
    const type = rest[0]?.toUpperCase();
    if (!type || !ALL_TYPES.has(type) || !KEPT.has(type)) continue;
    const data = rest.slice(1);
    const value = recordValue(type, data, origin);
    if (value !== null) records.push({ name: previous, type: type as RecordType, value });
  }
  return records;
}

function recordValue(type: string, data: string[], origin: string): string | null {
  switch (type) {
    case 'A':
    case 'AAAA':
      return data[0] ? data[0].toLowerCase() : null;
    case 'CNAME':
    case 'PTR':
      return data[0] ? qualify(data[0], origin) : null;
    case 'SRV':
      // priority weight port target; the contract compares "port target".
      return data.length >= 4 ? `${data[2]} ${qualify(data[3]!, origin)}` : null;
    case 'TXT':
      return data.length ? data.map((s) => s.replace(/^"|"$/g, '')).join('') : null;
    default:
      return null;
  }
}

/** Entries of a hosts file (or a hosts plugin block): "IP name…" lines as A/AAAA records. */
export function parseHosts(lines: string[]): ZoneRecord[] {
  const records: ZoneRecord[] = [];
  for (const raw of lines) {
    const [ip, ...names] = raw.replace(/#.*$/, '').trim().split(/\s+/);
    if (!ip || names.length === 0 || !/^[0-9a-f:.]+$/i.test(ip) || !(ip.includes('.') || ip.includes(':'))) continue;
    const type: RecordType = ip.includes(':') ? 'AAAA' : 'A';
    for (const name of names) records.push({ name: strip(name), type, value: ip.toLowerCase() });
  }
  return records;
}
