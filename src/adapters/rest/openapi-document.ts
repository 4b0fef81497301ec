/**
 * `naftiko-gateway openapi`: the served OpenAPI document without serving.
 * The REST server is built exactly as `serve` builds it, made ready (never
 * listening) and rendered by the same function as GET /openapi.json, so the
 * printed and the served documents are the same bytes.
 */
import type { CompiledCapability } from '../../capability/compiled.js';
import { DEFAULTS } from '../../config.js';
import { Invoker } from '../../core/invoker.js';
import { createLogger } from '../../ops/logger.js';
import { UpstreamClient } from '../../upstream/client.js';
import { DISABLED_AUTH, type InboundAuth } from '../../security/inbound-auth.js';
import { UpstreamPools } from '../../upstream/pools.js';
import type { SqlRunner } from '../../ledger/database.js';
import { renderOpenApi, type OpenApiFormat } from './openapi.js';
import { buildRestServer } from './server.js';

/**
 * renderCapabilityOpenApi renders the first REST adapter's document, or undefined when the
 * capability exposes no REST adapter. Works on a capability compiled in check mode: no
 * upstream is called, so its credential need not be set.
 */
/** What the served document depends on besides the capability: the inbound keys and whether the ledger is on. */
export interface DocumentSettings {
  readonly auth: InboundAuth;
  readonly ledger: boolean;
}

/** The ledger route is only described here, never called: the server is made ready, not started. */
const DESCRIBED_LEDGER: SqlRunner = {
  dialect: 'sqlite',
  query: () => Promise.reject(new Error('the ledger is not open while rendering the OpenAPI document')),
  exec: () => Promise.reject(new Error('the ledger is not open while rendering the OpenAPI document')),
};

export async function renderCapabilityOpenApi(
  capability: CompiledCapability,
  format: OpenApiFormat,
  settings: DocumentSettings = { auth: DISABLED_AUTH, ledger: false },
): Promise<string | undefined> {
  const adapter = capability.rest[0];
  if (adapter === undefined) return undefined;
  const pools = new UpstreamPools();
  const upstream = new UpstreamClient(pools, { timeoutMs: DEFAULTS.upstreamTimeoutMs, userAgent: 'naftiko-gateway' });
  const app = buildRestServer(adapter, { invoker: new Invoker(upstream, []), maxResponseBytes: DEFAULTS.maxResponseBytes }, {
    logger: createLogger('silent'),
    bodyLimitBytes: DEFAULTS.bodyLimitBytes,
    requestTimeoutMs: DEFAULTS.upstreamTimeoutMs,
    keepAliveTimeoutMs: 5_000,
    info: capability.model.info,
    auth: settings.auth,
    ledger: settings.ledger ? DESCRIBED_LEDGER : undefined,
  });
  try {
    await app.ready();
    return renderOpenApi(app, format);
  } finally {
    await app.close();
    await pools.close();
  }
}
