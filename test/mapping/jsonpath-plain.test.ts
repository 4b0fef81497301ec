// The plain-step JSONPath evaluator must give exactly what json-p3 gives, for every query it accepts.
import fc from 'fast-check';
import { compile, type JSONValue } from 'json-p3';
import t from 'tap';
import { generalMapper, plainSteps, queryMapper } from '../../src/mapping/jsonpath.js';

const KEYS = ['id', 'title', 'a', 'b', '0', 'constructor', 'toString'];

const jsonValue: fc.Arbitrary<JSONValue> = fc.letrec<{ value: JSONValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom<JSONValue>(null, true, false, 0, 1, -1, 'x', ''),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.constantFrom(...KEYS), tie('value'), { maxKeys: 4 }),
  ),
})).value;

const step = fc.oneof(
  fc.constantFrom(...KEYS).map((k) => `['${k}']`),
  fc.constantFrom('id', 'title', 'a').map((k) => `.${k}`),
  fc.integer({ min: -3, max: 3 }).map((i) => `[${i}]`),
  fc.constantFrom('[*]', '.*'),
);
const plainQuery = fc.array(step, { maxLength: 4 }).map((steps) => `$${steps.join('')}`);

t.test('plain queries match json-p3 on random documents', async (t) => {
  fc.assert(
    fc.property(plainQuery, jsonValue, (path, doc) => {
      const query = compile(path);
      t.ok(plainSteps(query), `${path} takes the plain path`);
      t.same(queryMapper(query)(doc), generalMapper(query)(doc), path);
    }),
    { numRuns: 500 },
  );
});

t.test('other queries fall back to json-p3', async (t) => {
  const doc: JSONValue = { items: [{ id: 1, tags: ['a'] }, { id: 2, tags: [] }], n: 3 };
  const table: [string, JSONValue][] = [
    ['$..id', [1, 2]],
    ['$.items[?@.id > 1].id', [2]],
    ['$.items[0:1].id', [1]],
    ["$.items[0]['id','tags']", [1, ['a']]],
  ];
  for (const [path, want] of table) {
    const query = compile(path);
    t.equal(plainSteps(query), undefined, `${path} is not plain`);
    t.same(queryMapper(query)(doc), want, path);
  }
});

t.test('singular plain queries yield the value or null', async (t) => {
  const doc: JSONValue = { a: { b: [10, 20] }, n: null };
  const table: [string, JSONValue][] = [
    ['$.a.b[1]', 20],
    ['$.a.b[-1]', 20],
    ['$.a.b[5]', null],
    ['$.n', null],
    ['$.missing.deeper', null],
    ['$', doc],
  ];
  for (const [path, want] of table) t.same(queryMapper(compile(path))(doc), want, path);
});
