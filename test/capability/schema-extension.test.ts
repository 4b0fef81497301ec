/**
 * The `schema:` extension: JSON Schema on consumed input parameters (request
 * validation) and on output parameters (documented responses), checked at
 * load time; output schemas follow the mapping rules.
 */
import t from 'tap';
import { outputSchema } from '../../src/adapters/output-schema.js';
import { CapabilityError, checkCapabilityFile, loadCapabilityText } from '../../src/capability/index.js';

const CAPABILITY = `naftiko: 1.0.0-alpha2
info:
  label: Schema extension
capability:
  consumes:
  - type: http
    namespace: up
    baseUri: http://127.0.0.1:9
    resources:
    - name: things
      path: /things/{id}
      operations:
      - name: get
        method: GET
        inputParameters:
        - name: id
          in: path
          type: integer
          schema: { minimum: 1 }
        outputParameters:
        - name: result
          value: $.
          schema: { type: object, properties: { id: { type: integer } }, additionalProperties: true }
      - name: patch
        method: PATCH
        inputParameters:
        - name: id
          in: path
          type: integer
        - name: body
          in: body
          schema: SCHEMA
  exposes:
  - type: rest
    port: 8080
    resources:
    - path: /v1/things/{id}
      name: things
      operations:
      - method: GET
        call: up.get
      - method: PATCH
        call: up.patch
        outputParameters:
        - name: label
          mapping: $.title
          schema: { type: string }
        - name: owner
          mapping: $.owner
          properties:
          - name: email
            mapping: $.email
`;

function load(bodySchema: string) {
  return loadCapabilityText('schema.yaml', CAPABILITY.replace('SCHEMA', bodySchema), { env: {} });
}

t.test('schemas are parsed onto input and output parameters', async (t) => {
  const { capability } = load('{ type: object, properties: { title: { type: [string, "null"] } } }');
  const [get, patch] = capability.rest[0]?.routes ?? [];
  t.same(get?.inputs[0]?.parameter.schema, { minimum: 1 });
  t.same(outputSchema(get!), { type: 'object', properties: { id: { type: 'integer' } }, additionalProperties: true }, 'identity output: the consumed schema');
  t.same(outputSchema(patch!), {
    type: 'object',
    properties: {
      label: { type: 'string' },
      owner: { type: 'object', properties: { email: { description: 'JSONPath $.email of the upstream response' } } },
    },
  }, 'named outputs: an object of their schemas');
  t.same(patch?.inputs.find((i) => i.parameter.in === 'body')?.parameter.schema, { type: 'object', properties: { title: { type: ['string', 'null'] } } });
});

t.test('an invalid JSON Schema is a load error with its YAML path', async (t) => {
  const err = (() => {
    try {
      load('{ type: objekt, minLength: -1 }');
      return undefined;
    } catch (e) {
      return e;
    }
  })();
  t.ok(err instanceof CapabilityError);
  t.match((err as CapabilityError).message, /capability\.consumes\[0\]\.resources\[0\]\.operations\[1\]\.inputParameters\[1\]\.schema: invalid JSON Schema/);
  t.throws(() => load('just-a-string'), CapabilityError, 'a schema must be a mapping');
});

t.test('mapped outputs without schemas are documented from their mappings', async (t) => {
  const result = checkCapabilityFile('test/fixtures/capabilities/mapped.yaml', { env: {} });
  t.ok(result.ok);
  const routes = result.compiled?.rest[0]?.routes ?? [];
  const titles = routes.find((r) => r.path === '/v1/orgs/titles');
  t.same(outputSchema(titles!), {
    type: 'array',
    items: { type: 'object', properties: { key: { description: 'JSONPath $.id of the upstream response' }, label: { description: 'JSONPath $.title of the upstream response' } } },
  });
});
