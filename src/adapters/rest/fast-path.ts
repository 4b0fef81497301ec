/**
 * The REST adapter's compiled happy path: a GET (or HEAD) of a capability route
 * whose inputs are path, query and header parameters, and a PATCH, POST or PUT
 * with a JSON body (fast-body.ts), is served straight from node:http, without
 * fastify's routing, hooks and reply pipeline, which cost more CPU than the
 * forwarding itself. Everything else — a preflight, a percent-encoded path, a
 * failed check of any kind before the upstream call (a read body is handed over
 * with its bytes) — takes the fastify path, which renders every error; so the
 * fast path never answers what fastify would answer differently. It keeps what
 * fastify's path does for such a request: request id, nosniff, CORS, inbound
 * keys and scopes, input validation (the same validators), metrics, the access
 * line, client-disconnect cancellation.
 */
import { AcceptedAnswer } from '../../core/accepted.js';
import { isUtf8 } from 'node:buffer';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { FastifySchema, FastifySchemaCompiler } from 'fastify';
import { parse as parseQuery } from 'fast-querystring';
import type { Logger } from 'pino';
import { asGatewayError, GatewayError } from '../../core/errors.js';
import type { Invoker } from '../../core/invoker.js';
import type { Caller, InputValues, InvokeContext } from '../../core/operation.js';
import { PROBLEM_CONTENT_TYPE, toProblem } from '../../core/problem.js';
import type { AccessLog } from '../../ops/logger.js';
import type { GatewayMetrics, RouteMeter } from '../../ops/metrics.js';
import { formatAccessLine } from '../../ops/request-log.js';
import { genRequestId } from '../../ops/request-id.js';
import type { Scope } from '../../security/api-keys.js';
import { REST_CORS } from '../../security/cors.js';
import type { InboundAuth } from '../../security/inbound-auth.js';
import type { RestRoute, RestTable } from './route-table.js';
import type { UpstreamClient, UpstreamResponse } from '../../upstream/client.js';
import { LightSignal } from '../../upstream/deadline.js';
import { readFramedBody, readMappedJson } from '../../upstream/response.js';
import { objectSchemaOf, requestBodySchema, type ObjectSchema } from '../input-schema.js';
import { admitsBody, BODY_METHODS, PendingBody, readBody, type BodyServer, type BodyValidator } from './fast-body.js';
import { collectInputs } from './inputs.js';
import { BUFFERED_BODY_MAX_BYTES, isJsonContentType, PASSED_HEADERS, warningHeader } from './reply-headers.js';
import { MAX_URL_CHARS } from './security-hooks.js';
import { streamAnswer } from './stream-answer.js';

/** MAX_PARAM_CHARS mirrors the router's maxParamLength (a longer one is fastify's 414). */
const MAX_PARAM_CHARS = 256;
/** nginx's 499: the client left before the answer. */
const CLIENT_CLOSED_STATUS = 499;

type PartValidator = (data: Record<string, unknown>) => boolean;

/** FastRoute is one route the fast path serves, compiled at boot. */
class FastRoute {
  /** Literal segments, or undefined where a parameter sits. */
  readonly segments: readonly (string | undefined)[];
  /** Parameter names in segment order. */
  readonly names: readonly string[];
  readonly scope: Scope;
  /** Query parameters are read (and validated) only for routes that declare some; others ignore the query string, as fastify does. */
  readonly validateQuery: PartValidator | undefined;
  /** The header inputs' names (lower case), validated as one object. */
  readonly headerNames: readonly string[];
  readonly validateHeaders: PartValidator | undefined;

