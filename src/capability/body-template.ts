/**
 * Consumed-operation `body` templates of the official dialect, compiled once:
 * `{{name}}` placeholders are filled from the call's input values.
 */
import type { BodyTemplateModel } from './model.js';

/** CompiledBody renders the upstream request body of one call. */
export interface CompiledBody {
  readonly contentType: string;
  render(values: Readonly<Record<string, unknown>>): string;
}

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}\}/g;
const WHOLE_PLACEHOLDER = /^\{\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}\}$/;

function text(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Inside a JSON string literal a value must be escaped, or a quote in it would end the string. */
function jsonStringContent(value: unknown): string {
  return JSON.stringify(text(value)).slice(1, -1);
}

/** fillData replaces placeholders in structured JSON data; a leaf that is exactly `{{x}}` keeps x's type. */
function fillData(data: unknown, values: Readonly<Record<string, unknown>>): unknown {
  if (typeof data === 'string') {
    const whole = WHOLE_PLACEHOLDER.exec(data);
    if (whole !== null) return values[whole[1] as string] ?? null;
    return data.replace(PLACEHOLDER, (_m, name: string) => text(values[name]));
  }
  if (Array.isArray(data)) return data.map((item) => fillData(item, values));
  if (typeof data === 'object' && data !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(data)) out[key] = fillData(item, values);
    return out;
  }
  return data;
}

/** compileBody turns a body template into a renderer. */
export function compileBody(body: BodyTemplateModel): CompiledBody {
  const data = body.data;
  if (body.kind === 'text') {
    const template = String(data);
    return { contentType: 'text/plain; charset=utf-8', render: (values) => template.replace(PLACEHOLDER, (_m, name: string) => text(values[name])) };
  }
  if (typeof data === 'string') {
    // A raw JSON text: placeholders sit inside string literals, as in `{"id":"{{userId}}"}`.
    return { contentType: 'application/json', render: (values) => data.replace(PLACEHOLDER, (_m, name: string) => jsonStringContent(values[name])) };
  }
  return { contentType: 'application/json', render: (values) => JSON.stringify(fillData(data, values)) };
}
