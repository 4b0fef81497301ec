/**
 * A validating proxy's response check, as a function: one real answer
 * (method, path, status, headers, body) against the served OpenAPI
 * document. Reports every violation: an undocumented status, media type or
 * header, a required header missing, a body its schema refuses.
 *
 * Rules for answers outside any operation, as a validating proxy applies them:
 * a path the document does not list must be a 404 problem; a method a listed
 * path does not serve must be a 405 problem whose Allow names the methods the
 * document lists for that path.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

type Json = Record<string, unknown>;

/** Answer is one response as a client saw it. */
export interface Answer {
  readonly method: string;
  /** The request path, with or without the query string. */
  readonly path: string;
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

const METHODS = ['get', 'head', 'post', 'put', 'patch', 'delete', 'options', 'trace'];

function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (typeof value !== 'object' || value === null) return value;
  const out: Json = {};
  for (const [k, v] of Object.entries(value)) out[k] = k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? `doc${v}` : rewriteRefs(v);
  return out;
}

function templateRegex(template: string): RegExp {
  const source = template.split(/\{[^}]+\}/).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('[^/]+');
  return new RegExp(`^${source}/?$`);
}

function headerValue(headers: Answer['headers'], name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v.join(', ') : v;
}

/** ResponseValidator checks answers against one OpenAPI 3.1 or 3.0 document. */
export class ResponseValidator {
  private readonly ajv: Ajv | Ajv2020;
  private readonly doc: Json;
  private readonly paths: { template: string; regex: RegExp; item: Json }[];
  private readonly compiled = new Map<unknown, ValidateFunction>();

  constructor(document: Json) {
    const is31 = String(document['openapi']).startsWith('3.1');
    // strict: false — the document carries OpenAPI keywords (example, nullable in 3.0) next to JSON Schema ones.
    this.ajv = is31 ? new Ajv2020({ strict: false, allErrors: true }) : new Ajv({ strict: false, allErrors: true });
    addFormats.default(this.ajv as Ajv);
    this.doc = rewriteRefs(document) as Json;
    this.ajv.addSchema({ $id: 'doc', components: (this.doc['components'] ?? {}) as Json } as never);
    const paths = (this.doc['paths'] ?? {}) as Record<string, Json>;
    // Literal paths first, so /a/b wins over /a/{id}.
    this.paths = Object.entries(paths)
      .map(([template, item]) => ({ template, regex: templateRegex(template), item }))
      .sort((a, b) => (a.template.match(/\{/g)?.length ?? 0) - (b.template.match(/\{/g)?.length ?? 0));
  }

  private resolve(value: unknown): Json {
    let node = value as Json;
    while (typeof node?.['$ref'] === 'string') {
      const ref = (node['$ref'] as string).replace(/^doc#\//, '').split('/');
      node = ref.reduce<Json>((n, key) => n[key] as Json, this.doc);
    }
    return node;
  }

  private validator(schema: unknown): ValidateFunction {
    let fn = this.compiled.get(schema);
    if (fn === undefined) {
      // OpenAPI 3.0's `nullable` is one of ajv's own keywords.
      fn = this.ajv.compile(schema as Json);
      this.compiled.set(schema, fn);
    }
    return fn;
  }

  private check(schema: unknown, value: unknown, where: string, into: string[]): void {
    const fn = this.validator(schema);
    if (!fn(value)) into.push(`${where}: ${this.ajv.errorsText(fn.errors)}`);
  }

  /** violations lists what a validating proxy would report for `answer` (empty: it matches the document). */
  violations(answer: Answer): string[] {
    const out: string[] = [];
    const label = `${answer.method} ${answer.path} → ${answer.status}`;
    const path = answer.path.split('?')[0] ?? '';
    const requestId = headerValue(answer.headers, 'x-request-id');
    if (requestId === undefined || requestId === '') out.push(`${label}: no x-request-id header`);
    const match = this.paths.find((p) => p.regex.test(path));
    const problem = this.resolve({ $ref: 'doc#/components/schemas/Problem' });
    if (match === undefined) {
      if (answer.status !== 404) out.push(`${label}: path not in the document, and the answer is not 404`);
      else this.checkProblem(answer, problem, label, out);
      return out;
    }
    const method = answer.method.toLowerCase();
    const operation = match.item[method] as Json | undefined;
    if (operation === undefined) {
      const allowed = METHODS.filter((m) => m in match.item).map((m) => m.toUpperCase()).sort();
      if (answer.status !== 405) out.push(`${label}: ${answer.method} not documented for ${match.template}, and the answer is not 405`);
      else {
        const allow = (headerValue(answer.headers, 'allow') ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '').sort();
        if (allow.join(',') !== allowed.join(',')) out.push(`${label}: Allow "${allow.join(', ')}" is not the documented methods "${allowed.join(', ')}"`);
        this.checkProblem(answer, problem, label, out);
      }
      return out;
    }
    const responses = operation['responses'] as Record<string, unknown>;
    const declared = responses[String(answer.status)] ?? responses[`${String(answer.status)[0]}XX`] ?? responses['default'];
    if (declared === undefined) {
      out.push(`${label}: status not documented for ${answer.method} ${match.template}`);
      return out;
    }
    const response = this.resolve(declared);
    for (const [name, headerSpec] of Object.entries((response['headers'] ?? {}) as Json)) {
      const header = this.resolve(headerSpec);
      const value = headerValue(answer.headers, name);
      if (value === undefined) {
        if (header['required'] === true) out.push(`${label}: required header ${name} missing`);
        continue;
      }
      const schema = header['schema'] as Json | undefined;
      if (schema === undefined) continue;
      const typed = this.resolve(schema)['type'] === 'integer' && /^-?\d+$/.test(value) ? Number(value) : value;
      this.check(schema, typed, `${label}: header ${name}`, out);
    }
    const content = response['content'] as Record<string, Json> | undefined;
    const bodyless = answer.method === 'HEAD' || answer.status === 204 || answer.status === 304;
    if (bodyless || content === undefined) {
      if (answer.body !== '') out.push(`${label}: a body where the document declares none`);
      return out;
    }
    const mediaType = (headerValue(answer.headers, 'content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    const media = content[mediaType];
    if (media === undefined) {
      out.push(`${label}: media type "${mediaType}" not documented (documented: ${Object.keys(content).join(', ')})`);
      return out;
    }
    this.checkBody(mediaType, media['schema'], answer.body, label, out);
    return out;
  }

  private checkBody(mediaType: string, schema: unknown, body: string, label: string, out: string[]): void {
    if (schema === undefined) return;
    let value: unknown = body;
    if (mediaType.endsWith('json')) {
      try {
        value = JSON.parse(body);
      } catch {
        out.push(`${label}: ${mediaType} body is not JSON`);
        return;
      }
    }
    this.check(schema, value, `${label}: body`, out);
  }

  private checkProblem(answer: Answer, problem: Json, label: string, out: string[]): void {
    const mediaType = (headerValue(answer.headers, 'content-type') ?? '').split(';')[0]?.trim();
    if (mediaType !== 'application/problem+json') out.push(`${label}: not application/problem+json`);
    else this.checkBody(mediaType, problem, answer.body, label, out);
  }
}
