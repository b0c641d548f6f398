// The probe's version, printed by --version and in every report: package.json's, baked into the bundle
// by esbuild at build time (scripts/build.mjs); the probe never reads package.json at run time.
import pkg from '../../package.json' with { type: 'json' };

export const PROBE_VERSION: string = pkg.version;

interface SemVer {
  core: [number, number, number];
  pre: string[];
}

function parseSemVer(v: string): SemVer | null {
  const m = /^v?(\d{1,9})\.(\d{1,9})\.(\d{1,9})(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/.exec(v.trim());
  if (!m) return null;
  return { core: [Number(m[1]), Number(m[2]), Number(m[3])], pre: m[4] ? m[4].split('.') : [] };
}

/** Semantic Versioning 2.0.0 §11 precedence: negative when a is older than b. */
export function compareSemVer(a: string, b: string): number | null {
  const x = parseSemVer(a);
  const y = parseSemVer(b);
  if (!x || !y) return null;
  for (let i = 0; i < 3; i++) if (x.core[i] !== y.core[i]) return (x.core[i] as number) - (y.core[i] as number);
  // A pre-release is older than its release; otherwise identifiers compare one by one.
  if (!x.pre.length || !y.pre.length) return y.pre.length - x.pre.length;
  for (let i = 0; i < Math.min(x.pre.length, y.pre.length); i++) {
    const [p, q] = [x.pre[i] as string, y.pre[i] as string];
    if (p === q) continue;
    const [pn, qn] = [/^\d+$/.test(p), /^\d+$/.test(q)];
    if (pn && qn) return Number(p) - Number(q);
    if (pn !== qn) return pn ? -1 : 1;
    return p < q ? -1 : 1;
  }
  return x.pre.length - y.pre.length;
}

/**
 * One line for the report when the probe that ran (its report's probeVersion) is older than this CLI —
 * a dedicated probe image of an earlier release — or its version cannot be read; null when it is as
 * new or newer. Pure.
 */
export function probeVersionNote(cliVersion: string, reportVersion: string): string | null {
  const order = compareSemVer(reportVersion, cliVersion);
  if (order === null)
    return `the probe reports version ${JSON.stringify(reportVersion.slice(0, 40))}, which is not a release version; this CLI is ${cliVersion}: use the probe image of the same release (--probe-image)`;
  if (order >= 0) return null;
  return `the probe image is older than this CLI (probe ${reportVersion}, CLI ${cliVersion}): its checks may lack what this release added; use the probe image of the same release (--probe-image)`;
}
