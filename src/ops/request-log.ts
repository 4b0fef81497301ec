/**
 * One log line per request (fastify's default is two): method, path without
 * the query string (it may carry credentials), operation, statuses, duration.
 */
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

/** GatewayLogController replaces fastify's incoming/completed pair with a single line. */
export class GatewayLogController extends LogController {
  override incomingRequest(): void {
    // Intentionally silent: the completion line carries everything.
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const url = request.url;
    const q = url.indexOf('?');
    const line = {
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
    if (error) reply.log.error(line, 'request errored');
    else reply.log.info(line, 'request completed');
  }
}
