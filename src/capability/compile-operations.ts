/** Compiling consumed operations: path templates, fixed values, the credential parameter, semantics (hints) and the ledger spec. */
import { compileBody } from './body-template.js';
import { compileAuditExtension } from './audit-extension.js';
import { compileLedgerExtension } from './ledger-extension.js';
import type { CapabilityModel, ConsumedOperationModel, ExposedCallModel, HintsModel, InputParameterModel } from './model.js';
import type { CompiledAuth, CompiledOperation, CompiledUpstream } from './compiled.js';
import type { ProblemList } from './problems.js';
import { parsePathTemplate, type PathSegment } from './templates.js';
import { compileAuth, compileBaseUri } from './compile-upstream.js';
import type { CompileOptions } from './compile.js';
import { resolveTemplate } from './env-template.js';
import { mergeHints, methodHints } from './semantics.js';

function compileConsumedPath(op: ConsumedOperationModel, problems: ProblemList): PathSegment[] | undefined {
  const parsed = parsePathTemplate(op.path);
  const yamlPath = op.yamlPath.replace(/\.operations\[\d+\]$/, '.path');
  if (!parsed.ok) {
    problems.error(yamlPath, parsed.reason);
    return undefined;
  }
  const declared = new Set(op.inputParameters.filter((p) => p.in === 'path').map((p) => p.name));
  for (const name of parsed.params) {
    if (!declared.has(name)) {
      problems.error(yamlPath, `path parameter {${name}} has no inputParameter with in: path in ${op.yamlPath}`);
    }
  }
  for (const p of op.inputParameters) {
    if (p.in === 'path' && !parsed.params.includes(p.name)) {
      problems.error(p.yamlPath, `path parameter "${p.name}" does not appear in the path "${op.path}"`);
    }
  }
  return parsed.segments.slice();
}

type MutableHints = { -readonly [K in keyof HintsModel]: HintsModel[K] };

/**
 * declaredHintsByCall merges, per consumed operation key, the hints declared on its exposures (MCP
 * tools carry them in the seed): the first declaration of each hint wins, in exposure order. One pass
 * over the exposures, not one per operation (a 1,000-operation capability made that a million steps).
 */
function declaredHintsByCall(model: CapabilityModel): Map<string, MutableHints> {
  const byCall = new Map<string, MutableHints>();
  for (const expose of model.exposes) {
    const calls: readonly ExposedCallModel[] = expose.type === 'rest' ? expose.operations : expose.tools;
    for (const call of calls) {
      let merged = byCall.get(call.call);
      if (merged === undefined) {
        merged = { readOnly: undefined, destructive: undefined, idempotent: undefined, openWorld: undefined };
        byCall.set(call.call, merged);
      }
      merged.readOnly ??= call.hints.readOnly;
      merged.destructive ??= call.hints.destructive;
      merged.idempotent ??= call.hints.idempotent;
      merged.openWorld ??= call.hints.openWorld;
    }
  }
  return byCall;
}

const NO_HINTS: HintsModel = { readOnly: undefined, destructive: undefined, idempotent: undefined, openWorld: undefined };

export function compileConsumes(
  model: CapabilityModel,
  options: CompileOptions,
  problems: ProblemList,
  upstreams: CompiledUpstream[],
  operations: Map<string, CompiledOperation>,
): void {
  const namespaces = new Set<string>();
  const hintsByCall = declaredHintsByCall(model);
  model.consumes.forEach((consumes) => {
    if (namespaces.has(consumes.namespace)) {
      problems.error(`${consumes.yamlPath}.namespace`, `duplicate consumes namespace "${consumes.namespace}"`);
    }
    namespaces.add(consumes.namespace);
    const base = compileBaseUri(consumes, model, options, problems);
    const auth = compileAuth(consumes.authentication, model, options, problems);
    const upstream: CompiledUpstream = {
      namespace: consumes.namespace,
      origin: base?.origin ?? 'http://invalid.invalid',
      basePath: base?.basePath ?? '',
      auth,
    };
    upstreams.push(upstream);
    for (const op of consumes.operations) {
      const key = `${consumes.namespace}.${op.name}`;
      if (operations.has(key)) {
        problems.error(`${op.yamlPath}.name`, `duplicate operation name "${op.name}" in namespace "${consumes.namespace}"`);
        continue;
      }
      const pathSegments = compileConsumedPath(op, problems) ?? [];
      const bodies = op.inputParameters.filter((p) => p.in === 'body');
      if (bodies.length > 1) problems.error(op.yamlPath, 'an operation takes at most one body parameter');
      const parameters = op.inputParameters.filter((p) => !isCredentialParameter(p, auth));
      const fixedValues = new Map<string, string>();
      for (const p of parameters) {
        if (p.value === undefined) continue;
        const resolved = resolveTemplate(p.value, `${p.yamlPath}.value`, model, options, problems);
        if (resolved !== undefined) fixedValues.set(p.name, resolved);
      }
      operations.set(key, {
        key,
        name: op.name,
        upstream,
        method: op.method,
        path: op.path,
        pathSegments,
        description: op.description,
        parameters,
        outputRawFormat: op.outputRawFormat,
        outputParameters: op.outputParameters,
        timeoutMs: op.timeoutMs,
        resilience: op.resilience,
        body: op.body === undefined ? undefined : compileBody(op.body),
        fixedValues,
        hints: mergeHints(methodHints(op.method), hintsByCall.get(key) ?? NO_HINTS),
        ledger: compileLedgerExtension(op.ledger, parameters, problems),
        audit: compileAuditExtension(op.audit, parameters, problems),
      });
    }
  });
}

/** The seed declares the credential as a required header input; the gateway supplies it instead. */
function isCredentialParameter(p: InputParameterModel, auth: CompiledAuth): boolean {
  if (auth.type === 'none' || auth.parameterName === undefined) return false;
  const placement = auth.queryName === undefined ? 'header' : 'query';
  return p.in === placement && p.name.toLowerCase() === auth.parameterName;
}
