/**
 * Audit: one structured line (`audit: true`) per mutating call, so operators
 * can follow role changes and token resets as Label Studio's guidance asks
 * ("log rotations"). Only named fields of the input are logged, never the
 * body as a whole (an organization PATCH may carry a `token`) nor the credential.
 */
import type { Logger } from 'pino';
import type { CompiledCall } from '../capability/compiled.js';
import type { CallInterceptor, InputValues, InvokeContext, Outcome } from './operation.js';

function isMutating(call: CompiledCall): boolean {
  return call.mutates;
}

function field(body: unknown, name: string): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const value = (body as Record<string, unknown>)[name];
  return typeof value === 'string' || typeof value === 'number' ? value : undefined;
}

function bodyOf(values: InputValues): unknown {
  return values['body'];
}

/** createAuditInterceptor logs every mutating call after the upstream answered (or failed). */
export function createAuditInterceptor(logger: Logger): CallInterceptor {
  return {
    name: 'audit',
    appliesTo: isMutating,
    after(call: CompiledCall, values: InputValues, ctx: InvokeContext, outcome: Outcome): void {
      const body = bodyOf(values);
      logger.info(
        {
          audit: true,
          reqId: ctx.requestId,
          adapter: ctx.adapter,
          capability: call.operation.capability,
          operation: call.operation.key,
          call: call.name,
          organizationId: values['id'],
          targetUserId: field(body, 'user_id'),
          newRole: field(body, 'role') ?? field(body, 'default_role'),
          keyId: ctx.caller?.id,
          upstreamStatus: outcome.status,
          code: outcome.error?.code,
        },
        'audit',
      );
    },
  };
}
