// The kube module's public surface: plain data, a counted client, typed errors.
export { connect, type Connection } from './client.ts';
export { KubeError, type KubeErrorKind } from './errors.ts';
export type * from './types.ts';