  constructor(
    readonly route: RestRoute,
    readonly validate: PartValidator | undefined,
    readonly meter: RouteMeter | undefined,
    compile: (schema: ObjectSchema | undefined, httpPart: string) => PartValidator | undefined,
    /** A body route's body validator (fastify's own); undefined on a GET route. */
    readonly validateBody: BodyValidator | undefined,
  ) {
    const segments: (string | undefined)[] = [];
    const names: string[] = [];
    for (const part of route.url.split('/')) {
      if (part.startsWith(':')) {
        segments.push(undefined);
        names.push(part.slice(1));
      } else segments.push(part);
    }
    this.segments = segments;
    this.names = names;
    this.scope = route.scope;
    this.validateQuery = compile(objectSchemaOf(route.inputs, 'query'), 'querystring');
    const headers = objectSchemaOf(route.inputs, 'header');
    this.headerNames = headers === undefined ? [] : Object.keys(headers.properties);
    this.validateHeaders = compile(headers, 'headers');
  }
}

const FAST_KINDS: ReadonlySet<string> = new Set(['path', 'query', 'header', 'const']);
const BODY_KINDS: ReadonlySet<string> = new Set([...FAST_KINDS, 'body', 'body-field', 'body-path']);

/**
 * A route qualifies when it is a GET whose inputs are path, query and header parameters and constants,
 * or a PATCH, POST or PUT with a JSON body schema whose other inputs are such.
 */
function qualifies(route: RestRoute): boolean {
  const body = BODY_METHODS.has(route.method);
  if (route.method !== 'GET' && !(body && requestBodySchema(route.inputs) !== undefined)) return false;
  const kinds = body ? BODY_KINDS : FAST_KINDS;
  for (const input of route.inputs) if (!kinds.has(input.source.kind)) return false;
  // Parameter names the router rewrote are not worth a second mapping here.
  return !route.url.split('/').some((part) => part.includes(':') && (!part.startsWith(':') || part.slice(1).includes(':')));
}

const kState = Symbol('naftiko.fastPath');

/** InFlight is what the fast path keeps about one request until its response closes. */
class InFlight {
  upstreamStatus = 0;
  code = '';
  constructor(
    readonly fastPath: RestFastPath,
    readonly fast: FastRoute,
    readonly req: IncomingMessage,
    readonly reqId: string,
    readonly caller: Caller | undefined,
    readonly startedAt: number,
    readonly link: LightSignal,
    /** The request's Origin with CORS on (undefined otherwise), and the Allow-Origin answered to it. */
    readonly origin: string | undefined,
    readonly allowOrigin: string | undefined,
    /** Tells the listener this response is done (its generation's in-flight count). */
    readonly release: () => void,
  ) {}
}

interface TrackedResponse extends ServerResponse {
  [kState]?: InFlight;
}

/** onResponseClose settles a request: counted (499 when the client left first), logged, the upstream call cancelled if unfinished. */
function onResponseClose(this: TrackedResponse): void {
  const state = this[kState];
  if (state === undefined) return;
  this[kState] = undefined;
  state.release();
  state.fastPath.settle(state, this);
}

/** RestFastPathOptions are what the fast path shares with the fastify app it stands in front of. */
export interface RestFastPathOptions {
  readonly invoker: Invoker<UpstreamClient>;
  readonly maxResponseBytes: number;
  readonly auth: InboundAuth;
  /** With CORS on, the origin check (security/cors.ts allowedOriginOf); undefined when CORS is off. */
  readonly cors: ((origin: string) => string | undefined) | undefined;
  readonly metrics: GatewayMetrics | undefined;
  readonly logger: Logger;
  readonly access: AccessLog;
  /** fastify's validator compiler: the fast path validates with the very functions fastify does. */
  readonly validators: FastifySchemaCompiler<FastifySchema>;
  /** fastify's body limit (a longer body is fastify's 413). */
  readonly bodyLimitBytes: number;
  /** fastify's own handler (app.routing), for a request whose read body the fast path hands back. */
  readonly routing: (req: IncomingMessage, res: ServerResponse) => void;
}

type Pending = PendingBody<FastRoute>;

/** RestFastPath serves the qualifying routes of one REST adapter. */
export class RestFastPath implements BodyServer<FastRoute> {
  private readonly byShape = new Map<string, FastRoute[]>();
  private readonly upstream: UpstreamClient;
  private readonly logAccess: boolean;

