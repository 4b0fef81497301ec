/**
 * One log line per request (fastify's default is two): method, path without
 * the query string (it may carry credentials), operation, statuses, duration.
 */
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { requestFinished, requestStarted } from './metrics-routes.js';

/** GatewayLogController replaces fastify's incoming/completed pair with a single line. */
export class GatewayLogController extends LogController {
  /** `access` writes the success lines: an unredacted logger (see accessLoggerOf), as their fields hold no secret. */
  constructor(
    options: ConstructorParameters<typeof LogController>[0],
    private readonly access: Logger,
  ) {
    super(options);
  }

  override incomingRequest(request: FastifyRequest): void {
    // No line here: the completion line carries everything. Only the in-flight gauge moves.
    requestStarted(request);
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    requestFinished(request, reply);
    const url = request.url;
    const q = url.indexOf('?');
    const line = {
      // The request logger binds reqId itself; the access logger does not.
      reqId: error ? undefined : request.id,
      method: request.method,
      path: q === -1 ? url : url.slice(0, q),
      operationId: request.routeOptions.config.operationId,
      statusCode: reply.statusCode,
      upstreamStatus: request.upstreamStatus === 0 ? undefined : request.upstreamStatus,
      code: request.errorCode === '' ? undefined : request.errorCode,
      keyId: request.caller?.id,
      durationMs: Math.round(reply.elapsedTime * 100) / 100,
      err: error ?? undefined,
    };
    // An error object may carry anything, so error lines keep the redacting request logger.
    if (error) reply.log.error(line, 'request errored');
    // A route's own logLevel (probes log at warn) lives on the request logger: honour it.
    else if ((reply.log as Logger).isLevelEnabled('info')) this.access.info(line, 'request completed');
  }
}
