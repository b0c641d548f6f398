// Rewrites the two RBAC blocks of docs/ci.md from manifests/rbac-check.yaml and rbac-repair.yaml with
// the CI namespace set, after a manifest changed (test/ecosystem/ci-docs.test.ts fails until then).
import { readFileSync, writeFileSync } from 'node:fs';

const NS = 'coredns-sentinel';
// The manifests' leading comments speak of the placeholder; the docs say it in prose.
const body = (file) => readFileSync(file, 'utf8').replaceAll('NAMESPACE_OF_PROBES', NS).replace(/^(#[^\n]*\n)+/, '').trimEnd();
const doc = readFileSync('docs/ci.md', 'utf8');
const blocks = [...doc.matchAll(/^~~~ yaml\n[\s\S]*?^~~~$/gm)];
const [check, repair] = blocks;
const checkHead = check[0].slice(0, check[0].indexOf('\n---\n', check[0].indexOf('kind: Secret')) + 1);
const next = doc.slice(0, check.index) + `${checkHead}${body('manifests/rbac-check.yaml')}\n~~~` + doc.slice(check.index + check[0].length, repair.index) + `~~~ yaml\n${body('manifests/rbac-repair.yaml')}\n~~~` + doc.slice(repair.index + repair[0].length);
writeFileSync('docs/ci.md', next);
