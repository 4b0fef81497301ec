/**
 * Path templates (`/api/organizations/{id}`, also `{{id}}`) and value templates
 * (`Token {{env.LABEL_STUDIO_API_KEY}}`), parsed once at load time.
 */

/** PathSegment is a literal run of a path or a named parameter. */
export type PathSegment = { readonly literal: string } | { readonly param: string };

/** ParsedPath is a path template split into segments, or the reason it is broken. */
export type ParsedPath =
  | { readonly ok: true; readonly segments: readonly PathSegment[]; readonly params: readonly string[] }
  | { readonly ok: false; readonly reason: string };

const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** parsePathTemplate accepts `{name}` (seed dialect) and `{{name}}` (official dialect). */
export function parsePathTemplate(path: string): ParsedPath {
  if (!path.startsWith('/')) return { ok: false, reason: `path "${path}" must start with "/"` };
  const segments: PathSegment[] = [];
  const params: string[] = [];
  let i = 0;
  let literalStart = 0;
  while (i < path.length) {
    const ch = path.charCodeAt(i);
    if (ch === 125 /* } */) return { ok: false, reason: `unmatched "}" at offset ${i} in "${path}"` };
    if (ch !== 123 /* { */) {
      i++;
      continue;
    }
    const double = path.charCodeAt(i + 1) === 123;
    const open = double ? '{{' : '{';
    const close = double ? '}}' : '}';
    const end = path.indexOf(close, i + open.length);
    if (end === -1) return { ok: false, reason: `unterminated "${open}" at offset ${i} in "${path}"` };
    const name = path.slice(i + open.length, end).trim();
    if (!PARAM_NAME.test(name)) {
      return { ok: false, reason: `invalid parameter name "${name}" in "${path}"` };
    }
    if (params.includes(name)) return { ok: false, reason: `parameter "${name}" appears twice in "${path}"` };
    if (i > literalStart) segments.push({ literal: path.slice(literalStart, i) });
    segments.push({ param: name });
    params.push(name);
    i = end + close.length;
    literalStart = i;
  }
  if (path.length > literalStart) segments.push({ literal: path.slice(literalStart) });
  return { ok: true, segments, params };
}

/** TemplatePart is a literal string or a `{{namespace.name}}` reference (namespace '' for the official `{{NAME}}`). */
export type TemplatePart = string | { readonly namespace: string; readonly name: string };

/** ParsedTemplate is a value template, or the reason it is broken. */
export type ParsedTemplate =
  | { readonly ok: true; readonly parts: readonly TemplatePart[] }
  | { readonly ok: false; readonly reason: string };

const REFERENCE = /^([A-Za-z_][A-Za-z0-9_-]*)\.([A-Za-z_][A-Za-z0-9_.-]*)$/;
const BARE_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** parseValueTemplate splits `Token {{env.KEY}}` into literal and reference parts. */
export function parseValueTemplate(text: string): ParsedTemplate {
  const parts: TemplatePart[] = [];
  let i = 0;
  while (i < text.length) {
    const start = text.indexOf('{{', i);
    if (start === -1) {
      parts.push(text.slice(i));
      break;
    }
    if (start > i) parts.push(text.slice(i, start));
    const end = text.indexOf('}}', start + 2);
    if (end === -1) return { ok: false, reason: `unterminated placeholder "{{" at offset ${start}` };
    const inner = text.slice(start + 2, end).trim();
    const match = REFERENCE.exec(inner);
    if (match !== null) parts.push({ namespace: match[1] as string, name: match[2] as string });
    else if (BARE_NAME.test(inner)) parts.push({ namespace: '', name: inner });
    else return { ok: false, reason: `placeholder "{{${inner}}}" is not of the form {{NAME}} or {{namespace.NAME}}` };
    i = end + 2;
  }
  return { ok: true, parts };
}

/** templateReferences lists the references of a parsed template. */
export function templateReferences(parts: readonly TemplatePart[]): { namespace: string; name: string }[] {
  const refs: { namespace: string; name: string }[] = [];
  for (const part of parts) if (typeof part !== 'string') refs.push(part);
  return refs;
}
