/**
 * Request ids: a caller's `x-request-id` is kept when it is a sane token,
 * otherwise one is generated; every response echoes it.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:@-]{1,128}$/;

/** requestIdFrom keeps a given `x-request-id` value when it is a sane token, else makes a new one. */
export function requestIdFrom(given: unknown): string {
  return typeof given === 'string' && SAFE_REQUEST_ID.test(given) ? given : randomUUID();
}

/** genRequestId is fastify's `genReqId`. */
export function genRequestId(req: IncomingMessage): string {
  return requestIdFrom(req.headers['x-request-id']);
}
