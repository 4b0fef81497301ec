/**
 * Audit: one structured line (`audit: true`) per mutating call, so operators
 * can follow role changes and token resets as Label Studio's guidance asks
 * ("log rotations"). Only the inputs the capability names in `x-audit` are
 * logged (none without it), never a body as a whole (an organization PATCH
 * may carry a `token`) nor the credential.
 */
import type { Logger } from 'pino';
import type { AuditInput } from '../capability/audit-extension.js';
import type { CompiledCall } from '../capability/compiled.js';
import type { CallInterceptor, InputValues, InvokeContext, Outcome } from './operation.js';

function isMutating(call: CompiledCall): boolean {
  return call.mutates;
}

/** scalarAt reads a declared input; only scalars are logged, so an object can never leak through a field. */
function scalarAt(values: InputValues, input: AuditInput): string | number | boolean | undefined {
  let v: unknown = values[input.parameter];
  for (let i = 0; i < input.field.length; i++) {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
    v = (v as Record<string, unknown>)[input.field[i] as string];
  }
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : undefined;
}

/** AuditWriter writes one record as its line, or returns false for the logger to write it (ops/audit-line.ts). */
export type AuditWriter = (fields: Record<string, unknown>) => boolean;

/** createAuditInterceptor logs every mutating call after the upstream answered (or failed); `write` serializes the line, when given. */
export function createAuditInterceptor(logger: Logger, write?: AuditWriter): CallInterceptor {
  return {
    name: 'audit',
    appliesTo: isMutating,
    after(call: CompiledCall, values: InputValues, ctx: InvokeContext, outcome: Outcome): void {
      const line: Record<string, unknown> = { audit: true, reqId: ctx.requestId, adapter: ctx.adapter, capability: call.operation.capability, operation: call.operation.key, call: call.name };
      for (const field of call.operation.audit) {
        for (let i = 0; i < field.inputs.length && line[field.name] === undefined; i++) line[field.name] = scalarAt(values, field.inputs[i] as AuditInput);
      }
      line['keyId'] = ctx.caller?.id;
      line['upstreamStatus'] = outcome.status;
      line['code'] = outcome.error?.code;
      if (write === undefined || !write(line)) logger.info(line, 'audit');
    },
  };
}
