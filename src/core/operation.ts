/**
 * The transport-neutral operation contract: what an adapter hands the invoker
 * (inputs by parameter name, the caller, cancellation) and what interceptors
 * (audit, ledger, guards) see around an upstream call. REST routes and MCP tools
 * differ only in how they collect inputs and render results.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { CompiledCall, CompiledOperation } from '../capability/compiled.js';
import type { GatewayError } from './errors.js';

/** InputValues holds consumed-parameter values by parameter name. */
export type InputValues = Record<string, unknown>;

/** Caller is the authenticated client, when inbound authentication is on. */
export interface Caller {
  readonly id: string;
  readonly scopes: readonly string[];
}

/** AbortListener is an EventListenerObject that needs no event. */
export interface AbortListener {
  handleEvent(): void;
}

/**
 * CancelSignal is what a call needs of its caller's cancellation: an AbortSignal
 * (MCP hands one over) or a lighter object (the REST adapter's client-disconnect link).
 */
export interface CancelSignal {
  readonly aborted: boolean;
  readonly reason?: unknown;
  addEventListener(type: 'abort', listener: AbortListener): void;
  removeEventListener(type: 'abort', listener: AbortListener): void;
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
  /** The client asked to schedule the change if a guard refuses it now (MCP's `_schedule` argument; REST sends `Prefer`). */
  readonly scheduleIfRefused?: boolean | undefined;
  /** Set when the call is the run of a scheduled change: the schedule and this runner's claim on it. */
  readonly scheduleRun?: { readonly id: string; readonly token: string } | undefined;
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

/** UpstreamStatus is the least an upstream answer carries. */
export interface UpstreamStatus {
  readonly statusCode: number;
}

/** UpstreamSender sends one operation upstream (src/upstream implements it; core never imports it). */
export interface UpstreamSender<R extends UpstreamStatus = UpstreamStatus> {
  send(op: CompiledOperation, values: InputValues, ctx: InvokeContext): Promise<R>;
}
