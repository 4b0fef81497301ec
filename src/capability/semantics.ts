/**
 * What a call does, decided once at compile time: HTTP method semantics
 * (RFC 9110 section 9.2: GET is safe; GET, PUT and DELETE are idempotent),
 * overridden by the hints a capability declares. Retries, scopes, the audit
 * line, the ledger and MCP annotations all read these answers.
 */
import type { HintsModel, HttpMethod } from './model.js';

/** OperationHints are the resolved hints: every one decided. */
export type OperationHints = Required<{ [K in keyof HintsModel]: boolean }>;

/** methodHints are what the method alone says. */
export function methodHints(method: HttpMethod): OperationHints {
  return {
    readOnly: method === 'GET',
    destructive: method === 'DELETE',
    idempotent: method === 'GET' || method === 'PUT' || method === 'DELETE',
    openWorld: true,
  };
}

/** mergeHints lets declared hints override the base ones. */
export function mergeHints(base: OperationHints, hints: HintsModel): OperationHints {
  return {
    readOnly: hints.readOnly ?? base.readOnly,
    destructive: hints.destructive ?? base.destructive,
    idempotent: hints.idempotent ?? base.idempotent,
    openWorld: hints.openWorld ?? base.openWorld,
  };
}

/**
 * callMutates is the one answer to "does this call change upstream state?": the call's
 * own `readOnly` hint, else its operation's (declared on any exposure, else the method's).
 */
export function callMutates(declared: HintsModel, operation: OperationHints): boolean {
  return !(declared.readOnly ?? operation.readOnly);
}
