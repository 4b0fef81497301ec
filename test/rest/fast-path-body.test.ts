/**
 * Request bodies and large streamed answers on the compiled happy path
 * (src/adapters/rest/fast-path.ts, fast-body.ts) answer exactly as the fastify path
 * does. As in fast-path.test.ts, a percent-encoded path (`/%761/…` for `/v1/…`)
 * sends the same request through fastify; each case is asked both ways and the
 * answers, what reached the upstream, the access lines and the metrics compared.
 */
import { createHash } from 'node:crypto';
import { EventEmitter, once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { request } from 'undici';
import { fastPathOf } from '../../src/adapters/rest/server.js';
import { startGatewayProcess, type GatewayProcess } from '../helpers/gateway-process.js';
import { buildTestRestServer } from '../helpers/rest-server.js';

/** LARGE is a JSON answer past the 64 KB the gateway collects (upstream/exchange.ts): it streams. */
const LARGE = JSON.stringify(Array.from({ length: 2000 }, (_, i) => ({ id: i, title: `Organization ${i} — ünïcödé` })));
const BODY_LIMIT = 4096;

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly body: string;
  readonly contentType: string | undefined;
}

/** listenLocal listens on a free loopback port (closed at teardown) and returns its base URL. */
async function listenLocal(t: Test, server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** gatewayInFrontOf starts the shipped gateway in front of `upstreamUrl`, without retries (stopped at teardown). */
async function gatewayInFrontOf(t: Test, upstreamUrl: string): Promise<GatewayProcess> {
  const gw = await startGatewayProcess({ capability: 'capability.yaml', env: { LABEL_STUDIO_API_KEY: 'k' }, args: ['--base-uri', upstreamUrl, '--upstream-retries', '0'] });
  t.teardown(() => gw.stop());
  return gw;
}

/** sendJson answers `text` as JSON with its Content-Length (and any extra headers). */
function sendJson(res: ServerResponse, status: number, text: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...extra, 'content-length': String(Buffer.byteLength(text)) });
  res.end(text);
}

/** The upstream: PATCH of organization 1 echoes the body it got; 2 refuses it (400); 3 answers a large chunked body; GETs of the list a large body. */
async function startUpstream(t: Test): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const upstream = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const url = req.url ?? '';
      seen.push({ method: req.method ?? '', url, body, contentType: req.headers['content-type'] });
      if (req.method === 'PATCH' && url === '/api/organizations/1') {
        const answer = JSON.stringify({ id: 1, patched: JSON.parse(body) as unknown });
        sendJson(res, 200, answer, { etag: '"v2"', 'set-cookie': 'a=b' });
      } else if (req.method === 'PATCH' && url === '/api/organizations/1/memberships') {
        sendJson(res, 200, JSON.stringify({ id: 9, organization: 1, ...(JSON.parse(body) as object) }));
      } else if (req.method === 'PATCH' && url === '/api/organizations/2') {
        sendJson(res, 400, '{"title":["Organization with this title already exists."]}');
      } else if (req.method === 'PATCH' && url === '/api/organizations/3') {
        // No Content-Length: chunked, of unknown length.
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write(LARGE.slice(0, 30_000));
        res.end(LARGE.slice(30_000));
      } else if (req.method === 'GET' && url === '/api/organizations/?ordering=large') {
        sendJson(res, 200, LARGE);
      } else if (req.method === 'GET' && url === '/api/organizations/?ordering=chunked') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write(LARGE.slice(0, 50_000));
        res.end(LARGE.slice(50_000));
      } else {
        sendJson(res, 404, '{}');
      }
    });
  });
  return { url: await listenLocal(t, upstream), seen };
}

const VOLATILE = new Set(['x-request-id', 'date']);

function stable(headers: Record<string, string | string[] | undefined>): Record<string, string | string[] | undefined> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !VOLATILE.has(name)));
}

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** both sends one request by the fast path and by fastify (request ids `fast-<id>` and `slow-<id>`). */
async function both(base: string, method: 'GET' | 'PATCH', path: string, id: string, headers: Record<string, string>, body?: string): Promise<[Answer, Answer]> {
  const fast = await request(`${base}${path}`, { method, headers: { ...headers, 'x-request-id': `fast-${id}` }, body });
  const fastAnswer = { status: fast.statusCode, headers: fast.headers, body: await fast.body.text() };
  const slow = await request(`${base}${path.replace(/^\/v1\//, '/%761/')}`, { method, headers: { ...headers, 'x-request-id': `slow-${id}` }, body });
  return [fastAnswer, { status: slow.statusCode, headers: slow.headers, body: await slow.body.text() }];
}

