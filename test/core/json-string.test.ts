// jsonString must be JSON.stringify for every string, escapes and surrogates included.
import fc from 'fast-check';
import t from 'tap';
import { jsonString } from '../../src/core/json-string.js';

t.test('jsonString is JSON.stringify on random strings', async (t) => {
  const table = ['', 'plain', 'a"b', 'a\\b', 'tab\t', 'nul\u0000', '\u001f', '\u007f', '\u2028\u2029', 'é', '😀', '\ud83d', '\ude00x', '</script>'];
  for (const [i, s] of table.entries()) t.equal(jsonString(s), JSON.stringify(s), `table row ${i}`);
  let checked = 0;
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) })), (s) => {
      if (jsonString(s) !== JSON.stringify(s)) throw new Error(`differs on ${JSON.stringify(s)}`);
      checked++;
    }),
    { numRuns: 5000 },
  );
  t.equal(checked, 5000, 'every random string matched');
});
