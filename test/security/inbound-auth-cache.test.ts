/**
 * InboundAuth remembers the keys that matched (no SHA-256 per request): the answers must be exactly
 * those of hashing every time — for every way a key can be presented, after a key was seen, and for
 * a key set without that key (a revoked key is another InboundAuth, which must not know it).
 */
import fc from 'fast-check';
import t from 'tap';
import { GatewayError } from '../../src/core/errors.js';
import { hashApiKey, parseApiKeys } from '../../src/security/api-keys.js';
import { InboundAuth } from '../../src/security/inbound-auth.js';

const KEY = 'ngw-read-0123456789abcdef';
const OTHER = 'ngw-write-fedcba9876543210';
const keysOf = (...entries: string[]): InboundAuth => new InboundAuth(parseApiKeys(entries.join(';'), 'test'));
const READER = `reader:${hashApiKey(KEY)}:read`;
const WRITER = `writer:${hashApiKey(OTHER)}:write`;

function idOf(result: ReturnType<InboundAuth['authenticate']>): string {
  if (result instanceof GatewayError) return `${result.status} ${result.message}`;
  return result?.id ?? 'anonymous';
}

t.test('a key seen before answers as the first time, by either header', async (t) => {
  const auth = keysOf(READER, WRITER);
  for (let i = 0; i < 3; i++) {
    t.equal(idOf(auth.authenticate({ authorization: `Bearer ${KEY}` })), 'reader', `Bearer, request ${i + 1}`);
    t.equal(idOf(auth.authenticate({ 'x-api-key': KEY })), 'reader', `x-api-key, request ${i + 1}`);
    t.equal(idOf(auth.authenticate({ 'x-api-key': OTHER })), 'writer', `the other key, request ${i + 1}`);
    t.equal(idOf(auth.authenticate({ 'x-api-key': `${KEY}x` })), '401 the gateway API key is not valid', `a longer key, request ${i + 1}`);
    t.equal(idOf(auth.authenticate({ 'x-api-key': KEY.slice(0, -1) })), '401 the gateway API key is not valid', `a prefix of the key, request ${i + 1}`);
  }
  t.equal(auth.authorizeScope(auth.authenticate({ 'x-api-key': KEY }) as { id: string; scopes: readonly ('read' | 'write')[] }, 'write')?.code, 'NGW_ERR_FORBIDDEN', 'a remembered key keeps its scopes');
});

t.test('a key set without the key (revoked, or a reloaded file) refuses it, though another set accepted it', async (t) => {
  const before = keysOf(READER, WRITER);
  t.equal(idOf(before.authenticate({ authorization: `Bearer ${KEY}` })), 'reader', 'accepted by the first set');
  t.equal(idOf(before.authenticate({ authorization: `Bearer ${KEY}` })), 'reader', 'remembered by the first set');
  const after = keysOf(WRITER);
  t.equal(idOf(after.authenticate({ authorization: `Bearer ${KEY}` })), '401 the gateway API key is not valid', 'refused by the set without it');
  t.equal(idOf(after.authenticate({ authorization: `Bearer ${OTHER}` })), 'writer', 'the kept key still works');
  // Same id, another secret: the old secret must not map to the id any more.
  const rotated = keysOf(`reader:${hashApiKey('ngw-read-rotated')}:read`);
  t.equal(idOf(rotated.authenticate({ 'x-api-key': KEY })), '401 the gateway API key is not valid', 'the rotated-out secret is refused');
  t.equal(idOf(rotated.authenticate({ 'x-api-key': 'ngw-read-rotated' })), 'reader', 'the new secret is accepted');
});

t.test('many wrong keys are refused, and the right one still accepted after them', async (t) => {
  const auth = keysOf(READER);
  let refused = 0;
  for (let i = 0; i < 3000; i++) if (auth.authenticate({ 'x-api-key': `guess-${i}` }) instanceof GatewayError) refused++;
  t.equal(refused, 3000, 'every guess refused');
  t.equal(idOf(auth.authenticate({ 'x-api-key': KEY })), 'reader', 'the key accepted');
  t.equal(idOf(auth.authenticate({ 'x-api-key': 'x'.repeat(600) })), '401 the gateway API key is not valid', 'an over-long value is refused');
});

// The Authorization header as the former /^bearer[ \t]+([^ \t]+)[ \t]*$/i read it, for random spellings.
const BEARER = /^bearer[ \t]+([^ \t]+)[ \t]*$/i;
const piece = fc.constantFrom('Bearer', 'bearer', 'BEARER', 'bEaReR', 'Bearer.', 'Beare', 'Bearerr', 'Basic', ' ', '\t', '  ', KEY, OTHER, 'x', 'é', '');

t.test('Authorization: Bearer is read as the regular expression read it', async (t) => {
  const auth = keysOf(READER, WRITER);
  const reference = keysOf(READER, WRITER);
  const table: [string, string][] = [
    [`Bearer ${KEY}`, 'reader'],
    [`bearer\t${KEY}\t `, 'reader'],
    [`BEARER  ${OTHER}`, 'writer'],
    [`Bearer ${KEY} x`, '401 the Authorization header must use the Bearer scheme with a gateway API key'],
    [`Bearer${KEY}`, '401 the Authorization header must use the Bearer scheme with a gateway API key'],
    ['Bearer  ', '401 the Authorization header must use the Bearer scheme with a gateway API key'],
    [`Bearer ${KEY}é`, '401 the gateway API key is not valid'],
  ];
  for (const [header, want] of table) t.equal(idOf(auth.authenticate({ authorization: header })), want, JSON.stringify(header));
  fc.assert(
    fc.property(fc.array(piece, { minLength: 1, maxLength: 6 }), (pieces) => {
      const header = pieces.join('');
      const m = BEARER.exec(header);
      const want = m === null ? 'scheme' : m[1] === KEY ? 'reader' : m[1] === OTHER ? 'writer' : 'invalid';
      const result = auth.authenticate({ authorization: header });
      const have = result instanceof GatewayError ? (result.message.includes('Bearer scheme') ? 'scheme' : 'invalid') : (result?.id ?? 'anonymous');
      // Twice on one instance (the second may be remembered), once on a fresh one.
      const again = idOf(auth.authenticate({ authorization: header }));
      t.equal(have, want, JSON.stringify(header));
      t.equal(again, idOf(reference.authenticate({ authorization: header })), `${JSON.stringify(header)} again`);
    }),
    { numRuns: 400 },
  );
});
