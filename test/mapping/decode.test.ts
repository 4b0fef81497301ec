/**
 * outputRawFormat decoding: each format becomes the JSON value a mapping reads.
 */
import t from 'tap';
import type { CompiledCall } from '../../src/capability/compiled.js';
import { GatewayError } from '../../src/core/errors.js';
import { decodeBody } from '../../src/mapping/decode.js';

function callWith(format: string): CompiledCall {
  return { operation: { key: 'ns.op', outputRawFormat: format } } as unknown as CompiledCall;
}

t.test('formats', async (t) => {
  const table = [
    { format: 'json', text: '{"a":[1,2]}', want: { a: [1, 2] } },
    { format: 'text', text: 'plain words', want: 'plain words' },
    { format: 'xml', text: '<r><i id="1">x</i><i id="2">y</i></r>', want: { r: { i: [{ '#text': 'x', '@_id': 1 }, { '#text': 'y', '@_id': 2 }] } } },
    { format: 'csv', text: 'a,b\n1,x\n2,y\n', want: [{ a: '1', b: 'x' }, { a: '2', b: 'y' }] },
    { format: 'tsv', text: 'a\tb\n1\tx\n', want: [{ a: '1', b: 'x' }] },
    { format: 'psv', text: 'a|b\n1|x\n', want: [{ a: '1', b: 'x' }] },
    { format: 'yaml', text: 'a: 1\nlist: [x, y]\n', want: { a: 1, list: ['x', 'y'] } },
  ];
  for (const row of table) t.same(decodeBody(callWith(row.format), row.text), row.want, row.format);
});

t.test('undecodable bodies are 502 NGW_ERR_UPSTREAM_BAD_RESPONSE naming the format', async (t) => {
  for (const [format, text] of [
    ['json', '<html>'],
    ['csv', 'a,b\n"unterminated'],
    ['yaml', 'a: [1, 2'],
  ] as const) {
    let caught: unknown;
    try {
      decodeBody(callWith(format), text);
    } catch (err) {
      caught = err;
    }
    t.ok(caught instanceof GatewayError, `${format}: a GatewayError`);
    t.match(caught, { code: 'NGW_ERR_UPSTREAM_BAD_RESPONSE', status: 502, message: new RegExp(`not valid ${format}`) }, format);
  }
});
