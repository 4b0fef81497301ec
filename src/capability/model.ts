/**
 * The normalized capability model: what the loader makes of a YAML file in
 * either dialect, before anything is resolved against the environment.
 */

import type { AuditFieldModel } from './audit-extension.js';
import type { LedgerExtensionModel } from './ledger-extension.js';

/** HTTP methods a capability may declare. */
export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
/** HttpMethod is one of HTTP_METHODS. */
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** RAW_FORMATS are the `outputRawFormat` values the gateway reads (`text` passes through unparsed). */
export const RAW_FORMATS = ['json', 'text', 'xml', 'csv', 'tsv', 'psv', 'yaml'] as const;

/**
 * Where a consumed input parameter goes in the upstream request. `template`
 * parameters are the official dialect's `{{name}}` placeholders of a `body`
 * template that no inputParameter declares: they only feed the template.
 */
export type ParamLocation = 'path' | 'query' | 'header' | 'body' | 'template';
/** Scalar and structured parameter types of the seed dialect. */
export type ParamType = 'string' | 'integer' | 'number' | 'boolean' | 'object' | 'array';

/** JsonSchema is a JSON Schema object (draft 2020-12 / OpenAPI 3.1 subset). */
export type JsonSchema = { [key: string]: unknown };

/** InputParameterModel is one consumed-operation input parameter. */
export interface InputParameterModel {
  readonly name: string;
  readonly in: ParamLocation;
  readonly type: ParamType;
  readonly required: boolean;
  readonly description: string | undefined;
  /** Extension: a JSON Schema refining `type` (e.g. a body's fields). */
  readonly schema: JsonSchema | undefined;
  /** Official dialect: a fixed value (may contain `{{BIND}}` placeholders); the client never supplies it. */
  readonly value: string | undefined;
  readonly yamlPath: string;
}

/** ExposedInputModel is an official-dialect exposed input (`inputParameters` of a REST operation or MCP tool). */
export interface ExposedInputModel {
  readonly name: string;
  /** REST only: where the client sends it (`body` means a field of the JSON body). */
  readonly in: 'path' | 'query' | 'header' | 'body' | undefined;
  readonly type: ParamType;
  readonly required: boolean | undefined;
  readonly description: string | undefined;
  /** REST `in: body`: a JSONPath selecting the value inside the client's body (`$.user.id`), already normalized. */
  readonly value: string | undefined;
  readonly yamlPath: string;
}

/** BodyTemplateModel is a consumed operation's `body`: JSON data or text with `{{name}}` placeholders. */
export interface BodyTemplateModel {
  readonly kind: 'json' | 'text';
  /** A string template, or (json) structured data whose string leaves are templates. */
  readonly data: unknown;
  /** Placeholder names the template uses. */
  readonly placeholders: readonly string[];
  readonly yamlPath: string;
}

/** OutputParameterModel is one output parameter (exposed `mapping` or consumed `value`). */
export interface OutputParameterModel {
  readonly name: string | undefined;
  readonly type: string;
  /** JSONPath expression, already normalized (`$.` → `$`); undefined for pure containers. */
  readonly mapping: string | undefined;
  readonly properties: readonly OutputParameterModel[];
  readonly items: OutputParameterModel | undefined;
  /** Extension: a JSON Schema describing the value (documentation only; responses are never validated or stripped). */
  readonly schema: JsonSchema | undefined;
  readonly yamlPath: string;
}

/**
 * RefreshModel is the gateway's `refresh:` extension of bearer authentication:
 * exchange a long-lived refresh token for short-lived access tokens.
 */
export interface RefreshModel {
  /** Path of the exchange endpoint on the same upstream (`/api/token/refresh/`). */
  readonly path: string;
  /** JSON field of the request body that carries the refresh token (`refresh`). */
  readonly requestField: string;
  /** JSONPath of the access token in the response (`$.access`). */
  readonly accessToken: string;
  /** JSONPath of a lifetime in seconds in the response, when the access token is not a JWT with `exp`. */
  readonly expiresIn: string | undefined;
  /** `jwt-refresh`: exchange only JWTs whose payload says `token_type: refresh`; `always`: exchange any value. */
  readonly when: 'jwt-refresh' | 'always';
  /** Scheme for values that are not exchanged and carry no scheme of their own (`Token`); default `Bearer`. */
  readonly fallbackScheme: string;
  readonly yamlPath: string;
}

/** AuthenticationModel is a consumes entry's `authentication` block. */
export interface AuthenticationModel {
  readonly type: 'apikey' | 'bearer' | 'basic' | 'none';
  /** apikey: header or query parameter name. */
  readonly key: string | undefined;
  /** apikey/bearer: the credential template, may contain `{{env.X}}`. */
  readonly value: string | undefined;
  /** The key `value` was read from (`value`, or the official dialect's `token` for bearer). */
  readonly valueKey: 'value' | 'token';
  readonly placement: 'header' | 'query';
  readonly username: string | undefined;
  readonly password: string | undefined;
  /** Extension: refresh-token exchange (bearer only). */
  readonly refresh: RefreshModel | undefined;
  readonly yamlPath: string;
}

