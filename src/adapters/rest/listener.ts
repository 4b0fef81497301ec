/**
 * The REST adapter's one listening socket, with a swappable fastify app behind it.
 *
 * Fastify cannot remove routes, so a capability reload builds a whole new app
 * (`ready()`, never listening) and `swap()`s it in. The http.Server and its
 * keep-alive connections stay; a request is routed by whichever app is current
 * when it arrives and finishes on that app, which is closed once its requests drain.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { RestFastPath } from './fast-path.js';
import { fastPathOf } from './server.js';
import { GatewayError } from '../../core/errors.js';
import { toProblem } from '../../core/problem.js';
import { requestIdFrom } from '../../ops/request-id.js';

/** How often a closing server reaps keep-alive connections that went idle after their last response. */
const DRAIN_REAP_INTERVAL_MS = 50;

const SHUTTING_DOWN = new GatewayError('NGW_ERR_UNAVAILABLE', 'the gateway is shutting down; retry the request (another instance will answer it)');

/**
 * answerShuttingDown answers a request that arrives while the listener drains (a keep-alive connection's
 * next request) with a problem+json 503 and `Retry-After`, and closes the connection.
 */
function answerShuttingDown(req: IncomingMessage, res: ServerResponse): void {
  const requestId = requestIdFrom(req.headers['x-request-id']);
  const body = JSON.stringify(toProblem(SHUTTING_DOWN, requestId));
  res.writeHead(503, {
    'content-type': 'application/problem+json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'retry-after': '1',
    'x-request-id': requestId,
    connection: 'close',
  });
  res.end(body);
}

/** Generation is one fastify app and the requests it is serving. */
class Generation {
  active = 0;
  private drainedResolve: (() => void) | undefined = undefined;
  /** Bound once, so counting a request allocates no closure. */
  readonly release: () => void;
  readonly routing: (req: IncomingMessage, res: ServerResponse) => void;
  /** The app's compiled happy path, tried before fastify routes a request. */
  readonly fast: RestFastPath | undefined;

  constructor(readonly app: FastifyInstance) {
    this.routing = app.routing.bind(app);
    this.fast = fastPathOf(app);
    this.release = () => {
      this.active--;
      if (this.active === 0 && this.drainedResolve !== undefined) this.drainedResolve();
    };
  }

  /** drained resolves once no request routed here is still running, or after `maxWaitMs`. */
  drained(maxWaitMs: number): Promise<void> {
    if (this.active === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, maxWaitMs);
      timer.unref();
      this.drainedResolve = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

/** RestListener owns the REST http.Server and routes each request to the current fastify app. */
export class RestListener {
  private current: Generation;
  private readonly retiring = new Set<Generation>();
  private server: Server | undefined = undefined;
  private closing = false;

  /** `maxDrainMs` bounds how long a replaced app waits for its requests (a hung one must not pin it forever). */
  constructor(
    app: FastifyInstance,
    private readonly maxDrainMs: number,
  ) {
    this.current = new Generation(app);
  }

  /** app is the fastify instance new requests go to. */
  get app(): FastifyInstance {
    return this.current.app;
  }

  /** The one extra step per request: count it against its generation, then let that app route it. */
  private readonly dispatch = (req: IncomingMessage, res: ServerResponse): void => {
    if (this.closing) return answerShuttingDown(req, res);
    const generation = this.current;
    generation.active++;
    // The fast path's own 'close' listener releases what it serves: one listener per response.
    if (generation.fast !== undefined && generation.fast.handle(req, res, generation.release)) return;
    res.on('close', generation.release); // 'close' fires once per response; on() skips once()'s wrapper
    generation.routing(req, res);
  };

  /**
   * listen starts the shared server. It takes the first app's server settings
   * (timeouts, header limits), which fastify derived from its options, so the
   * behaviour matches `app.listen()`.
   */
  async listen(host: string, port: number): Promise<number> {
    await this.current.app.ready();
    const template = this.current.app.server;
    // Node keeps the createServer() options it was given as same-named fields.
    const { maxHeaderSize, requireHostHeader } = template as Server & { maxHeaderSize?: number; requireHostHeader?: boolean };
    const server = createServer({ maxHeaderSize, requireHostHeader }, this.dispatch);
    server.keepAliveTimeout = template.keepAliveTimeout;
    server.requestTimeout = template.requestTimeout;
    server.headersTimeout = template.headersTimeout;
    server.maxRequestsPerSocket = template.maxRequestsPerSocket;
    server.timeout = template.timeout;
    // Malformed HTTP is answered by the current app's clientErrorHandler, as if it owned the socket.
    server.on('clientError', (err: Error, socket: Socket) => {
      this.current.app.server.emit('clientError', err, socket);
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    return typeof address === 'object' && address !== null ? address.port : port;
  }

  /**
   * swap makes `app` current at once (the next request is routed by it); the
   * previous app is closed in the background once its in-flight requests
   * finished, so a slow request never holds up the next reload.
   */
  async swap(app: FastifyInstance): Promise<void> {
    try {
      await app.ready();
    } catch (err) {
      await app.close().catch(() => undefined);
      throw err;
    }
    if (this.closing) {
      await app.close();
      return;
    }
    const previous = this.current;
    this.current = new Generation(app);
    this.retiring.add(previous);
    void this.retire(previous);
  }

  private async retire(generation: Generation): Promise<void> {
    await generation.drained(this.maxDrainMs);
    // close() may have taken it over meanwhile.
    if (!this.retiring.delete(generation)) return;
    try {
      await generation.app.close();
    } catch (err) {
      generation.app.log.error({ err }, 'closing a replaced REST app failed');
    }
  }

  /** close stops accepting connections, lets in-flight requests finish, and closes every app. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const server = this.server;
    // server.close() only reaps connections idle at that moment; keep-alive connections freed by a later
    // response are reaped on a short interval, so shutdown does not wait for their keep-alive timeout.
    const serverClosed =
      server === undefined
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            const reaper = setInterval(() => server.closeIdleConnections(), DRAIN_REAP_INTERVAL_MS);
            server.close(() => {
              clearInterval(reaper);
              resolve();
            });
            server.closeIdleConnections();
          });
    // Closing the current app first makes requests still arriving on keep-alive connections get 503 + `Connection: close`.
    await this.current.app.close();
    const retiring = [...this.retiring];
    this.retiring.clear();
    await Promise.all([serverClosed, ...retiring.map((g) => g.app.close())]);
  }
}
