// The client's view, from inside the probe pod: applications do not query pod IPs, they resolve through
// /etc/resolv.conf with search domains and ndots:5, and glibc and musl send A and AAAA at once from
// one UDP socket — how the conntrack insertion race on a node turns into 5 s stalls through the
// Service IP (never through pod IPs). Two measurements:
//  - a short name resolved through the pod's search path (every candidate asked, A and AAAA), and the
//    queries a glibc and a musl lookup would cost, from the answers;
//  - bursts of A+AAAA pairs, each pair from a new socket as a resolver opens one per lookup, to the
//    Service IP and to each pod IP: answered at first, only after the one retry, or never.
import dgram from 'node:dgram';
import net from 'node:net';
import { readFile } from 'node:fs';
import type { ClientViewBurst, ClientViewCheck, ClientViewResult, Rcode, Target } from './contract.ts';
import { decodeOrNull, encodeQuery } from './dns.ts';

export interface ResolvConf {
  nameservers: string[];
  search: string[];
  ndots: number;
}

/** resolv(5): nameserver and search lines (the last search line wins), options ndots:N (default 1). Pure. */
export function parseResolvConf(text: string): ResolvConf {
  const conf: ResolvConf = { nameservers: [], search: [], ndots: 1 };
  for (const raw of text.split('\n')) {
    const [key, ...rest] = raw.replace(/[#;].*$/, '').trim().split(/\s+/);
    if (key === 'nameserver' && rest[0]) conf.nameservers.push(rest[0]);
    else if (key === 'search' || key === 'domain') conf.search = rest.filter(Boolean);
    else if (key === 'options')
      for (const o of rest) {
        const m = /^ndots:(\d+)$/.exec(o);
        if (m) conf.ndots = Math.min(15, Number(m[1]));
      }
  }
  return conf;
}

/** The names a stub resolver tries, in order: the search list first when the name has fewer than ndots dots. Pure. */
export function candidates(name: string, conf: ResolvConf): string[] {
  if (name.endsWith('.')) return [name.slice(0, -1)];
  const dots = name.split('.').length - 1;
  const searched = conf.search.map((d) => `${name}.${d}`);
  return dots < conf.ndots ? [...searched, name] : [name, ...searched];
}

export interface CandidateAnswer {
  name: string;
  /** rcode and number of answers of the A and the AAAA query; null rcode when no answer came. */
  a: { rcode: Rcode | null; answers: number };
  aaaa: { rcode: Rcode | null; answers: number };
}

const found = (c: CandidateAnswer) => c.a.answers > 0 || c.aaaa.answers > 0;

/**
 * Queries a lookup costs, two per candidate tried (A and AAAA together). glibc goes on past NXDOMAIN
 * and past an empty NOERROR, and stops at the first candidate with an address; musl stops at the first
 * candidate that is not NXDOMAIN, with or without an address. Pure.
 */
export function lookupCost(tried: CandidateAnswer[]): { glibc: number; musl: number; answeredAs: string | null } {
  const glibcAt = tried.findIndex(found);
  const muslAt = tried.findIndex((c) => c.a.rcode !== 'NXDOMAIN' || c.aaaa.rcode !== 'NXDOMAIN');
  return {
    glibc: 2 * (glibcAt === -1 ? tried.length : glibcAt + 1),
    musl: 2 * (muslAt === -1 ? tried.length : muslAt + 1),
    answeredAs: glibcAt === -1 ? null : tried[glibcAt]!.name,
  };
}

interface Sent {
  buf: Buffer;
  answered: 'first' | 'retry' | null;
}

/** One lookup's A and AAAA from one new socket; each unanswered query is sent again once after `retryAfterMs`. */
function pair(address: string, port: number, name: string, retryAfterMs: number): Promise<{ first: number; retry: number; lost: number; rcodes: { a: CandidateAnswer['a']; aaaa: CandidateAnswer['aaaa'] } }> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket(net.isIPv6(address) ? 'udp6' : 'udp4');
    const ids = [Math.floor(Math.random() * 0x10000), 0];
    ids[1] = (ids[0]! + 1) % 0x10000;
    const sent: Sent[] = (['A', 'AAAA'] as const).map((type, i) => ({ buf: encodeQuery(ids[i]!, { name, type }, 1232), answered: null }));
    const rcodes = { a: { rcode: null as Rcode | null, answers: 0 }, aaaa: { rcode: null as Rcode | null, answers: 0 } };
    let phase: 'first' | 'retry' = 'first';
    let timer: NodeJS.Timeout;
    const finish = () => {
      clearTimeout(timer);
      socket.close();
      const count = (w: Sent['answered']) => sent.filter((s) => s.answered === w).length;
      resolve({ first: count('first'), retry: count('retry'), lost: count(null), rcodes });
    };
    socket.on('message', (msg) => {
      const p = decodeOrNull(msg);
      const i = p?.id === undefined ? -1 : ids.indexOf(p.id);
      if (!p || i === -1 || sent[i]!.answered) return;
      sent[i]!.answered = phase;
      const typed = (p.answers ?? []).filter((a) => a.type === (i === 0 ? 'A' : 'AAAA')).length;
      // dns-packet decodes the rcode without declaring it in its types.
      rcodes[i === 0 ? 'a' : 'aaaa'] = { rcode: (p as typeof p & { rcode?: Rcode }).rcode ?? 'NOERROR', answers: typed };
      if (sent.every((s) => s.answered)) finish();
    });
    socket.on('error', finish);
    socket.connect(port, address, () => {
      for (const s of sent) socket.send(s.buf);
      timer = setTimeout(() => {
        phase = 'retry';
        for (const s of sent.filter((x) => !x.answered)) socket.send(s.buf);
        timer = setTimeout(finish, retryAfterMs);
      }, retryAfterMs);
    });
  });
}

