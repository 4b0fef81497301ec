/**
 * The compiled capability: plain, deep-frozen, transport-neutral tables built
 * once at boot. Adapters only read these and derive their own naming (router
 * paths, OpenAPI operation ids, MCP annotations); nothing is rebuilt per request.
 */
import type { JSONValue } from 'json-p3';
import type { CompiledBody } from './body-template.js';
import type { CompiledOutput } from '../mapping/output.js';
import type { CompiledAuditField } from './audit-extension.js';
import type { CompiledLedgerSpec } from './ledger-extension.js';
import type {
  CapabilityModel,
  HintsModel,
  HttpMethod,
  InputParameterModel,
  OperationResilienceModel,
  OutputParameterModel,
  RefreshModel,
} from './model.js';
import type { PathSegment } from './templates.js';

/**
 * CompiledRefresh is a refresh-token exchange (the `refresh:` extension), resolved.
 * The credential provider in src/upstream decides at boot whether the token is exchanged.
 */
export interface CompiledRefresh extends Omit<RefreshModel, 'yamlPath'> {
  /** The resolved credential (a secret): a refresh token, a legacy key, or a full `Scheme value`. */
  readonly credential: string;
}

/** CompiledAuth is the credential to inject, fully resolved. */
export interface CompiledAuth {
  readonly type: 'apikey' | 'bearer' | 'basic' | 'none';
  /** Lower-cased header name, when the credential goes in a header. */
  readonly headerName: string | undefined;
  /** The static header value; undefined when `refresh` is set (the credential provider computes it). */
  readonly headerValue: string | undefined;
  readonly refresh: CompiledRefresh | undefined;
  /** Query parameter name and value, when the credential goes in the query string. */
  readonly queryName: string | undefined;
  readonly queryValue: string | undefined;
  /** Lower-cased name of the consumed input parameter that carries the credential (never asked of clients). */
  readonly parameterName: string | undefined;
  /** Every secret string, for redaction checks. */
  readonly secrets: readonly string[];
}

/** CompiledUpstream is one `consumes` entry: where it lives and how to authenticate. */
export interface CompiledUpstream {
  readonly namespace: string;
  /** `http://host:port` without a trailing slash. */
  readonly origin: string;
  /** Path prefix from baseUri (`/label-studio`), or ''. */
  readonly basePath: string;
  readonly auth: CompiledAuth;
}

/** CompiledOperation is one consumed (upstream) operation. */
export interface CompiledOperation {
  /** `namespace.operation`, unique in the capability. */
  readonly key: string;
  /** The name of the capability (its file, src/family/names.ts) that declares it, when served in a set of several. */
  readonly capability?: string | undefined;
  readonly name: string;
  readonly upstream: CompiledUpstream;
  readonly method: HttpMethod;
  readonly path: string;
  readonly pathSegments: readonly PathSegment[];
  readonly description: string | undefined;
  /** Input parameters the caller may supply (the credential parameter is removed). */
  readonly parameters: readonly InputParameterModel[];
  readonly outputRawFormat: string;
  readonly outputParameters: readonly OutputParameterModel[];
  readonly timeoutMs: number | undefined;
  /** Per-operation retry and spacing overrides (`x-resilience`), when declared. */
  readonly resilience?: OperationResilienceModel | undefined;
  /** Official dialect: the body template, when the operation declares `body`. */
  readonly body: CompiledBody | undefined;
  /** Parameters with a fixed `value` (resolved at boot), never asked of clients. */
  readonly fixedValues: ReadonlyMap<string, string>;
  /** Hints merged from the exposures that call this operation and the method's semantics. */
  readonly hints: Required<{ [K in keyof HintsModel]: boolean }>;
  /** What the role-change ledger records and the seat guard checks (`x-ledger`, `x-seat-guard`). */
  readonly ledger: CompiledLedgerSpec | undefined;
  /** What the audit line logs of the inputs (`x-audit`); empty logs no input values. */
  readonly audit: readonly CompiledAuditField[];
}

/** Where a consumed parameter's value comes from at request time. */
export type InputSource =
  | { readonly kind: 'path' | 'query' | 'header' | 'body' | 'body-field' | 'argument'; readonly name: string }
  | { readonly kind: 'const'; readonly value: unknown }
  /** A value selected from the client's JSON body by an official exposed input's `value` JSONPath. */
  | { readonly kind: 'body-path'; readonly name: string; readonly select: (body: JSONValue) => JSONValue | undefined };

/** InputBinding pairs a consumed parameter with its source. */
export interface InputBinding {
  readonly parameter: InputParameterModel;
  readonly source: InputSource;
}

/** CompiledCall is what a REST route and an MCP tool share: an operation, its inputs and output. */
export interface CompiledCall {
  readonly name: string;
  readonly description: string | undefined;
  /** The description without decoration (emoji), for summaries and tool descriptions. */
  readonly summary: string | undefined;
  /** Hints the exposure itself declares (unset ones fall back to the operation's). */
  readonly declaredHints: HintsModel;
  /** Whether the call changes upstream state: the audit line, the ledger and scopes read this one answer. */
  readonly mutates: boolean;
  /** The inbound key scope the call needs: `read` when it does not mutate. */
  readonly scope: 'read' | 'write';
  readonly operation: CompiledOperation;
  readonly inputs: readonly InputBinding[];
  readonly output: CompiledOutput;
  readonly outputParameters: readonly OutputParameterModel[];
  readonly extensions: Readonly<Record<string, unknown>>;
  readonly yamlPath: string;
}

/** CompiledRestRoute is one REST route. */
export interface CompiledRestRoute extends CompiledCall {
  readonly method: HttpMethod;
  /** The capability's path (`/v1/api/organizations/{id}`). */
  readonly path: string;
  /** The path split into literals and `{param}`s; `path` inputs name these params. */
  readonly pathSegments: readonly PathSegment[];
  readonly resourceName: string;
  readonly resourceDescription: string | undefined;
}

/** CompiledMcpTool is one MCP tool. */
export interface CompiledMcpTool extends CompiledCall {
  readonly title: string | undefined;
  /** The name the capability declares, when the tool is served under another (a capability set prefixes it on a shared endpoint). */
  readonly declaredName?: string | undefined;
}

/** CompiledRestAdapter is a REST `exposes` entry. */
export interface CompiledRestAdapter {
  readonly namespace: string;
  readonly port: number;
  readonly address: string | undefined;
  readonly description: string | undefined;
  readonly routes: readonly CompiledRestRoute[];
}

/** CompiledMcpAdapter is an MCP `exposes` entry. */
export interface CompiledMcpAdapter {
  readonly namespace: string;
  readonly port: number;
  readonly address: string | undefined;
  readonly transport: 'http' | 'stdio';
  readonly description: string | undefined;
  readonly tools: readonly CompiledMcpTool[];
}

/** CompiledCapability is the whole capability, ready to serve. */
export interface CompiledCapability {
  readonly file: string;
  readonly model: CapabilityModel;
  readonly upstreams: readonly CompiledUpstream[];
  readonly operations: ReadonlyMap<string, CompiledOperation>;
  readonly rest: readonly CompiledRestAdapter[];
  readonly mcp: readonly CompiledMcpAdapter[];
  /** Every injected secret, so tests and log checks can prove none leaks. */
  readonly secrets: readonly string[];
}
