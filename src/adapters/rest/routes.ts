/**
 * The REST adapter: one fastify route per exposed operation (405 answers for
 * the other methods of each path come from the not-found handler, see
 * method-index.ts). Handlers are built once per route. A GET operation's route
 * answers HEAD too: one route for both methods instead of fastify's automatic
 * HEAD route, a route of its own per GET (on a 1,000-operation capability
 * ~200 ms of boot CPU and, in a 400-operation family, ~7 MB of RSS); its HEAD
 * answers are those of fastify's HEAD route (sendStream, sendEmpty; a string body
 * gets its byte length as content-length from fastify either way).
 */
import { isUtf8 } from 'node:buffer';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { GatewayError } from '../../core/errors.js';
import type { Invoker } from '../../core/invoker.js';
import type { InvokeContext } from '../../core/operation.js';
import type { UpstreamClient, UpstreamResponse } from '../../upstream/client.js';
import { readFramedBody, readMappedOutput } from '../../upstream/response.js';
import { objectSchemaOf, requestBodySchema } from '../input-schema.js';
import { replayReadBody } from '../body-replay.js';
import { clientAbortSignal } from './client-abort.js';
import { collectInputs } from './inputs.js';
import type { MethodIndex } from './method-index.js';
import { BUFFERED_BODY_MAX_BYTES, isJsonContentType, PASSED_HEADERS, warningHeader } from './reply-headers.js';
import type { RestRoute, RestTable } from './route-table.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The capability operation a route serves (logged on every request). */
    operationId?: string;
    /** The capability of a set serving the route (logged and a metric label; docs/families.md). */
    capability?: string;
  }
}

/** RestDeps are the services the REST handlers use. */
export interface RestDeps {
  readonly invoker: Invoker<UpstreamClient>;
  readonly maxResponseBytes: number;
}

function copyHeaders(reply: FastifyReply, res: UpstreamResponse): void {
  const headers = res.headers;
  for (let i = 0; i < PASSED_HEADERS.length; i++) {
    const name = PASSED_HEADERS[i] as string;
    const value = headers[name];
    if (value !== undefined) reply.header(name, value);
  }
}

/**
 * sendUpstream answers with the upstream's status. Error bodies pass through
 * unchanged; an identity-mapped JSON body is streamed without parsing;
 * anything else is read, decoded and mapped.
 */
async function sendUpstream(route: RestRoute, deps: RestDeps, res: UpstreamResponse, reply: FastifyReply): Promise<FastifyReply> {
  const status = res.statusCode;
  reply.request.upstreamStatus = status;
  if (status >= 300 && status < 400) {
    res.body.destroy();
    throw new GatewayError('NGW_ERR_UPSTREAM_BAD_RESPONSE', `upstream answered ${route.operation.key} with a redirect (${status}), which the gateway does not follow`);
  }
  copyHeaders(reply, res);
  reply.code(status);
  const passThrough = route.output.identity && (route.operation.outputRawFormat !== 'json' || isJsonContentType(res.headers['content-type']));
  if (status >= 400 || passThrough) {
    const length = res.headers['content-length'];
    if (typeof length !== 'string') return sendStream(reply, res.body);
    reply.header('content-length', length);
    // A small body of known length is passed on as one buffer (still unparsed): one write
    // of headers and body to the client, without a stream pipeline per response. Larger or
    // unknown-length bodies stream, so memory stays bounded whatever the upstream sends.
    if (Number(length) > BUFFERED_BODY_MAX_BYTES) return sendStream(reply, res.body);
    const bytes = await readFramedBody(route, res, deps.invoker.upstream.timeoutFor(route.operation));
    // Node writes a string body together with the headers in one write(); a Buffer takes a
    // corked writev, which costs more. Valid UTF-8 round-trips through a string byte for byte.
    return reply.send(isUtf8(bytes) ? bytes.toString('utf8') : bytes);
  }
  const output = await readMappedOutput(route, res, deps.maxResponseBytes, deps.invoker.upstream.timeoutFor(route.operation));
  if (output === undefined) return sendEmpty(reply.removeHeader('content-type'));
  return reply.type('application/json; charset=utf-8').send(JSON.stringify(output));
}

/**
 * sendStream streams an upstream body. Under HEAD it drains the body and answers the headers at
 * once, as fastify's automatic HEAD route does (its onSend hook, lib/head-route.js).
 */
function sendStream(reply: FastifyReply, body: UpstreamResponse['body']): FastifyReply {
  if (reply.request.method !== 'HEAD') return reply.send(body);
  body.on('error', (err: Error) => reply.log.error({ err }, 'Error on Stream found for HEAD route'));
  body.resume();
  return reply.send();
}

/** sendEmpty answers no body; under HEAD with `content-length: 0`, as fastify's HEAD route does (fastify alone says nothing for HEAD). */
function sendEmpty(reply: FastifyReply): FastifyReply {
  if (reply.request.method === 'HEAD') reply.header('content-length', '0');
  return reply.send();
}

function routeHandler(route: RestRoute, deps: RestDeps) {
  const inputs = route.inputs;
  return async function handleOperation(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const values = collectInputs(inputs, request.params as Record<string, unknown>, request.query as Record<string, unknown>, request.headers, request.body);
    const ctx: InvokeContext = { requestId: String(request.id), adapter: 'rest', headers: request.headers, signal: clientAbortSignal(reply.raw), caller: request.caller ?? undefined };
    const res = await deps.invoker.invoke(route, values, ctx);
    if (ctx.notes !== undefined) reply.header('warning', warningHeader(ctx.notes));
    return sendUpstream(route, deps, res, reply);
  };
}

function routeOptions(route: RestRoute, deps: RestDeps): RouteOptions {
  // Validation only: the OpenAPI document is built from the compiled routes (openapi-builder.ts).
  const schema: Record<string, unknown> = {};
  const params = objectSchemaOf(route.inputs, 'path');
  const querystring = objectSchemaOf(route.inputs, 'query');
  const headers = objectSchemaOf(route.inputs, 'header');
  const body = requestBodySchema(route.inputs);
  if (params !== undefined) schema['params'] = params;
  if (querystring !== undefined) schema['querystring'] = querystring;
  if (headers !== undefined) schema['headers'] = headers;
  if (body !== undefined) schema['body'] = body;
  return {
    method: route.method === 'GET' ? ['GET', 'HEAD'] : route.method,
    url: route.url,
    schema,
    // A body the fast path read and could not serve is handed back here (fast-body.ts).
    ...(body === undefined ? {} : { preParsing: replayReadBody }),
    config: { operationId: route.operationId, capability: route.operation.capability, scope: route.scope },
    handler: routeHandler(route, deps),
  };
}

/** registerRestRoutes adds the adapter's routes to a fastify instance and records their methods in `methods` (405 answers). */
export function registerRestRoutes(app: FastifyInstance, adapter: RestTable, deps: RestDeps, methods: MethodIndex): void {
  for (const route of adapter.routes) {
    app.route(routeOptions(route, deps));
    methods.add(route.method, route.url);
  }
}
