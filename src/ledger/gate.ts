/**
 * The invoker's ledger slot. With GATEWAY_LEDGER=auto the ledger opens only
 * once a capability declares `x-ledger` or `x-seat-guard` — possibly at a
 * reload — while the invoker's interceptor list is fixed at boot; the gate
 * is in that list from the start and passes calls on once the ledger is open.
 */
import type { CompiledCall } from '../capability/compiled.js';
import type { CallInterceptor, InputValues, InvokeContext, Outcome } from '../core/operation.js';
import type { LedgerInterceptor } from './interceptor.js';

/** LedgerGate applies the ledger's interceptor once one is set. */
export class LedgerGate implements CallInterceptor {
  readonly name = 'ledger';
  private inner: LedgerInterceptor | undefined = undefined;

  /** open starts recording; calls compiled afterwards (a reloaded capability's) go through the ledger. */
  open(interceptor: LedgerInterceptor): void {
    this.inner = interceptor;
  }

  appliesTo(call: CompiledCall): boolean {
    return this.inner !== undefined && this.inner.appliesTo(call);
  }

  before(call: CompiledCall, values: InputValues, ctx: InvokeContext): Promise<void> {
    return (this.inner as LedgerInterceptor).before(call, values, ctx);
  }

  after(call: CompiledCall, values: InputValues, ctx: InvokeContext, outcome: Outcome): Promise<void> {
    return (this.inner as LedgerInterceptor).after(call, values, ctx, outcome);
  }
}
