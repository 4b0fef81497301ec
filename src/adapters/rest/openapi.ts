/**
 * Serving the OpenAPI document: /openapi.json and /openapi.yaml (3.1),
 * /openapi-3.0.json and /openapi-3.0.yaml (3.0.3), and Swagger UI at /docs.
 * The document is built once from the compiled routes; the only per-listener
 * part is the absolute server URL, which names the port the request came in on.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { InfoModel } from '../../capability/model.js';
import { yamlLibrary } from '../../core/yaml.js';
import { registerDocs } from './docs.js';
import { buildOpenApiDocument, type LedgerDocumentation, type OpenApiDocument, type OpenApiOptions } from './openapi-builder.js';
import { toOpenApi30 } from './openapi-30.js';
import type { RestRoute } from './route-table.js';

export { OPENAPI_VERSION } from './openapi-builder.js';
export { DOCS_PREFIX } from './docs.js';
/** OPENAPI_PATHS are the document's URLs (public even when keys are required: they hold no data). */
export const OPENAPI_PATHS = ['/openapi.json', '/openapi.yaml', '/openapi-3.0.json', '/openapi-3.0.yaml'] as const;

/** OpenApiFormat is how the document is rendered. */
export type OpenApiFormat = 'json' | 'yaml';
/** OpenApiVersion picks the 3.1 document or its 3.0.3 rendering. */
export type OpenApiVersion = '3.1' | '3.0';

/** renderOpenApi renders a document; the served and the printed documents both go through it. */
export function renderOpenApi(doc: OpenApiDocument, format: OpenApiFormat, version: OpenApiVersion): string {
  const rendered = version === '3.0' ? toOpenApi30(doc) : doc;
  return format === 'yaml' ? yamlLibrary().stringify(rendered, { aliasDuplicateObjects: false }) : `${JSON.stringify(rendered, null, 2)}\n`;
}

/** hostForUrl names a listening address in a URL: loopback as localhost, IPv6 in brackets. */
export function hostForUrl(address: string | undefined): string {
  if (address === undefined || address === '' || address === '0.0.0.0' || address === '::' || address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1') return 'localhost';
  const plain = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  return plain.includes(':') ? `[${plain}]` : plain;
}

/** The documents of one REST app, per listening port (the server URL differs), rendered once each. */
class ServedDocuments {
  private readonly byPort = new Map<string, { doc: OpenApiDocument; texts: Map<string, string> }>();

  constructor(
    private readonly routes: readonly RestRoute[],
    private readonly info: InfoModel,
    private readonly options: OpenApiOptions,
    private readonly ledger: LedgerDocumentation | undefined,
  ) {}

  private entry(request: FastifyRequest) {
    const socket = request.raw.socket;
    const serverUrl = `http://${hostForUrl(socket.localAddress)}:${socket.localPort ?? 0}`;
    let entry = this.byPort.get(serverUrl);
    if (entry === undefined) {
      entry = { doc: buildOpenApiDocument(this.routes, this.info, { ...this.options, serverUrl }, this.ledger), texts: new Map() };
      this.byPort.set(serverUrl, entry);
    }
    return entry;
  }

  document(request: FastifyRequest): OpenApiDocument {
    return this.entry(request).doc;
  }

  text(request: FastifyRequest, format: OpenApiFormat, version: OpenApiVersion): string {
    const entry = this.entry(request);
    const key = `${format}-${version}`;
    let text = entry.texts.get(key);
    if (text === undefined) {
      text = renderOpenApi(entry.doc, format, version);
      entry.texts.set(key, text);
    }
    return text;
  }
}

function sendDocument(documents: ServedDocuments, format: OpenApiFormat, version: OpenApiVersion) {
  const type = format === 'yaml' ? 'application/yaml; charset=utf-8' : 'application/json; charset=utf-8';
  return function serveOpenApi(request: FastifyRequest, reply: FastifyReply): FastifyReply {
    return reply.type(type).send(documents.text(request, format, version));
  };
}

/**
 * registerOpenApi adds the document endpoints and Swagger UI for `routes`
 * (and the ledger route when `ledger` is given).
 */
export function registerOpenApi(app: FastifyInstance, routes: readonly RestRoute[], info: InfoModel, options: OpenApiOptions, ledger?: LedgerDocumentation): void {
  const documents = new ServedDocuments(routes, info, options, ledger);
  // The document is built on its first request, not at boot (a 1,000-operation capability spends ~0.15 s on it).
  registerDocs(app, (request) => documents.document(request));
  app.get('/openapi.json', { logLevel: 'warn' }, sendDocument(documents, 'json', '3.1'));
  app.get('/openapi.yaml', { logLevel: 'warn' }, sendDocument(documents, 'yaml', '3.1'));
  app.get('/openapi-3.0.json', { logLevel: 'warn' }, sendDocument(documents, 'json', '3.0'));
  app.get('/openapi-3.0.yaml', { logLevel: 'warn' }, sendDocument(documents, 'yaml', '3.0'));
}
