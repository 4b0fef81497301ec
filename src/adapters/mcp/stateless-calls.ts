/**
 * Cancellation without sessions. A stateless server makes a protocol server
 * per POST, so the `notifications/cancelled` a client sends later arrives in
 * another POST, at a server that never saw the call. In-flight calls are kept
 * here by caller and JSON-RPC id, and the notification is handed to the
 * transport running the call, whose protocol server aborts the call's signal
 * (and with it the upstream request).
 */
import type { IncomingMessage } from 'node:http';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

type Message = { method?: unknown; id?: unknown; params?: { requestId?: unknown } };

function noop(): void {
  // Nothing was tracked.
}

/**
 * Calls are told apart by caller (the key id when inbound keys are on) and request id. Clients number
 * their requests from 0, so two anonymous clients may share an id: an ambiguous cancellation is dropped
 * rather than risk stopping another client's call.
 */
function callerIdOf(raw: IncomingMessage): string {
  return (raw as IncomingMessage & { auth?: AuthInfo }).auth?.clientId ?? '';
}

function idTextOf(id: unknown): string {
  return typeof id === 'string' || typeof id === 'number' ? String(id) : '';
}

function keyOf(raw: IncomingMessage, id: unknown): string {
  return `${callerIdOf(raw)}\u0000${idTextOf(id)}`;
}

/** RunningFastCalls finds stateless fast-path calls, which fast-call.ts keeps in its own list of running calls. */
export interface RunningFastCalls {
  findStateless(callerId: string, idText: string): readonly CancelTarget[];
}

/** CancelTarget is what runs a stateless call: the SDK's transport, or a fast-path call (fast-call.ts). */
export interface CancelTarget {
  /** cancel hands the call its `notifications/cancelled` and ends its stream without an answer. */
  cancel(message: JSONRPCMessage): void;
}

/** TransportTarget runs the notification through the SDK server behind `transport`, which aborts the call. */
export class TransportTarget implements CancelTarget {
  constructor(private readonly transport: StreamableHTTPServerTransport) {}

  cancel(message: JSONRPCMessage): void {
    this.transport.onmessage?.(message);
    // A cancelled request gets no response (MCP cancellation), so its stream would stay open: end it.
    void this.transport.close();
  }
}

/** StatelessCalls tracks in-flight stateless requests the SDK runs, and finds the fast path's in `fast`. */
export class StatelessCalls {
  private readonly inFlight = new Map<string, Set<CancelTarget>>();

  constructor(private readonly fast: RunningFastCalls) {}

  /** track records a request body's call; the returned function forgets it (on response close). */
  track(body: unknown, raw: IncomingMessage, transport: CancelTarget): () => void {
    const message = body as Message | undefined;
    if (typeof message !== 'object' || message === null || Array.isArray(message) || typeof message.method !== 'string' || message.id === undefined) return noop;
    const key = keyOf(raw, message.id);
    let set = this.inFlight.get(key);
    if (set === undefined) {
      set = new Set();
      this.inFlight.set(key, set);
    }
    set.add(transport);
    return () => {
      set.delete(transport);
      if (set.size === 0 && this.inFlight.get(key) === set) this.inFlight.delete(key);
    };
  }

  /** deliverCancellation handles a `notifications/cancelled` body (returns true); anything else returns false. */
  deliverCancellation(body: unknown, raw: IncomingMessage): boolean {
    const message = body as Message | undefined;
    if (typeof message !== 'object' || message === null || Array.isArray(message) || message.method !== 'notifications/cancelled' || message.id !== undefined) return false;
    const requestId = message.params?.requestId;
    const running = this.inFlight.get(keyOf(raw, requestId));
    const fast = this.fast.findStateless(callerIdOf(raw), idTextOf(requestId));
    if ((running?.size ?? 0) + fast.length !== 1) return true;
    for (const target of running ?? fast) target.cancel(message as JSONRPCMessage);
    return true;
  }
}