  constructor(
    adapter: RestTable,
    private readonly options: RestFastPathOptions,
  ) {
    this.upstream = options.invoker.upstream;
    this.logAccess = options.logger.isLevelEnabled('info');
    const compiler = options.validators;
    for (const route of adapter.routes) {
      if (!qualifies(route)) continue;
      const compile = (schema: ObjectSchema | undefined, httpPart: string): PartValidator | undefined =>
        schema === undefined ? undefined : (compiler({ schema: schema as FastifySchema, httpPart, method: route.method, url: route.url }) as unknown as PartValidator);
      const bodySchema = route.method === 'GET' ? undefined : requestBodySchema(route.inputs);
      const validateBody = bodySchema === undefined ? undefined : (compiler({ schema: bodySchema as FastifySchema, httpPart: 'body', method: route.method, url: route.url }) as unknown as BodyValidator);
      const fast = new FastRoute(route, compile(objectSchemaOf(route.inputs, 'path'), 'params'), options.metrics?.meter(route.operationId, route.operation.capability), compile, validateBody);
      const key = `${route.method} ${shapeKey(fast.segments)}`;
      const list = this.byShape.get(key) ?? [];
      list.push(fast);
      this.byShape.set(key, list);
    }
  }

  /** size is how many routes the fast path serves. */
  get size(): number {
    let n = 0;
    for (const list of this.byShape.values()) n += list.length;
    return n;
  }

  /**
   * handle serves `req` and returns true, or returns false (nothing written, nothing listening) for
   * the fastify path to take it; `release` is called once the response it took closed (a request
   * whose body it read and hands to fastify included).
   */
  handle(req: IncomingMessage, res: ServerResponse, release: () => void): boolean {
    const method = req.method;
    let group: string;
    if (method === 'GET' || method === 'HEAD') group = 'GET';
    else if (method !== undefined && BODY_METHODS.has(method) && admitsBody(req.headers, this.options.bodyLimitBytes)) group = method;
    else return false;
    const url = req.url ?? '';
    if (url.length > MAX_URL_CHARS || url.includes('#')) return false;
    const q = url.indexOf('?');
    let path = q === -1 ? url : url.slice(0, q);
    // A percent-encoded path is decoded by the router (with its edge cases): fastify's.
    if (path.includes('%')) return false;
    if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
    const segments = path.split('/');
    const fast = this.find(group, segments);
    if (fast === undefined) return false;
    let params: Record<string, unknown> | undefined;
    if (fast.validate !== undefined) {
      params = {};
      let p = 0;
      for (let i = 0; i < fast.segments.length; i++) {
        if (fast.segments[i] !== undefined) continue;
        const value = segments[i] as string;
        if (value.length > MAX_PARAM_CHARS) return false;
        params[fast.names[p++] as string] = value;
      }
      // Coerces in place, as fastify's validation of `params` does.
      if (!fast.validate(params)) return false;
    }
    let query: Record<string, unknown> | undefined;
    if (fast.validateQuery !== undefined) {
      // The router's own parser and validator: the same values, coerced alike.
      query = q === -1 || q === url.length - 1 ? {} : (parseQuery(url.slice(q + 1)) as Record<string, unknown>);
      if (!fast.validateQuery(query)) return false;
    }
    let headers: Record<string, unknown> | undefined;
    if (fast.validateHeaders !== undefined) {
      // The declared headers only, copied: coercion must not touch the request fastify may still get.
      headers = {};
      for (const name of fast.headerNames) {
        const value = req.headers[name];
        if (value !== undefined) headers[name] = value;
      }
      if (!fast.validateHeaders(headers)) return false;
    }
    let origin: string | undefined;
    let allowOrigin: string | undefined;
    const cors = this.options.cors;
    if (cors !== undefined) {
      origin = req.headers.origin;
      if (origin !== undefined) allowOrigin = cors(origin);
    }
    let caller: Caller | undefined;
    const auth = this.options.auth;
    if (auth.enabled) {
      const found = auth.authenticate(req.headers);
      if (found === undefined || found instanceof GatewayError) return false;
      if (auth.authorizeScope(found, fast.scope) !== undefined) return false;
      caller = found;
    }
    if (fast.validateBody !== undefined) {
      readBody(new PendingBody(this, fast, fast.validateBody, req, res, release, performance.now(), caller, origin, allowOrigin, params, query, headers));
      return true;
    }
    this.start(fast, req, res, release, performance.now(), caller, origin, allowOrigin, collectInputs(fast.route.inputs, params, query, headers, undefined));
    return true;
  }