/** compare sends one request by the fast path and by fastify and checks both answers match. */
async function compare(t: Test, base: string, method: 'GET' | 'PATCH', path: string, id: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  const [fast, slow] = await both(base, method, path, id, headers, body);
  t.equal(fast.status, slow.status, `${id}: status`);
  t.same(stable(fast.headers), stable(slow.headers), `${id}: headers`);
  t.equal(fast.body.replaceAll('fast-', 'slow-').replaceAll('/v1/', '/%761/'), slow.body.replaceAll('/v1/', '/%761/'), `${id}: body`);
  t.equal(fast.headers['x-request-id'], `fast-${id}`, `${id}: the request id is echoed`);
  return fast;
}

const JSON_TYPE = { 'content-type': 'application/json' };

function nested(depth: number): string {
  return `{"title":"x","embed_settings":${'['.repeat(depth)}${']'.repeat(depth)}}`;
}

t.test('PATCH bodies: the fast path and fastify answer every case alike, and forward only valid bodies', async (t) => {
  const { url, seen } = await startUpstream(t);
  const gw = await startGatewayProcess({
    capability: 'capability.yaml',
    env: { LABEL_STUDIO_API_KEY: 'k', GATEWAY_CORS_ORIGINS: 'https://app.example' },
    args: ['--base-uri', url, '--upstream-retries', '0', '--body-limit-bytes', String(BODY_LIMIT)],
  });
  t.teardown(() => gw.stop());
  const path = '/v1/api/organizations/1';

  const valid = JSON.stringify({ title: 'Acme Labeling', custom_scripts_enabled: false, extra: { kept: [1, 2] } });
  const ok = await compare(t, gw.url, 'PATCH', path, 'valid', JSON_TYPE, valid);
  t.equal(ok.status, 200);
  t.same(JSON.parse(ok.body), { id: 1, patched: JSON.parse(valid) as unknown }, 'the upstream got the body and its answer came back');
  t.equal(ok.headers['etag'], '"v2"');
  t.equal(ok.headers['set-cookie'], undefined, 'Set-Cookie is dropped by both');
  const forwarded = seen.filter((s) => s.method === 'PATCH' && s.url === '/api/organizations/1');
  t.equal(forwarded.length, 2, 'both paths forwarded the valid body');
  t.same(
    forwarded.map((s) => JSON.parse(s.body) as unknown),
    [JSON.parse(valid), JSON.parse(valid)],
    'the same JSON',
  );
  t.same(
    forwarded.map((s) => s.contentType),
    ['application/json', 'application/json'],
  );
  await compare(t, gw.url, 'PATCH', path, 'charset', { 'content-type': 'application/json; charset=utf-8' }, valid);
  const cors = await compare(t, gw.url, 'PATCH', path, 'cors', { ...JSON_TYPE, origin: 'https://app.example' }, valid);
  t.equal(cors.headers['access-control-allow-origin'], 'https://app.example', 'CORS headers on a PATCH answer');

  const before = seen.length;
  const refused: [string, Record<string, string>, string, number][] = [
    ['wrong-media-type', { 'content-type': 'text/plain' }, valid, 415],
    ['no-media-type', {}, valid, 415],
    ['bad-json', JSON_TYPE, '{"title": "Acme",', 400],
    ['bom', JSON_TYPE, `\ufeff${valid}`, 200],
    ['poisoned', JSON_TYPE, '{"title":"x","__proto__":{"admin":true}}', 400],
    ['poisoned-escaped', JSON_TYPE, '{"title":"x","\\u005f_proto__":{"admin":true}}', 400],
    ['constructor-poisoned', JSON_TYPE, '{"title":"x","constructor":{"prototype":{"admin":true}}}', 400],
    ['constructor-word', JSON_TYPE, '{"title":"constructor"}', 200],
    ['too-deep', JSON_TYPE, nested(80), 400],
    ['schema', JSON_TYPE, JSON.stringify({ title: 5, contact_info: 'not an email' }), 400],
    ['not-an-object', JSON_TYPE, '[1,2]', 400],
    ['null', JSON_TYPE, 'null', 400],
    ['too-large', JSON_TYPE, JSON.stringify({ title: 'x'.repeat(BODY_LIMIT) }), 413],
  ];
  let forwardedOk = 0;
  for (const [id, headers, body, status] of refused) {
    const answer = await compare(t, gw.url, 'PATCH', path, id, headers, body);
    t.equal(answer.status, status, `${id}: ${status}`);
    if (status === 200) forwardedOk += 2;
    else t.match(answer.headers['content-type'], /application\/problem\+json/, `${id}: problem+json`);
  }
  t.equal(seen.length, before + forwardedOk, 'nothing invalid reached the upstream (the BOM and constructor-word bodies are valid for both)');
  const empty = await compare(t, gw.url, 'PATCH', path, 'empty', JSON_TYPE, '');
  t.equal(empty.status, 400, 'an empty JSON body is a 400');
  const bodiless = await compare(t, gw.url, 'PATCH', path, 'bodiless', {});
  t.equal(bodiless.status, 400, 'a PATCH without the required body is a 400');

  const passed = await compare(t, gw.url, 'PATCH', '/v1/api/organizations/2', 'upstream-400', JSON_TYPE, valid);
  t.equal(passed.status, 400, "the upstream's 400 passes through");
  t.equal(passed.body, '{"title":["Organization with this title already exists."]}', 'with its body unchanged');
  const chunked = await compare(t, gw.url, 'PATCH', '/v1/api/organizations/3', 'chunked-answer', JSON_TYPE, valid);
  t.equal(chunked.body, LARGE, 'a large chunked answer to a PATCH streams through unchanged');
  t.equal(chunked.headers['transfer-encoding'], 'chunked');

  // Lines are written in batches (at most 100 ms late): wait for the last request's.
  await gw.waitForLog((l) => l['reqId'] === 'slow-chunked-answer', 60_000);
  const lines = gw.logObjects().filter((l) => l['msg'] === 'request completed' && typeof l['reqId'] === 'string');
  for (const id of ['valid', 'schema', 'too-large', 'upstream-400']) {
    const fastLine = lines.find((l) => l['reqId'] === `fast-${id}`);
    const slowLine = lines.find((l) => l['reqId'] === `slow-${id}`);
    t.ok(fastLine && slowLine, `${id}: both log one access line`);
    const { reqId: _f, path: fastPath, responseTime: _fr, ...fastRest } = fastLine ?? {};
    const { reqId: _s, path: slowPath, responseTime: _sr, ...slowRest } = slowLine ?? {};
    t.same(Object.keys(fastLine ?? {}), Object.keys(slowLine ?? {}), `${id}: the same fields in the same order`);
    t.same(
      Object.fromEntries(Object.entries(fastRest).filter(([k]) => !['time', 'durationMs', 'elapsedMs'].includes(k))),
      Object.fromEntries(Object.entries(slowRest).filter(([k]) => !['time', 'durationMs', 'elapsedMs'].includes(k))),
      `${id}: the same values`,
    );
    t.equal(String(fastPath).replace('/v1/', '/%761/'), String(slowPath).replace('/v1/', '/%761/'));
  }
  t.match(
    lines.find((l) => l['reqId'] === 'fast-valid'),
    { method: 'PATCH', path: '/v1/api/organizations/1', statusCode: 200, upstreamStatus: 200 },
  );

  const metrics = await (await request(`${gw.url}/metrics`)).body.text();
  const count = (status: number): string | undefined => new RegExp(`naftiko_gateway_http_requests_total\\{operation="(\\w+)",status="${status}"\\} (\\d+)\\n`).exec(metrics)?.[2];
  // By both paths: 200 valid, charset, cors, bom, constructor word, chunked answer; 400 bad JSON, three poisoned, deep, schema, array, null, empty, bodiless, upstream 400.
  t.equal(count(200), '12', 'every 200 counted under the operation, by both paths');
  t.equal(count(415), '4');
  t.equal(count(413), '2');
  t.equal(count(400), '22');
});

