// Answer normalization, exactly as documented on Expectation in contract.ts, so that answers from any
// server and values written by humans in a plan compare as plain strings.
import type { Answer } from 'dns-packet';
import type { RecordType } from './contract.ts';

/** Lowercase, without the trailing dot: how names are compared (DNS names are case-insensitive). */
export function normalizeName(name: string): string {
  const lower = name.toLowerCase();
  return lower.length > 1 && lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/** RFC 5952 text for an IPv6 address (lowercase, longest zero run compressed); other text as is. */
export function canonicalIpv6(address: string): string {
  if (!address.includes(':')) return address;
  try {
    return new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return address.toLowerCase();
  }
}

/** A value from a plan's expectation in the form answers are compared in. */
export function normalizeValue(type: RecordType, value: string): string {
  const trimmed = value.trim();
  switch (type) {
    case 'A':
      return trimmed;
    case 'AAAA':
      return canonicalIpv6(trimmed);
    case 'CNAME':
    case 'PTR':
      return normalizeName(trimmed);
    case 'SRV': {
      const [port, target] = trimmed.split(/\s+/);
      return target === undefined ? trimmed : `${port} ${normalizeName(target)}`;
    }
    case 'TXT':
      return value;
  }
}

function txtText(data: unknown): string {
  const parts = Array.isArray(data) ? data : [data];
  return parts.map((p) => (Buffer.isBuffer(p) ? p.toString('utf8') : String(p))).join('');
}

/** The normalized answers of the queried type; other records (a CNAME before an A, OPT …) are left out. */
export function normalizeAnswers(type: RecordType, answers: readonly Answer[]): string[] {
  const out: string[] = [];
  for (const a of answers) {
    if (a.type !== type) continue;
    switch (a.type) {
      case 'A':
        out.push(a.data);
        break;
      case 'AAAA':
        out.push(canonicalIpv6(a.data));
        break;
      case 'CNAME':
      case 'PTR':
        out.push(normalizeName(a.data));
        break;
      case 'SRV':
        out.push(`${a.data.port} ${normalizeName(a.data.target)}`);
        break;
      case 'TXT':
        out.push(txtText(a.data));
        break;
    }
  }
  return out;
}
