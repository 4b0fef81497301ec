/**
 * Reading an operation's inputs from the parts of a REST request (already
 * validated and coerced), shared by the fastify path (routes.ts) and the fast
 * path (fast-path.ts), so both forward the same values.
 */
import type { JSONValue } from 'json-p3';
import type { InputBinding } from '../../capability/compiled.js';
import { GatewayError } from '../../core/errors.js';
import type { InputValues } from '../../core/operation.js';

const NO_VALUES: InputValues = {};

/** collectInputs reads each consumed parameter's value from the request's parts (undefined: the part has no inputs). */
export function collectInputs(
  inputs: readonly InputBinding[],
  params: Record<string, unknown> | undefined,
  query: Record<string, unknown> | undefined,
  headers: Record<string, unknown> | undefined,
  body: unknown,
): InputValues {
  if (inputs.length === 0) return NO_VALUES;
  const values: InputValues = {};
  for (let i = 0; i < inputs.length; i++) {
    const input = inputs[i] as InputBinding;
    const source = input.source;
    let value: unknown;
    switch (source.kind) {
      case 'path':
        value = params?.[source.name];
        break;
      case 'query':
        value = query?.[source.name];
        break;
      case 'header':
        value = headers?.[source.name];
        break;
      case 'body':
        value = body;
        if (value === undefined && input.parameter.required) {
          throw new GatewayError('NGW_ERR_VALIDATION', 'body is required', { errors: [{ field: 'body', message: 'is required' }] });
        }
        break;
      case 'body-field':
        value = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>)[source.name] : undefined;
        break;
      case 'body-path':
        value = body === undefined ? undefined : source.select(body as JSONValue);
        break;
      case 'const':
        value = source.value;
        break;
      default:
        value = undefined;
    }
    if (value !== undefined) values[input.parameter.name] = value;
  }
  return values;
}