  /** start serves a request the fast path took: its state lives on the response until it closes. */
  private start(fast: FastRoute, req: IncomingMessage, res: ServerResponse, release: () => void, startedAt: number, caller: Caller | undefined, origin: string | undefined, allowOrigin: string | undefined, values: InputValues): void {
    const state = new InFlight(this, fast, req, genRequestId(req), caller, startedAt, new LightSignal(), origin, allowOrigin, release);
    (res as TrackedResponse)[kState] = state;
    res.on('close', onResponseClose);
    const metrics = this.options.metrics;
    if (metrics !== undefined) metrics.inFlight++;
    void this.serve(state, values, res);
  }

  /** serveBody serves a body route's request once its body passed every check fastify makes. */
  serveBody(p: Pending, body: unknown): boolean {
    let values: InputValues;
    try {
      values = collectInputs(p.route.route.inputs, p.params, p.query, p.headers, body);
    } catch {
      return false;
    }
    this.start(p.route, p.req, p.res, p.release, p.startedAt, p.caller, p.origin, p.allowOrigin, values);
    return true;
  }

  /** fallback lets fastify answer a request whose body the fast path read (the body rides along: body-replay.ts). */
  fallback(p: Pending): void {
    p.res.on('close', p.release);
    this.options.routing(p.req, p.res);
  }

  /** clientLeft counts a client that left before sending its whole body, as one that leaves before its answer. */
  clientLeft(p: Pending): void {
    p.route.meter?.record(CLIENT_CLOSED_STATUS, 0);
  }

  private find(group: string, segments: readonly string[]): FastRoute | undefined {
    // Routes whose second segment is literal first, as the router prefers a static segment to a parameter.
    return this.findIn(this.byShape.get(`${group} ${segments.length} ${segments[1] ?? ''} ${segments[2] ?? ''}`), segments) ?? this.findIn(this.byShape.get(`${group} ${segments.length} ${segments[1] ?? ''}`), segments);
  }

  private findIn(list: readonly FastRoute[] | undefined, segments: readonly string[]): FastRoute | undefined {
    if (list === undefined) return undefined;
    outer: for (const fast of list) {
      const expected = fast.segments;
      for (let i = 2; i < expected.length; i++) {
        const literal = expected[i];
        const segment = segments[i] as string;
        if (literal === undefined ? segment === '' : literal !== segment) continue outer;
      }
      return fast;
    }
    return undefined;
  }

  private async serve(state: InFlight, values: InputValues, res: ServerResponse): Promise<void> {
    const route = state.fast.route;
    try {
      const ctx: InvokeContext = { requestId: state.reqId, adapter: 'rest', headers: state.req.headers, signal: state.link, caller: state.caller };
      const upstream = await this.options.invoker.invoke(route, values, ctx);
      state.upstreamStatus = upstream.statusCode;
      await this.answer(state, route, upstream, ctx.notes, res);
    } catch (err) {
      if (err instanceof AcceptedAnswer) this.accepted(state, err, res);
      else this.fail(state, asGatewayError(err, 'the gateway failed to handle the request'), res);
    }
  }

