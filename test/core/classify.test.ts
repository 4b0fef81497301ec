/** core/classify.ts: the one mapping of foreign errors (undici, Node's parser, fastify) onto the catalogue. */
import t from 'tap';
import { frameworkCode, parserError, statusCode, transportError, upstreamTimeout } from '../../src/core/classify.js';
import { GatewayError } from '../../src/core/errors.js';

const SITE = { namespace: 'ls', key: 'ls.get', timeoutMs: 300 };

t.test('transport failures', async (t) => {
  const timeout = transportError(Object.assign(new Error('x'), { code: 'UND_ERR_HEADERS_TIMEOUT' }), SITE);
  t.equal(timeout.code, 'NGW_ERR_UPSTREAM_TIMEOUT');
  t.equal(timeout.status, 504);
  t.equal(timeout.message, 'upstream "ls" did not answer ls.get within 300 ms');
  t.equal(upstreamTimeout(SITE, undefined).message, timeout.message, 'the gateway timer and undici time out alike');
  const refused = transportError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9 secret'), { code: 'ECONNREFUSED' }), SITE);
  t.equal(refused.code, 'NGW_ERR_UPSTREAM_UNREACHABLE');
  t.equal(refused.message, 'upstream "ls" is unreachable for ls.get (ECONNREFUSED)', 'the code, never the message');
  t.equal(transportError(Object.assign(new Error('a'), { name: 'AbortError' }), SITE).message, 'call to ls.get was aborted');
  t.equal(transportError('odd', SITE).message, 'upstream "ls" is unreachable for ls.get (connection failed)');
  const own = new GatewayError('NGW_ERR_UPSTREAM_THROTTLED', 'queued');
  t.equal(transportError(own, SITE), own, 'a gateway error stays itself');
});

t.test('parser refusals', async (t) => {
  t.equal(parserError('HPE_HEADER_OVERFLOW').status, 431);
  t.equal(parserError('ERR_HTTP_HEADERS_TIMEOUT').status, 408);
  t.equal(parserError('ERR_HTTP_REQUEST_TIMEOUT').status, 408);
  t.equal(parserError('HPE_URI_TOO_LONG').status, 414);
  t.equal(parserError('HPE_INVALID_METHOD').code, 'NGW_ERR_VALIDATION');
  t.equal(parserError(undefined).message, 'malformed HTTP request');
});

t.test('framework errors', async (t) => {
  t.equal(frameworkCode('FST_ERR_CTP_BODY_TOO_LARGE'), 'NGW_ERR_BODY_TOO_LARGE');
  t.equal(frameworkCode('FST_ERR_CTP_INVALID_MEDIA_TYPE'), 'NGW_ERR_UNSUPPORTED_MEDIA_TYPE');
  t.equal(frameworkCode('FST_ERR_SOMETHING_ELSE'), undefined);
  t.equal(frameworkCode(undefined), undefined);
  t.equal(statusCode(429), 'NGW_ERR_RATE_LIMITED');
  t.equal(statusCode(418), 'NGW_ERR_VALIDATION', 'another 4xx is a validation error');
});