async function burst(target: Target, name: string, check: ClientViewCheck, port: number): Promise<ClientViewBurst> {
  // Every pair at once, each from its own socket: every one is a new conntrack entry on the node.
  const pairs = await Promise.all(Array.from({ length: check.pairs }, () => pair(target.address, port, name, check.retryAfterMs)));
  const sum = (k: 'first' | 'retry' | 'lost') => pairs.reduce((n, p) => n + p[k], 0);
  return { targetId: target.id, queries: 2 * check.pairs, firstTry: sum('first'), afterRetry: sum('retry'), lost: sum('lost') };
}

export async function runClientView(check: ClientViewCheck, targets: readonly Target[], resolvConfPath = '/etc/resolv.conf'): Promise<ClientViewResult> {
  // fs's callback API: node:fs/promises would be one more module in the probe's memory.
  const conf = parseResolvConf(await new Promise<string>((resolve) => readFile(resolvConfPath, 'utf8', (err, text) => resolve(err ? '' : text))));
  const server = conf.nameservers[0];
  const tried: CandidateAnswer[] = [];
  if (server) {
    for (const name of candidates(check.shortName, conf)) {
      const { rcodes } = await pair(server, 53, name, check.retryAfterMs);
      tried.push({ name, ...rcodes });
    }
  }
  const cost = lookupCost(tried);
  // Bursts ask the name the lookup resolved to (or, without one, the short name made absolute).
  const fqdn = cost.answeredAs ?? check.shortName;
  const bursts = await Promise.all(targets.map((t) => burst(t, fqdn, check, t.port)));
  return {
    resolvConf: conf,
    lookup: { name: check.shortName, tried: tried.map((t) => ({ name: t.name, a: t.a.rcode, aaaa: t.aaaa.rcode })), answeredAs: cost.answeredAs, glibcQueries: cost.glibc, muslQueries: cost.musl },
    bursts,
  };
}
