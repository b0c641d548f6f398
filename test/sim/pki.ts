// Certificates and kubeconfigs for the simulated API server: a throwaway CA and a server certificate
// for one loopback address, made with openssl (ECDSA P-256 keeps it to a few tens of ms).
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';

const run = promisify(execFile);

export interface Pki {
  caPath: string;
  certPath: string;
  keyPath: string;
  caPem: string;
  certPem: string;
  keyPem: string;
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** Makes ca.crt/ca.key and server.crt/server.key in `dir`; the server cert names IP:<address>. */
export async function makePki(dir: string, address: string): Promise<Pki> {
  const p = (f: string) => join(dir, f);
  await run('openssl', [
    'req', '-x509', ...EC_KEY, '-keyout', p('ca.key'), '-out', p('ca.crt'), '-days', '7',
    '-subj', '/CN=sim-kubernetes-ca', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  // openssl 3 signs with the CA in one step: `req -x509 -CA`.
  await run('openssl', [
    'req', '-x509', ...EC_KEY, '-keyout', p('server.key'), '-out', p('server.crt'), '-days', '7',
    '-subj', '/CN=kube-apiserver', '-CA', p('ca.crt'), '-CAkey', p('ca.key'),
    '-addext', `subjectAltName=IP:${address},DNS:localhost,DNS:kubernetes,DNS:kubernetes.default.svc`,
    '-addext', 'extendedKeyUsage=serverAuth', '-addext', 'basicConstraints=critical,CA:FALSE',
  ]);
  const [caPem, certPem, keyPem] = await Promise.all(['ca.crt', 'server.crt', 'server.key'].map((f) => readFile(p(f), 'utf8')));
  return { caPath: p('ca.crt'), certPath: p('server.crt'), keyPath: p('server.key'), caPem: caPem!, certPem: certPem!, keyPem: keyPem! };
}

/**
 * A client certificate as kubeadm issues admin.conf's: CN the user name, O each group
 * (kubernetes.io/docs/reference/access-authn-authz/authentication/#x509-client-certificates).
 */
export async function makeClientCert(dir: string, name: string, groups: string[]): Promise<{ certPem: string; keyPem: string }> {
  const p = (f: string) => join(dir, f);
  const subject = `${groups.map((g) => `/O=${g}`).join('')}/CN=${name}`;
  await run('openssl', [
    'req', '-x509', ...EC_KEY, '-keyout', p(`${name}.key`), '-out', p(`${name}.crt`), '-days', '7', '-multivalue-rdn',
    '-subj', subject, '-CA', p('ca.crt'), '-CAkey', p('ca.key'),
    '-addext', 'extendedKeyUsage=clientAuth', '-addext', 'basicConstraints=critical,CA:FALSE',
  ]);
  const [certPem, keyPem] = await Promise.all([`${name}.crt`, `${name}.key`].map((f) => readFile(p(f), 'utf8')));
  return { certPem: certPem!, keyPem: keyPem! };
}

export interface KubeconfigSpec {
  server: string;
  caPem: string;
  user: string;
  /** A bearer token, or a client certificate and key. */
  token?: string;
  client?: { certPem: string; keyPem: string };
  clusterName?: string;
}

/** A kubeconfig with one cluster, one user (token or client certificate) and one context, which is the current one. */
export function kubeconfigYaml(spec: KubeconfigSpec): string {
  const cluster = spec.clusterName ?? 'sim';
  const context = `${spec.user}@${cluster}`;
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: cluster, cluster: { server: spec.server, 'certificate-authority-data': Buffer.from(spec.caPem).toString('base64') } }],
    users: [{ name: spec.user, user: spec.client ? { 'client-certificate-data': Buffer.from(spec.client.certPem).toString('base64'), 'client-key-data': Buffer.from(spec.client.keyPem).toString('base64') } : { token: spec.token } }],
    contexts: [{ name: context, context: { cluster, user: spec.user } }],
    'current-context': context,
    preferences: {},
  });
}

/** Synchronous so that adding a user stays a plain call. */
export function writeKubeconfig(path: string, spec: KubeconfigSpec): string {
  writeFileSync(path, kubeconfigYaml(spec), { mode: 0o600 });
  return path;
}
