// Small HTTP helpers: JSON answers, Status answers, bodies.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SimError, type Status } from '../status.ts';

const MAX_BODY = 3 * 1024 * 1024; // the real server's limit for a request body

export function sendJson(res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function sendStatus(res: ServerResponse, status: Status): void {
  const retry = status.details?.retryAfterSeconds;
  sendJson(res, status.code, status, retry ? { 'Retry-After': String(retry) } : {});
}

/** Any thrown value as a Status: SimError as is, anything else as 500 InternalError. */
export const toStatus = (e: unknown): Status => (e instanceof SimError ? e.status : SimError.internal(e instanceof Error ? e.message : String(e)).status);

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw SimError.of(413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Decodes a JSON body; what the real server says when it cannot. */
export function parseJson(text: string, kind: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw SimError.badRequest(`${kind} in version "v1" cannot be handled as a ${kind}: ${(e as Error).message}`);
  }
}

export const successStatus = (code: number, details?: Status['details']) => ({
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Success',
  ...(details ? { details } : {}),
  code,
});
