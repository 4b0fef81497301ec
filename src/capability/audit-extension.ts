/**
 * The `x-audit` extension of a consumed operation: which inputs the audit line
 * of a mutating call logs, under which names. The gateway knows no upstream's
 * fields; with no declaration the audit line logs no input values at all.
 *
 *   x-audit:
 *     organizationId: id                         # a parameter
 *     targetUserId: body.user_id                 # a field of an object parameter
 *     newRole: [body.role, body.default_role]    # the first one present
 */
import type { InputParameterModel } from './model.js';
import type { ProblemList } from './problems.js';

/** AuditFieldModel is one declared audit field, references still as text. */
export interface AuditFieldModel {
  readonly name: string;
  readonly refs: readonly string[];
  readonly yamlPath: string;
}

/** AuditInput points at an input value: a parameter, then fields inside it. */
export interface AuditInput {
  readonly parameter: string;
  readonly field: readonly string[];
}

/** CompiledAuditField is a log field and the inputs it is read from, first present wins. */
export interface CompiledAuditField {
  readonly name: string;
  readonly inputs: readonly AuditInput[];
}

const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const REFERENCE = /^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*$/;
/** Names the audit line itself uses; a declared field may not shadow them. */
const RESERVED = new Set(['audit', 'reqId', 'adapter', 'capability', 'operation', 'call', 'keyId', 'upstreamStatus', 'code', 'msg', 'level', 'time', 'pid', 'hostname']);

/** parseAuditExtension reads `x-audit`; undefined when absent. */
export function parseAuditExtension(op: Readonly<Record<string, unknown>>, opPath: string, problems: ProblemList): AuditFieldModel[] | undefined {
  const raw = op['x-audit'];
  if (raw === undefined || raw === null) return undefined;
  const path = `${opPath}.x-audit`;
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    problems.error(path, 'must be a mapping of log field names to input references (e.g. organizationId: id)');
    return undefined;
  }
  const fields: AuditFieldModel[] = [];
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    const yamlPath = `${path}.${name}`;
    if (!FIELD_NAME.test(name) || RESERVED.has(name)) {
      problems.error(yamlPath, `"${name}" cannot name an audit field (letters, digits and _; not one of ${[...RESERVED].join(', ')})`);
      continue;
    }
    const refs = Array.isArray(value) ? value : [value];
    if (refs.length === 0 || refs.some((r) => typeof r !== 'string' || !REFERENCE.test(r))) {
      problems.error(yamlPath, `must name an input parameter, optionally with a field (e.g. id, body.user_id), or a list of them, got ${JSON.stringify(value)}`);
      continue;
    }
    fields.push({ name, refs: refs as string[], yamlPath });
  }
  return fields;
}

/** compileAuditExtension resolves the references against the operation's parameters. */
export function compileAuditExtension(fields: readonly AuditFieldModel[] | undefined, parameters: readonly InputParameterModel[], problems: ProblemList): readonly CompiledAuditField[] {
  if (fields === undefined) return [];
  const compiled: CompiledAuditField[] = [];
  for (const f of fields) {
    const inputs: AuditInput[] = [];
    for (const ref of f.refs) {
      const [parameter = '', ...field] = ref.split('.');
      const param = parameters.find((p) => p.name === parameter);
      if (param === undefined) problems.error(f.yamlPath, `unknown input parameter "${parameter}" (known: ${parameters.map((p) => p.name).join(', ') || '(none)'})`);
      else if (field.length > 0 && param.type !== 'object') problems.error(f.yamlPath, `"${parameter}" is of type ${param.type}; only object parameters have fields`);
      else inputs.push({ parameter, field });
    }
    if (inputs.length === f.refs.length) compiled.push({ name: f.name, inputs });
  }
  return compiled;
}
