/**
 * Swagger UI at /docs, loaded on its first request. @fastify/swagger-ui (with
 * @fastify/static, the `yaml` package and their dependencies) costs ~40 ms of
 * start-up and its memory whether or not anyone opens the page; a gateway
 * that serves no browser should not pay for it. So /docs and /docs/* are two
 * plain routes of the REST app (its hooks — request id, inbound keys, CORS,
 * metrics, the access line — run as for any route), which hand the raw
 * request to a small fastify app holding Swagger UI, built on first use.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { GatewayError } from '../../core/errors.js';
import { errorHandler, sendProblem } from '../http-problem.js';
import { OPENAPI_VERSION, type OpenApiDocument } from './openapi-builder.js';

/** DOCS_PREFIX is where Swagger UI is served. */
export const DOCS_PREFIX = '/docs';

/** DocumentSource gives the served document for a request (its server URL names the request's port). */
export type DocumentSource = (request: FastifyRequest) => OpenApiDocument;

function notFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendProblem(reply, new GatewayError('NGW_ERR_NOT_FOUND', `no route for ${request.method} ${request.url.split('?')[0] ?? ''}`));
}

/** buildDocsApp is the Swagger UI app; it never listens: the REST app routes requests into it. */
async function buildDocsApp(logger: FastifyBaseLogger, document: DocumentSource, ignoreTrailingSlash: boolean): Promise<FastifyInstance> {
  const [{ default: fastifySwagger }, { default: fastifySwaggerUi }] = await Promise.all([import('@fastify/swagger'), import('@fastify/swagger-ui')]);
  // The REST app already logs the request's one access line.
  const app = Fastify({ loggerInstance: logger, logController: new LogController({ disableRequestLogging: true }), routerOptions: { ignoreTrailingSlash } });
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFound);
  // @fastify/swagger only hands a document to Swagger UI, which replaces it per request: it gets a stub.
  await app.register(fastifySwagger, { mode: 'static', specification: { document: { openapi: OPENAPI_VERSION, info: { title: '', version: '' }, paths: {} } as never } });
  await app.register(fastifySwaggerUi, { routePrefix: DOCS_PREFIX, transformSpecificationClone: false, transformSpecification: (_spec, request) => document(request as FastifyRequest) });
  await app.ready();
  return app;
}

/** registerDocs adds /docs and /docs/* to `app`, served by Swagger UI loaded on the first such request. */
export function registerDocs(app: FastifyInstance, document: DocumentSource): void {
  const logger = app.log;
  let docs: Promise<FastifyInstance> | undefined;
  const serveDocs = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    docs ??= buildDocsApp(logger, document, true).catch((err: unknown) => {
      docs = undefined;
      throw err;
    });
    const ui = await docs;
    // Headers the REST app's hooks set (request id, nosniff, CORS) go on the raw response the UI app answers on.
    const raw = reply.raw;
    for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) raw.setHeader(name, value);
    reply.hijack();
    ui.routing(request.raw, raw);
  };
  app.get(DOCS_PREFIX, serveDocs);
  app.get(`${DOCS_PREFIX}/*`, serveDocs);
  app.addHook('onClose', async () => {
    if (docs !== undefined) await (await docs.catch(() => undefined))?.close();
  });
}
