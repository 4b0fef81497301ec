/**
 * A feature nobody uses costs nothing at start-up: Swagger UI (with
 * @fastify/static and `yaml`) loads on the first /docs request, the OpenAPI
 * document is built on its first request. (Whether `yaml` loads lazily cannot be
 * seen from here: tap itself loads it.)
 */
import { createRequire } from 'node:module';
import t from 'tap';
import { buildTestRestServer } from '../helpers/rest-server.js';

const moduleCache = createRequire(import.meta.url).cache;

function loaded(fragment: string): boolean {
  return Object.keys(moduleCache).some((file) => file.includes(fragment));
}

t.test('Swagger UI and YAML load on first use', async (t) => {
  const app = buildTestRestServer(t, 'capability.yaml', { env: { LABEL_STUDIO_API_KEY: 'k' } });
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
