/**
 * The one place an MCP HTTP request is accepted or refused, before the MCP
 * transport sees it: the Host allow-list and the Origin allow-list (MCP
 * specification, Streamable HTTP "Security Warning": servers MUST validate
 * Origin to stop DNS rebinding), CORS for the allowed browser origins, then
 * inbound authentication when configured.
 */
import type { IncomingMessage } from 'node:http';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError } from '../../core/errors.js';
import type { Caller } from '../../core/operation.js';
import { sendProblem } from '../http-problem.js';
import { answerCors } from '../../security/cors.js';
import { MCP_CORS } from './cors.js';
import { protectedResourceChallenge } from './protected-resource.js';

/** Authenticate resolves the caller of a request, or throws a GatewayError (401/403) to refuse it. */
export type Authenticate = (request: FastifyRequest) => Caller | undefined | Promise<Caller | undefined>;

/** McpAccessOptions say who may call the MCP endpoint. */
export interface McpAccessOptions {
  /** Exact browser origins (`https://app.example.com`) allowed besides this server's own localhost origin. */
  readonly allowedOrigins: readonly string[];
  /**
   * Host header values (`name` or `name:port`) allowed besides loopback names on the served port and
   * the allowed origins' hosts. Undefined: no Host check when listening on a non-loopback address.
   */
  readonly allowedHosts?: readonly string[] | undefined;
  /** The address the server listens on: a loopback bind checks Host against loopback names. */
  readonly listenHost: string;
  readonly authenticate?: Authenticate | undefined;
}

const LOOPBACK_NAMES: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]']);
const LOOPBACK_BINDS: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '::1']);

/** hostPort splits `name:port` (IPv6 literals in brackets); the port is '' when absent. */
function hostPort(value: string): { name: string; port: string } {
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(value.toLowerCase());
  return m === null ? { name: value.toLowerCase(), port: '' } : { name: m[1] as string, port: m[2] ?? '' };
}

/** AccessPolicy holds the allow-lists, normalized once. */
export class AccessPolicy {
  private readonly origins: ReadonlySet<string>;
  private readonly hosts: ReadonlySet<string>;
  private readonly checkHost: boolean;

  constructor(options: McpAccessOptions) {
    this.origins = new Set(options.allowedOrigins.map((o) => o.replace(/\/+$/, '').toLowerCase()));
    const hosts = new Set((options.allowedHosts ?? []).map((h) => h.toLowerCase()));
    for (const origin of this.origins) {
      try {
        hosts.add(new URL(origin).host);
      } catch {
        // Not a URL (e.g. "null"): names no host.
      }
    }
    this.hosts = hosts;
    this.checkHost = options.allowedHosts !== undefined || LOOPBACK_BINDS.has(options.listenHost.toLowerCase());
  }

  /** hostAllowed: a loopback name on the port the request came in on, or a listed host. */
  hostAllowed(host: string | undefined, localPort: number | undefined): boolean {
    if (!this.checkHost) return true;
    if (host === undefined) return false;
    const { name, port } = hostPort(host);
    if (LOOPBACK_NAMES.has(name) && (port === '' || port === String(localPort))) return true;
    return this.hosts.has(host.toLowerCase()) || this.hosts.has(name);
  }

  /**
   * originAllowed: requests without Origin come from non-browser clients (agents, the Inspector's
   * proxy) and are not cross-site; a browser page on this server's own localhost origin is same-origin.
   */
  originAllowed(origin: string | undefined, localPort: number | undefined): boolean {
    if (origin === undefined) return true;
    const normalized = origin.toLowerCase();
    if (this.origins.has(normalized)) return true;
    try {
      const url = new URL(normalized);
      // WHATWG URL keeps IPv6 hostnames in brackets ([::1]), as LOOPBACK_NAMES does.
      return url.protocol === 'http:' && LOOPBACK_NAMES.has(url.hostname) && url.port === String(localPort);
    } catch {
      return false;
    }
  }
}

/** callerOfAuth is the caller behind the `AuthInfo` the access hook attached (`req.auth`; the SDK hands it on as `extra.authInfo`). */
export function callerOfAuth(auth: AuthInfo | undefined): Caller | undefined {
  return auth === undefined ? undefined : { id: auth.clientId, scopes: auth.scopes };
}

/** callerOfRequest is the caller the access hook attached to the request. */
export function callerOfRequest(raw: IncomingMessage): Caller | undefined {
  return callerOfAuth((raw as IncomingMessage & { auth?: AuthInfo }).auth);
}

/** createMcpAccessHook builds the `onRequest` hook of the `/mcp` routes (and the discovery document). */
export function createMcpAccessHook(options: McpAccessOptions) {
  const policy = new AccessPolicy(options);
  const authenticate = options.authenticate;
  return async function acceptMcpRequest(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    const origin = request.headers.origin;
    const localPort = request.raw.socket.localPort;
    try {
      if (!policy.hostAllowed(request.headers.host, localPort)) {
        throw new GatewayError('NGW_ERR_FORBIDDEN', `host ${JSON.stringify(request.headers.host ?? '')} is not allowed to call this MCP server`);
      }
      if (!policy.originAllowed(origin, localPort)) {
        throw new GatewayError('NGW_ERR_FORBIDDEN', `origin ${JSON.stringify(origin)} is not allowed to call this MCP server`);
      }
      if (origin !== undefined && answerCors(request, reply, origin, MCP_CORS)) return reply;
      if (authenticate === undefined) return undefined;
      const caller = await authenticate(request);
      // The SDK hands `req.auth` to tool handlers as `extra.authInfo`; the caller travels that way.
      if (caller !== undefined) (request.raw as IncomingMessage & { auth?: AuthInfo }).auth = { token: '', clientId: caller.id, scopes: [...caller.scopes] };
      return undefined;
    } catch (err) {
      if (!(err instanceof GatewayError)) throw err;
      request.log.warn({ origin, host: request.headers.host, code: err.code }, 'mcp request refused');
      // MCP authorization: a 401 names where the protected resource metadata lives (RFC 9728 section 5.1).
      return sendProblem(reply, err.status === 401 ? new GatewayError(err.code, err.message, { headers: { 'www-authenticate': protectedResourceChallenge(request) } }) : err);
    }
  };
}
