/**
 * Property: random paths, queries, bodies and headers against the running
 * gateway. Every answer is well-formed (a gateway problem+json, or an upstream
 * pass-through), the process stays up, the upstream only sees requests inside
 * the consumed resources that match the operation's schema, and no secret
 * appears in a response or a log line.
 */
import fc from 'fast-check';
import t from 'tap';
import { ADMIN_KEY, logViolations, READ_KEY, responseViolations, send, startSecureGateway, UPSTREAM_KEY, upstreamViolations, WRITE_KEY, type SecureSetup } from './fixture.js';

const SEED = 20261123;
const RUNS = 300;

const PRINTABLE = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 40 });
const NASTY = fc.constantFrom('..', '%2e%2e', '%2F', '%5C', '\\', '%00', '%0D%0A', '%', '%ff', '__proto__', 'constructor', '%E2%80%AE', '%EF%BC%91', '1%2F..%2F2', '');
const SEGMENT = fc.oneof(
  { arbitrary: fc.integer({ min: -3, max: 5 }).map(String), weight: 4 },
  NASTY,
  fc.string({ unit: 'grapheme', maxLength: 12 }).map(encodeURIComponent),
  PRINTABLE.map((s) => s.replace(/[ #?]/g, '')),
);
/** [method, path]: mostly a route's own method, so a fair share passes validation and reaches the upstream. */
const ANY_METHOD = fc.constantFrom('GET', 'POST', 'PATCH', 'PUT', 'DELETE', 'OPTIONS');
const TARGET = fc.oneof(
  // Well-formed reads keep the pass-through path exercised now that ids below 1 and bad bodies stop at validation.
  { arbitrary: fc.tuple(fc.constant('GET'), fc.integer({ min: 1, max: 5 }).map((id) => `/v1/api/organizations/${id}`)), weight: 2 },
  fc.tuple(fc.constant('POST'), fc.constant('/v1/api/invite/reset-token')),
  fc.tuple(fc.constant('GET'), fc.constantFrom('/v1/api/organizations', '/v1/api/organizations/')),
  fc.tuple(fc.constantFrom('GET', 'PATCH'), SEGMENT.map((id) => `/v1/api/organizations/${id}`)),
  fc.tuple(fc.constant('PATCH'), fc.tuple(SEGMENT, fc.constantFrom('/set-default-role', '/memberships')).map(([id, s]) => `/v1/api/organizations/${id}${s}`)),
  fc.tuple(ANY_METHOD, fc.array(SEGMENT, { minLength: 1, maxLength: 5 }).map((segs) => `/v1/${segs.join('/')}`)),
);
const METHOD_AND_PATH = fc.tuple(TARGET, fc.option(ANY_METHOD, { freq: 4, nil: undefined })).map(([[method, path], other]) => [other ?? method, path] as const);
const QUERY_KEY = fc.oneof(fc.constantFrom('ordering', '__proto__', 'constructor', 'api_key', 'ordering[]', 'ordering[a]', 'id'), fc.string({ maxLength: 8 }).map(encodeURIComponent));
const QUERY_VALUE = fc.oneof(fc.constantFrom('id', '-id', 'title', '%00', '%0D%0A', '%', UPSTREAM_KEY), fc.string({ unit: 'grapheme', maxLength: 20 }).map(encodeURIComponent));
const QUERY = fc.array(fc.tuple(QUERY_KEY, QUERY_VALUE), { maxLength: 4 }).map((pairs) => (pairs.length === 0 ? '' : '?' + pairs.map(([k, v]) => `${k}=${v}`).join('&')));

const SPECIAL_OBJECT = fc.dictionary(fc.constantFrom('__proto__', 'constructor', 'prototype', 'title', 'default_role', 'user_id', 'role', 'toString'), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 })
  // JSON.stringify drops an own "__proto__" set by fc.dictionary; write it as text instead.
  .map((o) => JSON.stringify(o).replace('"toString"', '"__proto__"'));
const BODY = fc.option(
  fc.oneof(
    { arbitrary: fc.object({ maxDepth: 2, values: [fc.jsonValue({ maxDepth: 2 })] }).map((v) => JSON.stringify(v)), weight: 3 },
    fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? 'null'),
    SPECIAL_OBJECT,
    fc.string({ maxLength: 30 }),
  ),
  { nil: undefined },
);
const CONTENT_TYPE = fc.constantFrom('application/json', 'application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', undefined);
const CREDENTIAL = fc.constantFrom<Record<string, string>>(
  { 'x-api-key': ADMIN_KEY },
  { 'x-api-key': ADMIN_KEY },
  { authorization: `Bearer ${ADMIN_KEY}` },
  { authorization: `Bearer ${ADMIN_KEY}` },
  { 'x-api-key': READ_KEY },
  { 'x-api-key': WRITE_KEY },
  { authorization: `Token ${UPSTREAM_KEY}` },
  { authorization: 'Bearer garbage' },
  {},
);
const EXTRA_HEADERS = fc.dictionary(fc.constantFrom('x-request-id', 'accept', 'x-forwarded-for', 'x-http-method-override', 'cookie', 'x-foo', 'origin'), PRINTABLE, { maxKeys: 3 });

let setup: SecureSetup;
t.before(async () => {
  setup = await startSecureGateway();
});
t.teardown(() => setup?.close());

t.test(`${RUNS} random requests (seed ${SEED})`, async (t) => {
  const { gw, sim } = setup;
  t.comment(`fast-check seed ${SEED}, ${RUNS} runs`);
  let passedThrough = 0;
  await fc.assert(
    fc.asyncProperty(METHOD_AND_PATH, QUERY, BODY, CONTENT_TYPE, CREDENTIAL, EXTRA_HEADERS, async ([method, path], query, body, contentType, credential, extra) => {
      sim.clear();
      const headers: Record<string, string> = { ...extra, ...credential };
      if (contentType !== undefined && body !== undefined) headers['content-type'] = contentType;
      const res = await send(gw.url, method, path + query, headers, body);
      const problems = [...responseViolations(res), ...upstreamViolations(sim.requests)];
      const isProblem = String(res.headers['content-type'] ?? '').startsWith('application/problem+json');
      if (sim.requests.length === 0 && !isProblem && res.status !== 204) problems.push(`gateway answered ${res.status} without problem+json and without an upstream call`);
      if (sim.requests.length > 0) passedThrough++;
      if (problems.length > 0) throw new Error(`${method} ${path}${query}: ${problems.join('; ')}`);
      if (sim.requests.length > 0) sim.reset();
    }),
    { seed: SEED, numRuns: RUNS, endOnFailure: true },
  );
  t.comment(`${passedThrough} of ${RUNS} requests reached the upstream`);
  // The seed fixes the requests, not every answer: the ledger's seat guard carries state (and in-flight deadlines)
  // from one request to the next, so 29–33 of 300 have been seen to pass. The bound proves the pass-through path
  // was exercised, with room for that.
  t.ok(passedThrough >= RUNS / 20, 'some random requests were valid and passed through');
  t.equal((await send(gw.url, 'GET', '/healthz')).status, 200, 'the process is still up');
  t.equal(gw.child.exitCode, null);
  t.same(logViolations(gw.logs), [], 'no secret in any log line');
});
