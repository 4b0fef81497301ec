// Validators are shared between identical schemas and generated on first use, yet a broken
// schema still fails at boot and validation results are unchanged.
import Fastify from 'fastify';
import t from 'tap';
import { createValidatorCompiler } from '../../src/adapters/validation.js';

function build(bodySchema: object) {
  const app = Fastify();
  app.setValidatorCompiler(createValidatorCompiler());
  for (const url of ['/a/:id', '/b/:id']) {
    app.patch(url, { schema: { params: { type: 'object', properties: { id: { type: 'integer' } }, required: ['id'] }, body: bodySchema } }, async (req) => ({ params: req.params, body: req.body }));
  }
  return app;
}

t.test('identical schemas on several routes validate independently', async (t) => {
  const app = build({ type: 'object', properties: { title: { type: 'string', maxLength: 3 } }, additionalProperties: false });
  t.teardown(() => app.close());
  const ok = await app.inject({ method: 'PATCH', url: '/a/7', payload: { title: 'abc' } });
  t.equal(ok.statusCode, 200);
  t.same(ok.json(), { params: { id: 7 }, body: { title: 'abc' } }, 'path integer coerced, body kept');
  const badBody = await app.inject({ method: 'PATCH', url: '/b/7', payload: { title: 'abcd' } });
  t.equal(badBody.statusCode, 400);
  t.match(badBody.json().message, /maxLength|must NOT have more than 3 characters/);
  const badId = await app.inject({ method: 'PATCH', url: '/b/1e3', payload: { title: 'a' } });
  t.equal(badId.statusCode, 400, 'plain decimal only, through the shared params validator');
  const extra = await app.inject({ method: 'PATCH', url: '/a/1', payload: { other: 1 } });
  t.equal(extra.statusCode, 400, 'additionalProperties still enforced');
});

t.test('an invalid schema fails at boot, not on the first request', async (t) => {
  const app = build({ type: 'object', properties: { title: { type: 'string', maxLength: 'three' } } });
  t.teardown(() => app.close());
  await t.rejects(async () => {
    await app.ready();
  }, /invalid JSON Schema|maxLength/);
});