/** ConsumedOperationModel is one upstream operation. */
export interface ConsumedOperationModel {
  readonly name: string;
  readonly method: HttpMethod;
  readonly description: string | undefined;
  readonly path: string;
  readonly resourceName: string;
  readonly inputParameters: readonly InputParameterModel[];
  readonly outputParameters: readonly OutputParameterModel[];
  readonly outputRawFormat: string;
  readonly timeoutMs: number | undefined;
  /** The `x-resilience` extension: retry and spacing overrides for this operation. */
  readonly resilience: OperationResilienceModel | undefined;
  readonly body: BodyTemplateModel | undefined;
  /** Extensions `x-ledger` / `x-seat-guard` (role-change ledger and seat-rotation guard). */
  readonly ledger: LedgerExtensionModel | undefined;
  /** Extension `x-audit`: the inputs the audit line logs (none when absent). */
  readonly audit: readonly AuditFieldModel[] | undefined;
  readonly yamlPath: string;
}

/** OperationResilienceModel is a consumed operation's `x-resilience` block; unset fields take the gateway's defaults. */
export interface OperationResilienceModel {
  /** Retries for this operation (0 disables; only idempotent operations are ever retried). */
  readonly retries: number | undefined;
  /** First backoff ceiling, doubled per retry (full jitter). */
  readonly retryBaseMs: number | undefined;
  /** Minimum time between two calls of this operation: later calls queue. */
  readonly minSpacingMs: number | undefined;
}

/** ConsumesModel is one upstream API (`capability.consumes[i]`). */
export interface ConsumesModel {
  readonly namespace: string;
  readonly type: 'http';
  readonly baseUri: string;
  readonly description: string | undefined;
  readonly authentication: AuthenticationModel | undefined;
  readonly operations: readonly ConsumedOperationModel[];
  readonly yamlPath: string;
}

/** A `with:` binding value: a reference to an adapter input, or a constant. */
export type BindingModel =
  | { readonly kind: 'ref'; readonly source: string; readonly yamlPath: string }
  | { readonly kind: 'const'; readonly value: unknown; readonly yamlPath: string };

/** Hints of an MCP tool (and of any exposed operation, when given). */
export interface HintsModel {
  readonly readOnly: boolean | undefined;
  readonly destructive: boolean | undefined;
  readonly idempotent: boolean | undefined;
  readonly openWorld: boolean | undefined;
}

/** ExposedCallModel is what REST operations and MCP tools share: a call with bindings. */
export interface ExposedCallModel {
  readonly name: string;
  readonly description: string | undefined;
  readonly call: string;
  readonly with: ReadonlyMap<string, BindingModel>;
  readonly outputParameters: readonly OutputParameterModel[];
  /** Official dialect: declared exposed inputs (types, locations, descriptions). */
  readonly inputParameters: readonly ExposedInputModel[];
  readonly hints: HintsModel;
  /** Unrecognised keys kept for extensions (e.g. `x-seat-guard`). */
  readonly extensions: Readonly<Record<string, unknown>>;
  readonly yamlPath: string;
}

/** RestOperationModel is one exposed REST operation. */
export interface RestOperationModel extends ExposedCallModel {
  readonly method: HttpMethod;
  readonly path: string;
  readonly resourceName: string;
  readonly resourceDescription: string | undefined;
}

/** McpToolModel is one exposed MCP tool. */
export interface McpToolModel extends ExposedCallModel {
  readonly title: string | undefined;
}

/** RestExposeModel is an `exposes` entry of type rest. */
export interface RestExposeModel {
  readonly type: 'rest';
  readonly namespace: string;
  readonly port: number;
  readonly address: string | undefined;
  readonly description: string | undefined;
  readonly operations: readonly RestOperationModel[];
  readonly yamlPath: string;
}

/** McpExposeModel is an `exposes` entry of type mcp. */
export interface McpExposeModel {
  readonly type: 'mcp';
  readonly namespace: string;
  readonly port: number;
  readonly address: string | undefined;
  readonly transport: 'http' | 'stdio';
  readonly description: string | undefined;
  readonly tools: readonly McpToolModel[];
  readonly yamlPath: string;
}

/** ExposeModel is any `exposes` entry. */
export type ExposeModel = RestExposeModel | McpExposeModel;

/** ContactModel is `info.contact` (OpenAPI's contact object). */
export interface ContactModel {
  readonly name: string | undefined;
  readonly url: string | undefined;
  readonly email: string | undefined;
}

/** InfoModel is the capability's `info` block. */
export interface InfoModel {
  readonly label: string;
  readonly description: string | undefined;
  readonly tags: readonly string[];
  readonly version: string | undefined;
  readonly contact: ContactModel | undefined;
}

/** CapabilityModel is a whole capability, normalized. */
export interface CapabilityModel {
  readonly file: string;
  readonly naftiko: string;
  readonly info: InfoModel;
  /** Environment variable names allowed in `{{env.X}}` (from `binds`), mapped to the process variable. */
  readonly envBinds: ReadonlyMap<string, string>;
  readonly consumes: readonly ConsumesModel[];
  readonly exposes: readonly ExposeModel[];
}
