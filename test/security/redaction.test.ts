/**
 * Redaction by path: log objects that carry credentials by mistake (headers,
 * query objects, key material) never print them, at any level.
 */
import { Writable } from 'node:stream';
import t from 'tap';
import { createLogger } from '../../src/ops/logger.js';
import { ADMIN_KEY, logViolations, READ_KEY, UPSTREAM_KEY } from './fixture.js';

t.test('credentials in logged objects are censored at debug level', async (t) => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter((l) => l !== ''));
      done();
    },
  });
  const log = createLogger('debug', sink);
  const objects: Record<string, unknown>[] = [
    { headers: { authorization: `Bearer ${ADMIN_KEY}`, 'x-api-key': READ_KEY, cookie: `s=${ADMIN_KEY}`, 'proxy-authorization': `Basic ${ADMIN_KEY}` } },
    { req: { headers: { authorization: `Token ${UPSTREAM_KEY}`, 'x-api-key': ADMIN_KEY }, query: { api_key: UPSTREAM_KEY } } },
    { upstream: { authorization: `Token ${UPSTREAM_KEY}`, apiKey: UPSTREAM_KEY, token: UPSTREAM_KEY, secret: ADMIN_KEY, access_token: UPSTREAM_KEY } },
    { query: { api_key: UPSTREAM_KEY, ordering: 'id' } },
    { call: { query: { token: UPSTREAM_KEY } } },
    { config: { apiKeys: `admin:${ADMIN_KEY}:read` } },
    { authorization: `Token ${UPSTREAM_KEY}` },
  ];
  for (const o of objects) log.debug(o, 'debug line');
  log.flush();
  t.equal(lines.length, objects.length, 'every line written');
  t.same(logViolations(lines), [], 'no secret in any line');
  t.ok(lines.every((l) => l.includes('[Redacted]')), 'each line shows the censor');
});
