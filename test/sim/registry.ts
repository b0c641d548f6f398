// Image pulls as a node's containerd meets registries: per registry host an outcome a test switches on
// (faults.registry), answered with containerd's own words, which kubelet puts in ErrImagePull's message:
//  - rate-limited: Docker Hub's anonymous limit (docs.docker.com/docker-hub/usage/), HTTP 429 with
//    `toomanyrequests`;
//  - unauthorized: a private registry without credentials, `pull access denied … authorization failed`;
//  - unreachable: an air-gapped node, `dial tcp: lookup <host>: no such host`.
// Images the sim cannot play (no stand-in, no image `make images` built) and faults.unpullableImage ones
// fail as a missing repository.
import { imageRepository } from './images.ts';

export const REGISTRY_OUTCOMES = ['rate-limited', 'unauthorized', 'unreachable'] as const;
export type RegistryOutcome = (typeof REGISTRY_OUTCOMES)[number];

/** The reference containerd resolves: "node:22" → "docker.io/library/node:22". */
export function fullReference(image: string): string {
  const first = image.split('/')[0]!;
  const hasHost = image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (hasHost) return image;
  return `docker.io/${image.includes('/') ? image : `library/${image}`}`;
}

export const registryHost = (image: string): string => fullReference(image).split('/')[0]!;

/** Why this image cannot be pulled now (containerd's message), or undefined when it pulls. */
export function pullFailure(image: string, playable: boolean, registries: ReadonlyMap<string, RegistryOutcome>, unpullable: ReadonlySet<string>): string | undefined {
  const ref = fullReference(image);
  const host = registryHost(image);
  const repo = ref.replace(/^[^/]+\//, '').replace(/[:@].*$/, '');
  const tag = /:([^/:@]+)$/.exec(ref)?.[1] ?? 'latest';
  const registryApi = host === 'docker.io' ? 'registry-1.docker.io' : host;
  switch (registries.get(host)) {
    case 'rate-limited':
      return `failed to pull and unpack image "${ref}": failed to copy: httpReadSeeker: failed open: unexpected status code https://${registryApi}/v2/${repo}/manifests/${tag}: 429 Too Many Requests - Server message: toomanyrequests: You have reached your unauthenticated pull rate limit. https://www.docker.com/increase-rate-limit`;
    case 'unauthorized':
      return `failed to pull and unpack image "${ref}": failed to resolve reference "${ref}": pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed`;
    case 'unreachable':
      return `failed to pull and unpack image "${ref}": failed to resolve reference "${ref}": failed to do request: Head "https://${registryApi}/v2/${repo}/manifests/${tag}": dial tcp: lookup ${registryApi}: no such host`;
    default:
      if (playable && !unpullable.has(image) && !unpullable.has(imageRepository(image))) return undefined;
      return `failed to pull and unpack image "${ref}": failed to resolve reference "${ref}": pull access denied, repository does not exist or may require authorization`;
  }
}
