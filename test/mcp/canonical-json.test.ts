/**
 * isCanonicalJson (src/adapters/mcp/canonical-json.ts) lets an identity tool's JSON body stand for
 * `JSON.stringify(JSON.parse(body))`. It must never say yes to a text that serialization would change
 * (the answer would differ from the SDK path's); it should say yes to what JSON.stringify writes.
 * A table of the edge cases, then seeded random values, serialized and then mutated.
 */
import t from 'tap';
import { isCanonicalJson } from '../../src/adapters/mcp/canonical-json.js';

function roundTrips(text: string): boolean {
  try {
    return JSON.stringify(JSON.parse(text)) === text;
  } catch {
    return false;
  }
}

t.test('edge cases: the answer is whether the text round-trips', async (t) => {
  const cases: [string, boolean][] = [
    ['{"id":1,"title":"Acme","tags":[],"n":null,"ok":true,"no":false}', true],
    ['{"title":"Café \\"Acme\\" \\\\ \\n\\t\\r\\b\\f","emoji":"😀","line":"\u2028"}', true],
    ['[1,-2,0,3.5,-0.25,123456789012345]', true],
    ['"text"', true],
    ['17', true],
    ['null', true],
    ['{}', true],
    ['[]', true],
    ['{"__proto__":{"x":1},"constructor":2}', true],
    ['{"a":{"b":{"c":[{"d":"e"}]}}}', true],
    ['{ "id":1}', false],
    ['{"id": 1}', false],
    ['[1, 2]', false],
    ['{"id":1}\n', false],
    [' {"id":1}', false],
    ['{"url":"a\\/b"}', false],
    ['{"name":"\\u00e9"}', false],
    ['{"c":"\\u0001\\u001f"}', true],
    ['{"c":"\\u001F"}', false],
    ['{"c":"\\u000a"}', false],
    ['{"c":"\\u0020"}', false],
    ['{"c":"\\u00"}', false],
    ['{"bad":"\\ud800"}', false],
    ['{"n":1.0}', false],
    ['{"n":1.50}', false],
    ['{"n":1e3}', false],
    ['{"n":1E3}', false],
    ['{"n":-0}', false],
    ['{"n":0.1}', true],
    ['{"n":1e+21}', true],
    ['{"n":1e21}', false],
    ['{"n":12345678901234567890}', false],
    ['{"n":9007199254740993}', false],
    ['{"n":1234567890123456}', true],
    ['{"n":01}', false],
    ['{"n":.5}', false],
    ['{"n":1.}', false],
    ['{"n":-}', false],
    ['{"a":1,"a":2}', false],
    ['{"a":{"x":1},"b":{"x":1}}', true],
    ['{"1":"a","b":2}', false],
    ['{"b":2,"10":"a"}', false],
    ['{"a":"b",}', false],
    ['[1,]', false],
    ['{"a"}', false],
    ['{"a":1', false],
    ['"unterminated', false],
    ['tru', false],
    ['nul', false],
    ['{"t":"tab\there"}', false],
    ['\ufeff{"id":1}', false],
    ['', false],
    ['{"a":1}{"b":2}', false],
    [`${'['.repeat(70)}${']'.repeat(70)}`, false],
    [`{"x":${'['.repeat(40)}${']'.repeat(40)}}`, true],
  ];
  for (const [text, canonical] of cases) {
    t.equal(isCanonicalJson(text), canonical, JSON.stringify(text).slice(0, 80));
    // Whatever the scanner's caution, a yes must be a text that round-trips.
    if (canonical) t.ok(roundTrips(text), `${JSON.stringify(text).slice(0, 60)} round-trips`);
  }
  const lone = `{"x":"a${String.fromCharCode(0xd83d)}b"}`;
  t.notOk(isCanonicalJson(lone), 'an unpaired high surrogate');
  t.notOk(isCanonicalJson(`{"x":"${String.fromCharCode(0xde00)}"}`), 'a lone low surrogate');
  const wide = `{${Array.from({ length: 200 }, (_, i) => `"k${i}":${i}`).join(',')}}`;
  t.notOk(isCanonicalJson(wide), 'more keys than the duplicate check compares: the slow path');
  t.ok(roundTrips(wide));
});

/** A small deterministic generator (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = ['a', 'Z', ' ', '"', '\\', '/', '\n', '\t', '\u0001', 'é', '😀', '\u2028', '{', '1', 'key'];

function value(next: () => number, depth: number): unknown {
  const kind = Math.floor(next() * (depth > 3 ? 4 : 6));
  if (kind === 0) return next() < 0.5 ? null : next() < 0.5;
  if (kind === 1) {
    const forms = [Math.floor(next() * 1000), -Math.floor(next() * 1e6), next() * 100, 1e21 * next(), 2 ** 53 + Math.floor(next() * 10)];
    return forms[Math.floor(next() * forms.length)];
  }
  if (kind === 2 || kind === 3) return Array.from({ length: Math.floor(next() * 5) }, () => PIECES[Math.floor(next() * PIECES.length)]).join('');
  if (kind === 4) return Array.from({ length: Math.floor(next() * 4) }, () => value(next, depth + 1));
  const out: Record<string, unknown> = {};
  for (let i = Math.floor(next() * 5); i > 0; i--) out[String(value(next, 9))] = value(next, depth + 1);
  return out;
}

/** Mutations JSON.stringify never writes, each of which JSON.parse still accepts (or rejects). */
const MUTATIONS: ((text: string, at: number) => string)[] = [
  (s, i) => `${s.slice(0, i)} ${s.slice(i)}`,
  (s) => s.replace(':', ': '),
  (s) => s.replace('/', '\\/'),
  (s) => s.replace('é', '\\u00e9'),
  (s) => s.replace(/"([a-z])/, '"\\u0061$1'),
  (s) => s.replace(/(\d)([,}\]])/, '$1.0$2'),
  (s) => s.replace(/(\d)([,}\]])/, '$1e0$2'),
  (s) => s.replace(/\{"([^"]*)":([^,}]*)/, '{"$1":$2,"$1":$2'),
  (s) => s.replace('{"', '{"7'),
  (s, i) => s.slice(0, i),
  (s) => `${s}\n`,
];

t.test('random values: every yes round-trips, and what JSON.stringify writes is recognized', async (t) => {
  const next = random(20261201);
  let yes = 0;
  let wrong = 0;
  let missed = 0;
  for (let n = 0; n < 4000; n++) {
    const canonical = JSON.stringify(value(next, 0));
    // What JSON.stringify writes is canonical, unless a key is an array index or past the key limit (slow path by design).
    if (!isCanonicalJson(canonical) && !/[{,]"\d/.test(canonical)) missed++;
    const mutated = (MUTATIONS[Math.floor(next() * MUTATIONS.length)] as (s: string, i: number) => string)(canonical, Math.floor(next() * canonical.length));
    for (const text of [canonical, mutated]) {
      if (!isCanonicalJson(text)) continue;
      yes++;
      if (!roundTrips(text)) {
        wrong++;
        t.fail(`said canonical, but JSON.stringify writes it otherwise: ${JSON.stringify(text)}`);
      }
    }
  }
  t.equal(wrong, 0, 'no text that serialization would change is taken as is');
  t.equal(missed, 0, 'JSON.stringify output without index-like keys is recognized');
  t.ok(yes > 2000, `the fast answer is taken often (${yes} of 8000)`);
});
