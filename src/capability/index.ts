/**
 * The capability pipeline: load → parse (validate) → compile.
 */
import { compileCapability, type CompileOptions } from './compile.js';
import type { CompiledCapability } from './compiled.js';
import { checkDialect, type Dialect } from './dialect.js';
import { readCapabilityFile, parseCapabilityText, type SourceFile } from './load.js';
import { parseCapability } from './parse.js';
import { CapabilityError, ProblemList, type CapabilityProblem } from './problems.js';

/** CheckResult is what `naftiko-gateway check` reports. */
export interface CheckResult {
  readonly file: string;
  readonly ok: boolean;
  readonly problems: readonly CapabilityProblem[];
  readonly compiled: CompiledCapability | undefined;
  /** The dialect the document was recognised as. */
  readonly dialect: Dialect | undefined;
}

function run(source: SourceFile, options: CompileOptions): CheckResult {
  const problems = new ProblemList();
  const dialect = checkDialect(source.value, problems);
  const model = parseCapability(source.file, source.value, problems);
  const compiled = model === undefined ? undefined : compileCapability(model, options, problems);
  for (const p of problems.items) p.line ??= source.lineOf(p.path);
  const sorted = problems.items.slice().sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  return { file: source.file, ok: !problems.hasErrors(), problems: sorted, compiled, dialect };
}

/** checkCapabilityFile validates a file without throwing; unset env variables are warnings. */
export function checkCapabilityFile(file: string, options: Omit<CompileOptions, 'mode'> = { env: process.env }): CheckResult {
  try {
    return run(readCapabilityFile(file), { ...options, mode: 'check' });
  } catch (err) {
    if (err instanceof CapabilityError) return { file, ok: false, problems: err.problems, compiled: undefined, dialect: undefined };
    throw err;
  }
}

/** loadCapability reads, validates and compiles a capability, or throws a CapabilityError naming every problem. */
export function loadCapability(file: string, options: Omit<CompileOptions, 'mode'>): { capability: CompiledCapability; warnings: CapabilityProblem[] } {
  return finish(run(readCapabilityFile(file), { ...options, mode: 'serve' }));
}

/** loadCapabilityText is loadCapability for YAML text already in memory. */
export function loadCapabilityText(file: string, text: string, options: Omit<CompileOptions, 'mode'>): { capability: CompiledCapability; warnings: CapabilityProblem[] } {
  return finish(run(parseCapabilityText(file, text), { ...options, mode: 'serve' }));
}

function finish(result: CheckResult): { capability: CompiledCapability; warnings: CapabilityProblem[] } {
  if (!result.ok || result.compiled === undefined) throw new CapabilityError(result.file, result.problems);
  return { capability: result.compiled, warnings: result.problems.filter((p) => p.severity === 'warning') };
}

export { CapabilityError, formatProblem } from './problems.js';
export { DIALECT_LABELS, type Dialect } from './dialect.js';
export type { CapabilityProblem } from './problems.js';
export type * from './compiled.js';
