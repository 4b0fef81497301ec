// The compiled JSON writer of an output mapping must give exactly JSON.stringify of the mapped output.
import fc from 'fast-check';
import type { JSONValue } from 'json-p3';
import t from 'tap';
import type { OutputParameterModel } from '../../src/capability/model.js';
import { compileOutput } from '../../src/mapping/output.js';

const KEYS = ['id', 'title', 'a', 'b', '0', '__proto__'];
const STRINGS = ['', 'x', 'Acme "Labeling"', 'back\\slash', 'line\nfeed', '\u0001', '\ud800', 'pair 😀', 'é', '\u2028', '</script>'];
const NUMBERS = [0, -0, 1, -1, 0.1, 1e21, 123456789.125, Number.MAX_SAFE_INTEGER];

const jsonValue: fc.Arbitrary<JSONValue> = fc.letrec<{ value: JSONValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom<JSONValue>(null, true, false, ...NUMBERS, ...STRINGS),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.constantFrom(...KEYS), tie('value'), { maxKeys: 4 }),
  ),
})).value;

const MAPPINGS = [undefined, '$', '$.id', '$.title', '$.a.b', '$[0]', '$[*]', '$[*].id', '$..id', '$.a[-1]'];
const NAMES = ['id', 'title', 'a', 'b', '0', '7', '__proto__', ''];

function model(name: string | undefined, mapping: string | undefined, properties: OutputParameterModel[], items: OutputParameterModel | undefined): OutputParameterModel {
  return { name, type: 'string', mapping, properties, items, schema: undefined, yamlPath: '$' };
}

const parameter: fc.Arbitrary<OutputParameterModel> = fc.letrec<{ param: OutputParameterModel }>((tie) => ({
  param: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.tuple(fc.constantFrom(...NAMES), fc.constantFrom(...MAPPINGS)).map(([name, mapping]) => model(name, mapping, [], undefined)),
    fc.tuple(fc.constantFrom(...NAMES), fc.constantFrom(...MAPPINGS), fc.array(tie('param'), { minLength: 1, maxLength: 3 })).map(([name, mapping, properties]) => model(name, mapping, properties, undefined)),
    fc
      .tuple(fc.constantFrom(...NAMES), fc.constantFrom(...MAPPINGS), fc.array(tie('param'), { minLength: 1, maxLength: 3 }))
      .map(([name, mapping, properties]) => model(name, mapping, [], model(undefined, undefined, properties, undefined))),
  ),
})).param;

t.test('toJson is JSON.stringify(map(document)) on random mappings and documents', async (t) => {
  let checked = 0;
  fc.assert(
    fc.property(fc.array(parameter, { minLength: 1, maxLength: 3 }), jsonValue, (params, doc) => {
      const output = compileOutput(params);
      const want = JSON.stringify(output.map(doc));
      if (output.toJson(doc) !== want) throw new Error(`${JSON.stringify(params)} on ${JSON.stringify(doc)}: have ${output.toJson(doc)}, want ${want}`);
      checked++;
    }),
    { numRuns: 3000 },
  );
  t.equal(checked, 3000, 'every case matched');
});

t.test('the bench list shape: [{id, title}] over organizations', async (t) => {
  const output = compileOutput([model(undefined, '$', [], model(undefined, undefined, [model('id', '$.id', [], undefined), model('title', '$.title', [], undefined)], undefined))]);
  const doc: JSONValue = [
    { id: 1, title: 'Acme "Labeling"', contact_info: null },
    { id: 2, title: 'Ünïcode\u2028 😀', extra: { deep: [1] } },
    { id: 3 },
    { title: ['not', 'a', 'string'] },
    'not an object',
  ];
  t.equal(output.toJson(doc), '[{"id":1,"title":"Acme \\"Labeling\\""},{"id":2,"title":"Ünïcode\u2028 😀"},{"id":3,"title":null},{"id":null,"title":["not","a","string"]},{"id":null,"title":null}]');
  t.equal(output.toJson({ not: 'a list' }), 'null', 'a document that is not a list maps to null');
});
