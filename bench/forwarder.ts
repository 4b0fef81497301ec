/**
 * The two reference forwarders the gateway is measured against, each in its
 * own process like the gateway:
 * - `proxy`: @fastify/http-proxy configured as a user would, the credential
 *   injected through `replyOptions.rewriteRequestHeaders`;
 * - `minimal`: a bare fastify route doing one undici `Pool.request` with the
 *   header injected and the JSON body parsed and re-serialized, nothing else —
 *   the practical limit for a Node gateway (GET and PATCH of an organization;
 *   the list streamed through unparsed).
 *
 *   node --import tsx bench/forwarder.ts --kind proxy|minimal --upstream URL --token T
 * prints one JSON line `{"url"}` once listening.
 */
import proxy from '@fastify/http-proxy';
import Fastify, { type FastifyInstance } from 'fastify';
import type { IncomingHttpHeaders } from 'node:http';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';

function buildProxy(upstream: string, authorization: string): FastifyInstance {
  const app = Fastify();
  void app.register(proxy, {
    upstream,
    prefix: '/v1',
    rewritePrefix: '',
    replyOptions: {
      rewriteRequestHeaders: (_request, headers: IncomingHttpHeaders) => ({ ...headers, authorization }),
    },
  });
  return app;
}

function buildMinimal(upstream: string, authorization: string): FastifyInstance {
  const app = Fastify();
  const pool = new Pool(upstream);
  app.get<{ Params: { id: string } }>('/v1/api/organizations/:id', async (request, reply) => {
    const res = await pool.request({
      method: 'GET',
      path: `/api/organizations/${encodeURIComponent(request.params.id)}`,
      headers: { authorization, accept: 'application/json' },
    });
    const body: unknown = await res.body.json();
    return reply.code(res.statusCode).type('application/json; charset=utf-8').send(JSON.stringify(body));
  });
  // The same for a PATCH: fastify's parser reads the JSON body, which is re-serialized for the upstream.
  app.patch<{ Params: { id: string } }>('/v1/api/organizations/:id', async (request, reply) => {
    const res = await pool.request({
      method: 'PATCH',
      path: `/api/organizations/${encodeURIComponent(request.params.id)}`,
      headers: { authorization, accept: 'application/json', 'content-type': 'application/json' },
      body: JSON.stringify(request.body),
    });
    const body: unknown = await res.body.json();
    return reply.code(res.statusCode).type('application/json; charset=utf-8').send(JSON.stringify(body));
  });
  // A list passed on as it comes, streamed (the gateway's identity route does no more with a large body).
  app.get('/v1/api/organizations', async (request, reply) => {
    const q = request.url.indexOf('?');
    const res = await pool.request({ method: 'GET', path: `/api/organizations/${q === -1 ? '' : request.url.slice(q)}`, headers: { authorization, accept: 'application/json' } });
    const length = res.headers['content-length'];
    if (typeof length === 'string') reply.header('content-length', length);
    return reply.code(res.statusCode).type(String(res.headers['content-type'] ?? 'application/json')).send(res.body);
  });
  app.addHook('onClose', () => pool.close());
  return app;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { kind: { type: 'string' }, upstream: { type: 'string' }, token: { type: 'string' } },
    strict: true,
  });
  const upstream = values.upstream ?? '';
  const authorization = `Token ${values.token ?? ''}`;
  const app = values.kind === 'proxy' ? buildProxy(upstream, authorization) : buildMinimal(upstream, authorization);
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void app.close().then(() => process.exit(0)));
  process.stdout.write(`${JSON.stringify({ url: address })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`forwarder: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