/** withoutKeys drops what differs between two ledger entries of the same refusal (its own entry and schedule ids). */
function withoutKeys(text: string, keys: readonly string[]): unknown {
  return JSON.parse(text, (key: string, value: unknown) => (keys.includes(key) ? undefined : value));
}

t.test('ledgered PATCH with a seat guard: allowed, refused (409) and scheduled (202) alike by both paths', async (t) => {
  const { url, seen } = await startUpstream(t);
  const dir = mkdtempSync(join(tmpdir(), 'fast-body-ledger-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const gw = await startGatewayProcess({
    capability: 'capability.yaml',
    env: { LABEL_STUDIO_API_KEY: 'k', GATEWAY_LEDGER: 'on', GATEWAY_LEDGER_DIR: dir, GATEWAY_CORS_ORIGINS: 'https://app.example' },
    args: ['--base-uri', url, '--upstream-retries', '0'],
  });
  t.teardown(() => gw.stop());
  const path = '/v1/api/organizations/1/memberships';
  const cors = { ...JSON_TYPE, origin: 'https://app.example' };

  const activated = await compare(t, gw.url, 'PATCH', path, 'activate', cors, '{"user_id":5,"role":"AN"}');
  t.equal(activated.status, 200, 'activating a seat is allowed (and keeping it, the second time)');
  t.equal(seen.filter((s) => s.url === '/api/organizations/1/memberships').length, 2);

  const [fast, slow] = await both(gw.url, 'PATCH', path, 'rotate', cors, '{"user_id":5,"role":"DI"}');
  t.same([fast.status, slow.status], [409, 409], 'rotating the seat within the period is refused by both');
  t.same(stable(fast.headers), stable(slow.headers), 'with the same headers (Retry-After, CORS)');
  t.same(withoutKeys(fast.body.replace('fast-', 'slow-'), ['ledgerEntry']), withoutKeys(slow.body, ['ledgerEntry']), 'and the same problem, but for its own ledger entry');
  t.match(JSON.parse(fast.body), { code: 'NGW_ERR_CONFLICT', rule: 'minimum-period', userId: '5' });

  const [fastLater, slowLater] = await both(gw.url, 'PATCH', path, 'schedule', { ...cors, prefer: 'respond-async' }, '{"user_id":5,"role":"DI"}');
  t.same([fastLater.status, slowLater.status], [202, 202], 'asked to, both schedule it');
  const volatile = (h: Record<string, string | string[] | undefined>): Record<string, string | string[] | undefined> => {
    const { location: _location, ...rest } = stable(h);
    return rest;
  };
  t.same(volatile(fastLater.headers), volatile(slowLater.headers), 'with the same headers (CORS included) but for its own Location');
  t.equal(fastLater.headers['access-control-allow-origin'], 'https://app.example');
  const scheduleKeys = ['id', 'location', 'blockedEntry', 'createdAt'];
  t.same(withoutKeys(fastLater.body.replaceAll('fast-', 'slow-'), scheduleKeys), withoutKeys(slowLater.body, scheduleKeys), 'and the same answer, but for its own schedule');
  t.equal(seen.filter((s) => s.url === '/api/organizations/1/memberships').length, 2, 'neither refused change reached the upstream');
});