  /** answer mirrors the fastify path's sendUpstream (routes.ts) on a raw response. */
  private async answer(state: InFlight, route: RestRoute, upstream: UpstreamResponse, notes: readonly string[] | undefined, res: ServerResponse): Promise<void> {
    const status = upstream.statusCode;
    if (status >= 300 && status < 400) {
      upstream.body.destroy();
      throw new GatewayError('NGW_ERR_UPSTREAM_BAD_RESPONSE', `upstream answered ${route.operation.key} with a redirect (${status}), which the gateway does not follow`);
    }
    const head = state.req.method === 'HEAD';
    const upstreamHeaders = upstream.headers;
    const passThrough = route.output.identity && (route.operation.outputRawFormat !== 'json' || isJsonContentType(upstreamHeaders['content-type']));
    const timeoutMs = this.upstream.timeoutFor(route.operation);
    if (status >= 400 || passThrough) {
      const length = upstreamHeaders['content-length'];
      if (typeof length !== 'string' || Number(length) > BUFFERED_BODY_MAX_BYTES) {
        const headers = this.headersOf(state, notes, upstreamHeaders, false);
        if (typeof length === 'string') headers.push('content-length', length);
        res.writeHead(status, headers);
        if (head) {
          // Destroyed unread, undici's body stream errors (aborted): unheard, that error would end the process.
          upstream.body.on('error', ignoreStreamError);
          upstream.body.destroy();
          res.end();
        } else streamAnswer(upstream.body, res);
        return;
      }
      // A collected body (exchange.ts) is at hand: no async read for it.
      const bytes = upstream.bytes ?? (await readFramedBody(route, upstream, timeoutMs));
      // A string is written with the headers in one write(); valid UTF-8 round-trips byte for byte.
      const text = isUtf8(bytes);
      const headers = this.headersOf(state, notes, upstreamHeaders, text);
      headers.push('content-length', length);
      res.writeHead(status, headers);
      res.end(head ? undefined : text ? bytes.toString('utf8') : bytes);
      return;
    }
    const json = await readMappedJson(route, upstream, this.options.maxResponseBytes, timeoutMs);
    const headers = this.headersOf(state, notes, upstreamHeaders, false, true);
    if (json === undefined) {
      headers.push('content-length', '0');
      res.writeHead(status, headers);
      res.end();
      return;
    }
    headers.push('content-type', 'application/json; charset=utf-8', 'content-length', String(Buffer.byteLength(json)));
    res.writeHead(status, headers);
    res.end(head ? undefined : json);
  }

  /**
   * headersOf lists the answer's headers as the fastify path sets them: request id, nosniff, warning,
   * the passed upstream headers (a JSON Content-Type of a text body gains `; charset=utf-8`, as fastify
   * adds to string payloads) — without Content-Type when the body is re-serialized.
   */
  private headersOf(state: InFlight, notes: readonly string[] | undefined, upstream: IncomingHttpHeaders, textBody: boolean, mapped = false): string[] {
    const headers = ownHeaders(state);
    if (notes !== undefined) headers.push('warning', warningHeader(notes));
    for (let i = 0; i < PASSED_HEADERS.length; i++) {
      const name = PASSED_HEADERS[i] as string;
      const value = upstream[name];
      if (value === undefined) continue;
      if (name === 'content-type') {
        if (mapped) continue;
        if (typeof value === 'string') headers.push(name, textBody ? withUtf8Charset(value) : value);
        continue;
      }
      if (typeof value === 'string') headers.push(name, value);
      else for (const v of value) headers.push(name, v);
    }
    return headers;
  }

  /** accepted answers 202 for a call an interceptor accepted for later (a scheduled change), with the gateway's own headers (CORS too). */
  private accepted(state: InFlight, answer: AcceptedAnswer, res: ServerResponse): void {
    if (res.destroyed || res.headersSent) return;
    const body = JSON.stringify(answer.body());
    const headers = ownHeaders(state);
    for (const [name, value] of Object.entries(answer.headers())) headers.push(name, value);
    headers.push('content-type', 'application/json; charset=utf-8', 'content-length', String(Buffer.byteLength(body)));
    res.writeHead(202, headers);
    res.end(state.req.method === 'HEAD' ? undefined : body);
  }

