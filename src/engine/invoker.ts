/**
 * The one code path every adapter uses to run an operation: interceptors
 * (audit, ledger, guards…) around the upstream call. REST routes and MCP
 * tools differ only in how they collect inputs and render results.
 */
import type { CancelSignal } from '../upstream/deadline.js';
import type { IncomingHttpHeaders } from 'node:http';
import type { CompiledCall } from '../capability/compiled.js';
import { GatewayError } from '../errors.js';
import type { UpstreamClient, UpstreamResponse } from '../upstream/client.js';
import type { InputValues } from '../upstream/url.js';

/** Caller is the authenticated client, when inbound authentication is on. */
export interface Caller {
  readonly id: string;
  readonly scopes: readonly string[];
}

/** InvokeContext is what an adapter knows about the request beyond its inputs. */
export interface InvokeContext {
  readonly requestId: string;
  readonly adapter: 'rest' | 'mcp';
  /** Aborted when the client disconnects or cancels. */
  readonly signal?: CancelSignal | undefined;
  readonly caller?: Caller | undefined;
  /** Inbound request headers (REST, or the MCP HTTP request), for interceptors that read e.g. override headers. */
  readonly headers?: IncomingHttpHeaders | undefined;
  /** Notes interceptors leave for the client (REST: `Warning` header; MCP: a note in the result), e.g. a seat-guard warning. */
  notes?: string[] | undefined;
}

/** Outcome is what happened upstream: a status, or the gateway error that stopped the call. */
export interface Outcome {
  readonly status: number | undefined;
  readonly error: GatewayError | undefined;
}

/** CallInterceptor runs around upstream calls of the operations it applies to. */
export interface CallInterceptor {
  readonly name: string;
  /** Decided once per call at boot, so the hot path only sees interceptors that matter. */
  appliesTo(call: CompiledCall): boolean;
  /** Runs before the upstream call; throwing a GatewayError stops the call. */
  before?(call: CompiledCall, values: InputValues, ctx: InvokeContext): void | Promise<void>;
  /** Runs after the upstream answered (or failed); must not throw. */
  after?(call: CompiledCall, values: InputValues, ctx: InvokeContext, outcome: Outcome): void | Promise<void>;
}

const NO_INTERCEPTORS: readonly CallInterceptor[] = [];

function asGatewayError(err: unknown): GatewayError {
  return err instanceof GatewayError ? err : new GatewayError('NGW_ERR_INTERNAL', 'upstream call failed', { cause: err });
}

/** Invoker runs compiled calls through their interceptors and the upstream client. */
export class Invoker {
  private readonly byCall = new WeakMap<CompiledCall, readonly CallInterceptor[]>();

  constructor(
    readonly upstream: UpstreamClient,
    private readonly interceptors: readonly CallInterceptor[] = [],
  ) {}

  private interceptorsFor(call: CompiledCall): readonly CallInterceptor[] {
    let list = this.byCall.get(call);
    if (list === undefined) {
      const matching = this.interceptors.filter((i) => i.appliesTo(call));
      list = matching.length === 0 ? NO_INTERCEPTORS : matching;
      this.byCall.set(call, list);
    }
    return list;
  }

  /** invoke calls the upstream; the caller must consume or dump the response body. */
  async invoke(call: CompiledCall, values: InputValues, ctx: InvokeContext): Promise<UpstreamResponse> {
    const interceptors = this.interceptorsFor(call);
    if (interceptors.length === 0) return this.upstream.send(call.operation, values, ctx);
    let ran = 0;
    try {
      for (; ran < interceptors.length; ran++) {
        const i = interceptors[ran] as CallInterceptor;
        if (i.before !== undefined) await i.before(call, values, ctx);
      }
    } catch (err) {
      // Interceptors whose `before` already ran (a ledger intent, say) still learn that the call did not happen.
      const error = asGatewayError(err);
      for (let k = 0; k < ran; k++) {
        const i = interceptors[k] as CallInterceptor;
        if (i.after !== undefined) await i.after(call, values, ctx, { status: undefined, error });
      }
      throw err;
    }
    let res: UpstreamResponse;
    try {
      res = await this.upstream.send(call.operation, values, ctx);
    } catch (err) {
      const error = asGatewayError(err);
      for (const i of interceptors) if (i.after !== undefined) await i.after(call, values, ctx, { status: undefined, error });
      throw err;
    }
    for (const i of interceptors) if (i.after !== undefined) await i.after(call, values, ctx, { status: res.statusCode, error: undefined });
    return res;
  }
}
