/**
 * Field-error conversion: JSON Schema (ajv) issues become one 400 naming every
 * bad field as `body.title`, `path.id`, `query.ordering` or `arguments.id`,
 * whichever transport collected the input.
 */
import { GatewayError, type FieldError } from './errors.js';

/** ValidationIssue is the part of an ajv error the conversion reads. */
export interface ValidationIssue {
  instancePath?: string;
  message?: string;
  keyword?: string;
  params?: Record<string, unknown>;
}

/** PartIssues are the issues found in one part of a request (`body`, `params`, `arguments`…). */
export interface PartIssues {
  readonly part: string;
  readonly issues: readonly ValidationIssue[];
}

const PART_NAMES: Record<string, string> = { body: 'body', params: 'path', querystring: 'query', headers: 'header' };

/** fieldOf names the offending field as `body.title`, `path.id`, `query.ordering`. */
function fieldOf(part: string, issue: ValidationIssue): string {
  let path = (issue.instancePath ?? '').split('/').filter((s) => s !== '').map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~')).join('.');
  const missing = issue.params?.['missingProperty'];
  if (typeof missing === 'string') path = path === '' ? missing : `${path}.${missing}`;
  const extra = issue.params?.['additionalProperty'];
  if (typeof extra === 'string') path = path === '' ? extra : `${path}.${extra}`;
  const prefix = PART_NAMES[part] ?? part;
  return path === '' ? prefix : `${prefix}.${path}`;
}

function messageOf(issue: ValidationIssue): string {
  const allowed = issue.params?.['allowedValues'];
  if (Array.isArray(allowed)) return `${issue.message ?? 'is invalid'}: ${allowed.join(', ')}`;
  return issue.message ?? 'is invalid';
}

/** validationError turns one part's ajv issues into one 400 naming every bad field. */
export function validationError(part: string, issues: readonly ValidationIssue[]): GatewayError {
  return partsValidationError([{ part, issues }]);
}

/** partsValidationError turns the issues of several parts into one 400, each field once. */
export function partsValidationError(parts: readonly PartIssues[]): GatewayError {
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  for (const { part, issue } of parts.flatMap((p) => p.issues.map((issue) => ({ part: p.part, issue })))) {
    const field = fieldOf(part, issue);
    const message = messageOf(issue);
    const key = `${field}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    errors.push({ field, message });
  }
  const detail = errors.map((e) => `${e.field} ${e.message}`).join('; ');
  return new GatewayError('NGW_ERR_VALIDATION', detail === '' ? 'invalid request' : detail, { errors });
}
