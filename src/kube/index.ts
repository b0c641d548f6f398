// The kube module's public surface: plain data, a counted client, typed errors.
export { connect, DEFAULT_REQUEST_TIMEOUT_MS, type Connection } from './client.ts';
export { contextNames } from './config.ts';
export { KubeError, type KubeErrorKind } from './errors.ts';
export { interruptibleClient, signalOf } from './interruptible.ts';
export type * from './types.ts';
