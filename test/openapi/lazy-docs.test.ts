/**
 * A feature nobody uses costs nothing at start-up: Swagger UI (with
 * @fastify/static and `yaml`) loads on the first /docs request, the OpenAPI
 * document is built on its first request. (Whether `yaml` loads lazily cannot be
 * seen from here: tap itself loads it.)
 */
import { createRequire } from 'node:module';
import t from 'tap';
import { buildRestServer } from '../../src/adapters/rest/server.js';
import { loadCapability } from '../../src/capability/index.js';
import { Invoker } from '../../src/core/invoker.js';
import { createLogger } from '../../src/ops/logger.js';
import { DISABLED_AUTH } from '../../src/security/inbound-auth.js';
import { UpstreamClient } from '../../src/upstream/client.js';
import { UpstreamPools } from '../../src/upstream/pools.js';

const moduleCache = createRequire(import.meta.url).cache;

function loaded(fragment: string): boolean {
  return Object.keys(moduleCache).some((file) => file.includes(fragment));
}

t.test('Swagger UI and YAML load on first use', async (t) => {
  const { capability } = loadCapability('capability.yaml', { env: { LABEL_STUDIO_API_KEY: 'k' }, baseUris: { '*': 'http://127.0.0.1:9' } });
  const pools = new UpstreamPools();
  t.teardown(() => pools.close());
  const app = buildRestServer(capability.rest[0]!, { invoker: new Invoker(new UpstreamClient(pools, { timeoutMs: 5_000, userAgent: 'test' }), []), maxResponseBytes: 1 << 20 }, {
    logger: createLogger('silent'),
    bodyLimitBytes: 1 << 20,
    requestTimeoutMs: 30_000,
    keepAliveTimeoutMs: 5_000,
    model: capability.model,
    mcp: capability.mcp,
    auth: DISABLED_AUTH,
  });
  t.teardown(() => app.close());
  await app.ready();
  t.notOk(loaded('@fastify/swagger-ui'), 'Swagger UI is not loaded at start-up');
  t.notOk(loaded('@fastify/static'), 'nor its static file server');

  const json = await app.inject({ method: 'GET', url: '/openapi.json' });
  t.equal(json.statusCode, 200);
  const yaml = await app.inject({ method: 'GET', url: '/openapi.yaml' });
  t.equal(yaml.statusCode, 200);
  t.match(yaml.body, /^openapi: 3\.1\.0/m);

  const page = await app.inject({ method: 'GET', url: '/docs/', headers: { 'x-request-id': 'docs-1' } });
  t.equal(page.statusCode, 200);
  t.match(page.body, /swagger-ui/i);
  t.equal(page.headers['x-request-id'], 'docs-1', 'the REST app headers reach the Swagger UI answer');
  t.ok(loaded('@fastify/swagger-ui'), 'Swagger UI loads on its first request');
  const spec = await app.inject({ method: 'GET', url: '/docs/json' });
  t.same(spec.json(), json.json(), 'Swagger UI reads the served document');
  const missing = await app.inject({ method: 'GET', url: '/docs/no-such-file.js' });
  t.equal(missing.statusCode, 404);
  t.match(missing.json(), { code: 'NGW_ERR_NOT_FOUND' }, 'a missing asset is the gateway\'s problem+json 404');
});
