/**
 * Slow-loris: a client that trickles its headers is cut off by headersTimeout
 * with a 408 problem+json, while other clients keep being served.
 */
import { connect } from 'node:net';
import t from 'tap';
import { buildTestRestServer } from '../helpers/rest-server.js';
import { send } from './fixture.js';

const HEADERS_TIMEOUT_MS = 300;

t.test('headers trickling in past headersTimeout get 408 and the connection closes', async (t) => {
  const app = buildTestRestServer(t, 'capability.yaml', {
    env: { LABEL_STUDIO_API_KEY: 'unused' },
    upstreamTimeoutMs: 1000,
    maxResponseBytes: 1024,
    options: { bodyLimitBytes: 1024, requestTimeoutMs: 5_000, headersTimeoutMs: HEADERS_TIMEOUT_MS },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;

  const started = Date.now();
  const answer = await new Promise<string>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    socket.setEncoding('latin1');
    socket.on('data', (c: string) => (data += c));
    socket.on('close', () => resolve(data));
    socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
    // One header line every 100 ms, never finishing: the classic slow-loris.
    const timer = setInterval(() => (socket.writable ? socket.write('X-Slow: 1\r\n') : clearInterval(timer)), 100);
    socket.on('close', () => clearInterval(timer));
  });
  const elapsedMs = Date.now() - started;
  t.match(answer.split('\r\n')[0], /^HTTP\/1\.1 408 /, '408 Request Timeout');
  t.match(answer, /application\/problem\+json/);
  t.match(answer, /NGW_ERR_REQUEST_TIMEOUT/);
  t.ok(elapsedMs < 5_000, `cut off after ${elapsedMs} ms`);
  t.equal((await send(`http://127.0.0.1:${port}`, 'GET', '/healthz')).status, 200, 'others are still served');
});
