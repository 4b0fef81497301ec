/**
 * AcceptedAnswer: an interceptor's way to answer a call without running it now
 * (202 Accepted): the seat guard's scheduled change is one. Thrown like an
 * error so the invoker stops, but adapters render it as an acceptance: REST
 * 202 with its JSON body and headers, MCP a result naming what was accepted.
 */
export abstract class AcceptedAnswer extends Error {
  /** body is the 202's JSON body (and the MCP structured content). */
  abstract body(): Record<string, unknown>;
  /** headers are the 202's headers besides the content type. */
  abstract headers(): Record<string, string>;
}
