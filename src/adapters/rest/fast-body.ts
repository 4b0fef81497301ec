/**
 * Request bodies on the REST fast path (fast-path.ts): a PATCH, POST or PUT of a
 * route with a JSON body schema, whose request says `Content-Length` (within the
 * body limit) and `Content-Type: application/json`, has its body read here. Only a
 * body on the happy path — JSON that parses, is free of keys fastify's parser
 * refuses, nests no deeper than the limit and passes the route's body validator
 * (the very function fastify validates with: one shared validator compiler) — is
 * served by the fast path. Any other body is handed to fastify with its bytes
 * (body-replay.ts), which renders every error exactly as when it reads the body
 * itself: 400 bad JSON, depth or schema, 413, 415. So a body never reaches the
 * upstream unvalidated, and no error is rendered twice.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Caller } from '../../core/operation.js';
import { jsonDepthExceeds, MAX_JSON_DEPTH } from '../../security/json-depth.js';
import { BodyChunks, carryReadBody, framedWithin, parseJsonBody } from '../body-replay.js';

/** BODY_METHODS are the methods whose JSON bodies the fast path reads. */
export const BODY_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH']);

/** The JSON media types fastify's JSON parser takes (any other, and other spellings, are left to fastify's own matching). */
const JSON_MEDIA_TYPES: ReadonlySet<string> = new Set(['application/json', 'application/json; charset=utf-8', 'application/json;charset=utf-8']);

/** BodyValidator is a route's compiled body validator (validation.ts), shared with fastify. */
export type BodyValidator = (data: unknown) => boolean;

/**
 * admitsBody tells whether a request's framing lets the fast path read its body: a JSON media type and
 * a body the front may read (framedWithin); any other is fastify's.
 */
export function admitsBody(headers: IncomingHttpHeaders, limitBytes: number): boolean {
  const type = headers['content-type'];
  return type !== undefined && JSON_MEDIA_TYPES.has(type.toLowerCase()) && framedWithin(headers, limitBytes);
}

/** BodyServer is what the fast path does with a read body: serve it, or hand the request to fastify. */
export interface BodyServer<R> {
  /** serveBody runs the call with the validated `body`; returns false when its inputs cannot be collected (fastify answers). */
  serveBody(pending: PendingBody<R>, body: unknown): boolean;
  /** fallback hands the request to fastify (its response counted until it closes). */
  fallback(pending: PendingBody<R>): void;
  /** clientLeft counts a client that left before its body arrived. */
  clientLeft(pending: PendingBody<R>): void;
}

/**
 * PendingBody is a request whose body is being read: what the fast path decided before reading
 * (route, caller, CORS, the validated path/query/header parts) and the bytes so far.
 */
export class PendingBody<R> extends BodyChunks {
  /** Set once the body was handed on (served or replayed): a later 'close' is the response's. */
  settled = false;

  constructor(
    readonly server: BodyServer<R>,
    readonly route: R,
    readonly validate: BodyValidator,
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly release: () => void,
    readonly startedAt: number,
    readonly caller: Caller | undefined,
    readonly origin: string | undefined,
    readonly allowOrigin: string | undefined,
    readonly params: Record<string, unknown> | undefined,
    readonly query: Record<string, unknown> | undefined,
    readonly headers: Record<string, unknown> | undefined,
  ) {
    super();
  }
}

const kPending = Symbol('naftiko.restPendingBody');

interface PendingRequest extends IncomingMessage {
  [kPending]?: PendingBody<unknown> | undefined;
}

interface PendingResponse extends ServerResponse {
  [kPending]?: PendingBody<unknown> | undefined;
}

/** readBody starts reading `pending`'s body; it is served or handed to fastify once it ended. */
export function readBody<R>(pending: PendingBody<R>): void {
  const req = pending.req as PendingRequest;
  req[kPending] = pending as PendingBody<unknown>;
  (pending.res as PendingResponse)[kPending] = pending as PendingBody<unknown>;
  req.on('data', onBodyData);
  req.on('end', onBodyEnd);
  // A client that leaves mid-body ends nothing: the response closes (onLeftEarly). Its 'error' must not be unhandled.
  req.on('error', ignoreError);
  pending.res.on('close', onLeftEarly);
}

function onBodyData(this: PendingRequest, chunk: Buffer): void {
  (this[kPending] as PendingBody<unknown>).add(chunk);
}

function onBodyEnd(this: PendingRequest): void {
  const pending = this[kPending] as PendingBody<unknown>;
  this[kPending] = undefined;
  this.off('data', onBodyData);
  this.off('end', onBodyEnd);
  pending.res.off('close', onLeftEarly);
  (pending.res as PendingResponse)[kPending] = undefined;
  pending.settled = true;
  const body = pending.bytes();
  const value = happyBody(body, pending.validate);
  if (value !== undefined && pending.server.serveBody(pending, value)) return;
  carryReadBody(this, body);
  pending.server.fallback(pending);
}

/** happyBody is the parsed body when fastify would accept it as is (parse, poisoning, depth, schema), else undefined. */
function happyBody(body: Buffer, validate: BodyValidator): unknown {
  // Decoded as fastify decodes a body (one toString of the whole): the same text, the same replacement characters.
  const value = parseJsonBody(body.toString('utf8'));
  if (value === undefined || value === null || jsonDepthExceeds(value, MAX_JSON_DEPTH)) return undefined;
  return validate(value) ? value : undefined;
}

function onLeftEarly(this: PendingResponse): void {
  const pending = this[kPending];
  if (pending === undefined || pending.settled) return;
  this[kPending] = undefined;
  pending.settled = true;
  (pending.req as PendingRequest)[kPending] = undefined;
  pending.req.off('data', onBodyData);
  pending.req.off('end', onBodyEnd);
  pending.release();
  pending.server.clientLeft(pending);
}

function ignoreError(): void {
  // The request is dropped with its socket; the response has nothing to say.
}
