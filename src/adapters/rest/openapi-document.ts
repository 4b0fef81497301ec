/**
 * `naftiko-gateway openapi`: the OpenAPI document without serving. It is built
 * by the same function from the same compiled routes and settings as the
 * served one, so with the same configuration (keys, ledger, rate limit, host
 * and port) the printed document is the served one, byte for byte.
 */
import type { CompiledCapability } from '../../capability/compiled.js';
import { LEDGER_DOCUMENTATION } from './ledger-route.js';
import { compileRestTable } from './route-table.js';
import { buildOpenApiDocument } from './openapi-builder.js';
import { hostForUrl, renderOpenApi, type OpenApiFormat, type OpenApiVersion } from './openapi.js';

/** DocumentSettings are what the served document depends on besides the capability. */
export interface DocumentSettings {
  /** Inbound keys are configured. */
  readonly authenticated: boolean;
  readonly ledger: boolean;
  readonly rateLimited: boolean;
  readonly version: OpenApiVersion;
  /** Where the gateway listens; the port defaults to the capability's REST port. */
  readonly host: string;
  readonly port: number | undefined;
}

/**
 * renderCapabilityOpenApi renders the first REST adapter's document, or undefined when the
 * capability exposes no REST adapter. Works on a capability compiled in check mode: no
 * upstream is called, so its credential need not be set.
 */
export function renderCapabilityOpenApi(capability: CompiledCapability, format: OpenApiFormat, settings: DocumentSettings): string | undefined {
  const adapter = capability.rest[0];
  if (adapter === undefined) return undefined;
  const serverUrl = `http://${hostForUrl(settings.host)}:${settings.port ?? adapter.port}`;
  const doc = buildOpenApiDocument(
    compileRestTable(adapter, capability.mcp).routes,
    capability.model.info,
    { authenticated: settings.authenticated, ledger: settings.ledger, rateLimited: settings.rateLimited, serverUrl },
    settings.ledger ? LEDGER_DOCUMENTATION : undefined,
  );
  return renderOpenApi(doc, format, settings.version);
}
