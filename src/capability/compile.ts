/**
 * Linking and compiling a parsed capability: resolve `call` and `with`
 * references, `{{env.X}}` placeholders and base URI overrides, check path
 * templates and routes, and build the frozen, transport-neutral tables adapters serve.
 */
import type { CapabilityModel } from './model.js';
import type { CompiledCapability, CompiledMcpAdapter, CompiledOperation, CompiledRestAdapter, CompiledUpstream } from './compiled.js';
import type { ProblemList } from './problems.js';
import { compileMcp, compileRest } from './compile-exposes.js';
import { compileConsumes } from './compile-operations.js';
import { deepFreeze } from './freeze.js';

/** CompileOptions are the runtime inputs of compilation. */
export interface CompileOptions {
  /** Process environment for `{{env.X}}`. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Base URI overrides by consumes namespace (`*` applies to every upstream). */
  readonly baseUris?: Readonly<Record<string, string>>;
  /** `check` reports unset environment variables as warnings instead of errors. */
  readonly mode: 'serve' | 'check';
}

/** compileCapability links and compiles a parsed capability; problems are added to `problems`. */
export function compileCapability(model: CapabilityModel, options: CompileOptions, problems: ProblemList): CompiledCapability {
  const upstreams: CompiledUpstream[] = [];
  const operations = new Map<string, CompiledOperation>();
  compileConsumes(model, options, problems, upstreams, operations);
  const rest: CompiledRestAdapter[] = [];
  const mcp: CompiledMcpAdapter[] = [];
  for (const expose of model.exposes) {
    if (expose.type === 'rest') rest.push(compileRest(expose, operations, problems));
    else mcp.push(compileMcp(expose, operations, problems));
  }
  if (model.exposes.length === 0) problems.error('capability.exposes', 'at least one rest or mcp adapter is required');
  const secrets = upstreams.flatMap((u) => u.auth.secrets);
  return deepFreeze({ file: model.file, model, upstreams, operations, rest, mcp, secrets });
}
