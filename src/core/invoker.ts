/**
 * The one code path every adapter uses to run an operation: interceptors
 * (audit, ledger, guards…) around the upstream call. REST routes and MCP
 * tools differ only in how they collect inputs and render results.
 */
import type { CompiledCall } from '../capability/compiled.js';
import { asGatewayError } from './errors.js';
import type { CallInterceptor, InputValues, InvokeContext, UpstreamSender } from './operation.js';

/** ResponseOf is the answer type of an upstream sender. */
type ResponseOf<U extends UpstreamSender> = Awaited<ReturnType<U['send']>>;

const NO_INTERCEPTORS: readonly CallInterceptor[] = [];

/** Invoker runs compiled calls through their interceptors and the upstream client. */
export class Invoker<U extends UpstreamSender = UpstreamSender> {
  private readonly byCall = new WeakMap<CompiledCall, readonly CallInterceptor[]>();

  constructor(
    readonly upstream: U,
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
  invoke(call: CompiledCall, values: InputValues, ctx: InvokeContext): Promise<ResponseOf<U>> {
    const interceptors = this.interceptorsFor(call);
    // No interceptor: the upstream's own promise, without an async frame around it.
    if (interceptors.length === 0) return this.upstream.send(call.operation, values, ctx) as Promise<ResponseOf<U>>;
    return this.intercepted(call, values, ctx, interceptors);
  }

  private async intercepted(call: CompiledCall, values: InputValues, ctx: InvokeContext, interceptors: readonly CallInterceptor[]): Promise<ResponseOf<U>> {
    let ran = 0;
    try {
      for (; ran < interceptors.length; ran++) {
        const i = interceptors[ran] as CallInterceptor;
        if (i.before !== undefined) await i.before(call, values, ctx);
      }
    } catch (err) {
      // Interceptors whose `before` already ran (a ledger intent, say) still learn that the call did not happen.
      const error = asGatewayError(err, 'upstream call failed');
      for (let k = 0; k < ran; k++) {
        const i = interceptors[k] as CallInterceptor;
        if (i.after !== undefined) await i.after(call, values, ctx, { status: undefined, error });
      }
      throw err;
    }
    let res: ResponseOf<U>;
    try {
      res = (await this.upstream.send(call.operation, values, ctx)) as ResponseOf<U>;
    } catch (err) {
      const error = asGatewayError(err, 'upstream call failed');
      for (const i of interceptors) if (i.after !== undefined) await i.after(call, values, ctx, { status: undefined, error });
      throw err;
    }
    for (const i of interceptors) if (i.after !== undefined) await i.after(call, values, ctx, { status: res.statusCode, error: undefined });
    return res;
  }
}