t.test('large upstream answers stream through the fast path unchanged, as through fastify', async (t) => {
  const { url } = await startUpstream(t);
  const gw = await gatewayInFrontOf(t, url);
  const large = await compare(t, gw.url, 'GET', '/v1/api/organizations?ordering=large', 'large', {});
  t.equal(large.status, 200);
  t.equal(large.body, LARGE, 'a body past the collect limit, byte for byte');
  t.equal(large.headers['content-length'], String(Buffer.byteLength(LARGE)), 'its length passed on');
  const chunked = await compare(t, gw.url, 'GET', '/v1/api/organizations?ordering=chunked', 'chunked', {});
  t.equal(chunked.body, LARGE, 'a body of unknown length, byte for byte');
  t.equal(chunked.headers['transfer-encoding'], 'chunked');
  for (const id of ['large', 'chunked']) {
    const head = await compare(t, gw.url, 'GET', `/v1/api/organizations?ordering=${id}`, `${id}-again`, {});
    t.equal(head.body, LARGE);
  }
});

/** TOTAL_BYTES is far more than every socket and stream buffer between upstream and client holds. */
const TOTAL_BYTES = 64 * 1024 * 1024;
const CHUNK = Buffer.alloc(64 * 1024, 'a');

/** HELD_MS: an upstream whose write waited this long for a drain is held back (without backpressure it never waits: the gateway reads on). */
const HELD_MS = 1000;

t.test('a streamed answer keeps backpressure: an upstream whose client does not read is held back', async (t) => {
  let written = 0;
  let settle: ((outcome: 'held' | 'finished') => void) | undefined;
  const outcome = new Promise<'held' | 'finished'>((resolve) => (settle = resolve));
  const upstream = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    // JSON by its media type: an identity route passes it on unparsed.
    res.writeHead(200, { 'content-type': 'application/json' });
    const pump = (): void => {
      while (written < TOTAL_BYTES) {
        written += CHUNK.length;
        if (!res.write(CHUNK)) {
          // Held back for HELD_MS without a drain: the gateway stopped reading.
          const timer = setTimeout(() => settle?.('held'), HELD_MS);
          res.once('drain', () => {
            clearTimeout(timer);
            pump();
          });
          return;
        }
      }
      res.end(() => settle?.('finished'));
    };
    pump();
  });
  const gw = await gatewayInFrontOf(t, await listenLocal(t, upstream));

  const res = await request(`${gw.url}/v1/api/organizations?ordering=stream`);
  t.equal(res.statusCode, 200);
  t.equal(res.headers['transfer-encoding'], 'chunked');
  // The client reads nothing yet: the upstream must be held back, not read to the end into the gateway's memory.
  t.equal(await outcome, 'held', `the upstream was held back after ${written} of ${TOTAL_BYTES} bytes`);
  const hash = createHash('sha256');
  let received = 0;
  for await (const chunk of res.body) {
    received += (chunk as Buffer).length;
    hash.update(chunk as Buffer);
  }
  const expected = createHash('sha256');
  for (let n = 0; n < TOTAL_BYTES; n += CHUNK.length) expected.update(CHUNK);
  t.equal(received, TOTAL_BYTES, 'then every byte arrived');
  t.equal(hash.digest('hex'), expected.digest('hex'), 'unchanged');
});