  /** fail answers a gateway error as problem+json, as the fastify error handler would. */
  private fail(state: InFlight, err: GatewayError, res: ServerResponse): void {
    // The client left (its 499 is already counted) or the answer had started: nothing more can be said.
    if (res.destroyed || res.headersSent) {
      res.destroy(err);
      return;
    }
    state.code = err.code;
    if (err.status >= 500) this.options.logger.error({ reqId: state.reqId, err: err.cause ?? err, code: err.code }, err.message);
    const body = JSON.stringify(toProblem(err, state.reqId));
    const headers = ownHeaders(state);
    if (err.headers !== undefined) for (const [name, value] of Object.entries(err.headers)) headers.push(name, value);
    headers.push('content-type', PROBLEM_CONTENT_TYPE, 'content-length', String(Buffer.byteLength(body)));
    res.writeHead(err.status, headers);
    res.end(state.req.method === 'HEAD' ? undefined : body);
  }

  /** settle runs once the response closed: metrics, the access line, or cancelling the upstream call of a client that left. */
  settle(state: InFlight, res: ServerResponse): void {
    const metrics = this.options.metrics;
    if (metrics !== undefined) metrics.inFlight--;
    const elapsedMs = performance.now() - state.startedAt;
    if (!res.writableFinished) {
      state.link.fire(new Error('the client closed the connection'));
      state.fast.meter?.record(CLIENT_CLOSED_STATUS, 0);
      return;
    }
    state.fast.meter?.record(res.statusCode, elapsedMs / 1000);
    if (!this.logAccess) return;
    this.options.access.write(
      formatAccessLine({
        reqId: state.reqId,
        method: state.req.method ?? 'GET',
        url: state.req.url ?? '',
        operationId: state.fast.route.operationId,
        capability: state.fast.route.operation.capability,
        statusCode: res.statusCode,
        upstreamStatus: state.upstreamStatus,
        code: state.code,
        keyId: state.caller?.id,
        elapsedMs,
      }),
    );
  }
}

/**
 * shapeKey files a route by its length and first two literal segments, so a set of hundreds of
 * routes under one prefix (`/v1/<area>/…`, docs/families.md) is not scanned one by one per request.
 */
function shapeKey(segments: readonly (string | undefined)[]): string {
  const second = segments.length > 3 ? segments[2] : undefined;
  return second === undefined ? `${segments.length} ${segments[1] ?? ''}` : `${segments.length} ${segments[1] ?? ''} ${second}`;
}

/** ownHeaders are the headers the gateway adds to every answer: request id, nosniff, and CORS's when it is on and an Origin came. */
function ownHeaders(state: InFlight): string[] {
  const headers: string[] = ['x-request-id', state.reqId, 'x-content-type-options', 'nosniff'];
  if (state.origin === undefined) return headers;
  // As security/cors.ts answers: Vary always, Allow-Origin and Expose-Headers for an allowed origin.
  if (state.allowOrigin === undefined) headers.push('vary', 'origin');
  else headers.push('access-control-allow-origin', state.allowOrigin, 'vary', 'origin', 'access-control-expose-headers', REST_CORS.exposeHeaders);
  return headers;
}

// An upstream answers one Content-Type again and again: the last one and its answer are kept.
let lastContentType = '';
let lastWithCharset = '';

/** withUtf8Charset adds `; charset=utf-8` to a JSON media type without a charset (fastify does so for string payloads). */
function withUtf8Charset(contentType: string): string {
  if (contentType !== lastContentType) {
    lastWithCharset = addUtf8Charset(contentType);
    lastContentType = contentType;
  }
  return lastWithCharset;
}

function addUtf8Charset(contentType: string): string {
  const semicolon = contentType.indexOf(';');
  const mediaType = (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).toLowerCase();
  if (!mediaType.includes('json') || /;\s*charset=/i.test(contentType)) return contentType;
  return `${contentType.trim().replace(/;\s*$/, '')}; charset=utf-8`;
}

function ignoreStreamError(): void {
  // A client that leaves mid-stream closes the response; settle() counts it.
}
