/**
 * One log line per request (fastify's default is two): method, path without
 * the query string (it may carry credentials), operation, statuses, duration.
 * A successful request's line is serialized here, in pino's format, and
 * written to the logger's stream as one string; error lines go through the
 * redacting request logger.
 */
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { jsonString } from '../core/json-string.js';
import { ACCESS_LINE_BASE, INFO_LEVEL, isoTime, type AccessLog } from './logger.js';
import { requestFinished, requestStarted } from './metrics-routes.js';

const LINE_START = `{"level":${INFO_LEVEL}`;

/** AccessFields are the fields of one request's access line. */
export interface AccessFields {
  readonly reqId: string;
  readonly method: string;
  /** The URL, query string included (it is cut off here: it may carry credentials). */
  readonly url: string;
  readonly operationId: string | undefined;
  /** The capability serving the route, in a set of several (docs/families.md). */
  readonly capability?: string | undefined;
  readonly statusCode: number;
  /** 0 when no upstream call was made. */
  readonly upstreamStatus: number;
  /** '' when the gateway made no error. */
  readonly code: string;
  readonly keyId: string | undefined;
  readonly elapsedMs: number;
}

/** formatAccessLine renders a successful request's line exactly as pino would render the same fields. */
export function formatAccessLine(f: AccessFields): string {
  const q = f.url.indexOf('?');
  let line = `${LINE_START}${isoTime()}${ACCESS_LINE_BASE},"reqId":${jsonString(f.reqId)},"method":${jsonString(f.method)},"path":${jsonString(q === -1 ? f.url : f.url.slice(0, q))}`;
  if (f.operationId !== undefined) line += `,"operationId":${jsonString(f.operationId)}`;
  if (f.capability !== undefined) line += `,"capability":${jsonString(f.capability)}`;
  line += `,"statusCode":${f.statusCode}`;
  if (f.upstreamStatus !== 0) line += `,"upstreamStatus":${f.upstreamStatus}`;
  if (f.code !== '') line += `,"code":${jsonString(f.code)}`;
  if (f.keyId !== undefined) line += `,"keyId":${jsonString(f.keyId)}`;
  return `${line},"durationMs":${Math.round(f.elapsedMs * 100) / 100},"msg":"request completed"}\n`;
}

function accessLine(request: FastifyRequest, reply: FastifyReply): string {
  return formatAccessLine({
    reqId: String(request.id),
    method: request.method,
    url: request.url,
    operationId: request.routeOptions.config.operationId,
    capability: request.routeOptions.config.capability,
    statusCode: reply.statusCode,
    upstreamStatus: request.upstreamStatus,
    code: request.errorCode,
    keyId: request.caller?.id,
    elapsedMs: reply.elapsedTime,
  });
}

/** GatewayLogController replaces fastify's incoming/completed pair with a single line. */
export class GatewayLogController extends LogController {
  /** `access` receives the success lines (see accessLogOf). */
  constructor(
    options: ConstructorParameters<typeof LogController>[0],
    private readonly access: AccessLog,
  ) {
    super(options);
  }

  override incomingRequest(request: FastifyRequest): void {
    // No line here: the completion line carries everything. Only the in-flight gauge moves.
    requestStarted(request);
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    requestFinished(request, reply);
    if (error) {
      // An error object may carry anything, so error lines keep the redacting request logger (which binds reqId).
      const url = request.url;
      const q = url.indexOf('?');
      reply.log.error(
        {
          method: request.method,
          path: q === -1 ? url : url.slice(0, q),
          operationId: request.routeOptions.config.operationId,
          capability: request.routeOptions.config.capability,
          statusCode: reply.statusCode,
          upstreamStatus: request.upstreamStatus === 0 ? undefined : request.upstreamStatus,
          code: request.errorCode === '' ? undefined : request.errorCode,
          keyId: request.caller?.id,
          durationMs: Math.round(reply.elapsedTime * 100) / 100,
          err: error,
        },
        'request errored',
      );
    }
    // A route's own logLevel (probes log at warn) lives on the request logger: honour it.
    else if ((reply.log as Logger).isLevelEnabled('info')) this.access.write(accessLine(request, reply));
  }
}