t.test('a client that leaves mid-stream releases the upstream: its connection is closed before the body ended', async (t) => {
  let upstreamClosed: ((finished: boolean) => void) | undefined;
  const closed = new Promise<boolean>((resolve) => (upstreamClosed = resolve));
  const upstream = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.on('close', () => upstreamClosed?.(res.writableFinished));
    let written = 0;
    const pump = (): void => {
      while (written < TOTAL_BYTES) {
        written += CHUNK.length;
        if (!res.write(CHUNK)) {
          res.once('drain', pump);
          return;
        }
      }
      res.end();
    };
    pump();
  });
  const gw = await gatewayInFrontOf(t, await listenLocal(t, upstream));

  const res = await request(`${gw.url}/v1/api/organizations?ordering=leave`, { reset: true });
  t.equal(res.statusCode, 200);
  let received = 0;
  for await (const chunk of res.body) {
    received += (chunk as Buffer).length;
    // Leave after the first megabyte.
    if (received > 1024 * 1024) break;
  }
  t.equal(await closed, false, 'the upstream response was cut off unfinished: the gateway let go of it');
  t.equal((await request(`${gw.url}/healthz`)).statusCode, 200, 'the gateway still serves');
});

t.test('the fast path serves a valid body itself and hands any other to fastify with its bytes', async (t) => {
  const { url, seen } = await startUpstream(t);
  const app = buildTestRestServer(t, 'capability.yaml', { env: { LABEL_STUDIO_API_KEY: 'k' }, baseUri: url, options: { bodyLimitBytes: BODY_LIMIT } });
  let routedByFastify = 0;
  app.addHook('onRequest', (_request, _reply, done) => {
    routedByFastify++;
    done();
  });
  await app.ready();
  const fast = fastPathOf(app);
  if (fast === undefined) throw new Error('no fast path');
  let taken = 0;
  let released = 0;
  const releases = new EventEmitter();
  const release = (): void => {
    released++;
    releases.emit('release');
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (fast.handle(req, res, release)) {
      taken++;
      return;
    }
    // Declined untouched: said so with a status fastify never answers.
    req.resume();
    res.writeHead(599);
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const patch = async (headers: Record<string, string>, body: string): Promise<{ status: number; text: string }> => {
    const res = await request(`${base}/v1/api/organizations/1`, { method: 'PATCH', headers, body });
    return { status: res.statusCode, text: await res.body.text() };
  };

  const valid = await patch(JSON_TYPE, '{"title":"Acme"}');
  t.same([valid.status, taken, routedByFastify], [200, 1, 0], 'a valid body is served by the fast path, fastify never sees it');
  t.equal(seen.length, 1, 'and forwarded');
  const badJson = await patch(JSON_TYPE, '{"title":');
  t.same([badJson.status, taken, routedByFastify], [400, 2, 1], 'bad JSON: read, then answered by fastify');
  t.match(JSON.parse(badJson.text), { code: 'NGW_ERR_BAD_JSON', errors: [{ field: 'body' }] }, "fastify's parser saw the bytes");
  const schema = await patch(JSON_TYPE, '{"title":""}');
  t.same([schema.status, taken, routedByFastify], [400, 3, 2], 'a schema failure: read, then answered by fastify');
  t.match(JSON.parse(schema.text), { code: 'NGW_ERR_VALIDATION', errors: [{ field: 'body.title' }] }, "fastify's validator named the field");
  t.equal((await patch({ 'content-type': 'text/plain' }, '{"title":"Acme"}')).status, 599, 'another media type is declined unread');
  t.equal((await patch(JSON_TYPE, JSON.stringify({ title: 'x'.repeat(BODY_LIMIT) }))).status, 599, 'so is a body past the limit');
  t.equal(seen.length, 1, 'nothing invalid was forwarded');
  // A response closes just after its last byte left: wait for the last release.
  while (released < taken) await once(releases, 'release');
  t.equal(released, taken, 'every request taken was released once, when its response closed');
});
