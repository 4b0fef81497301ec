/**
 * One way to strip decoration from capability text: OpenAPI summaries and MCP
 * descriptions/titles used to differ (ends only vs everywhere, whitespace kept vs collapsed).
 */
import t from 'tap';
import { plainText } from '../../src/capability/plain-text.js';

const cases: [string | undefined, string | undefined][] = [
  ['✨ Update organization', 'Update organization'],
  ['  Reset organization token  ', 'Reset organization token'],
  ['🚀✨ Launch 🚀', 'Launch'],
  ['✨', undefined],
  ['', undefined],
  [undefined, undefined],
  ['Keep C++ & 100% of it', 'Keep C++ & 100% of it'],
  ['Update ✨ organization', 'Update organization'],
  ['Family 👨‍👩‍👧 plan', 'Family plan'],
  ['❤️ Favourites', 'Favourites'],
  ['★ Starred ★', 'Starred'],
  ['Acme™ seats', 'Acme™ seats'],
  ['List\n  the   organizations', 'List the organizations'],
];

t.test('plainText strips emoji everywhere, symbols at the ends, and collapses whitespace', async (t) => {
  for (const [input, want] of cases) t.equal(plainText(input), want, `have: ${JSON.stringify(plainText(input))}, want: ${JSON.stringify(want)}`);
});
