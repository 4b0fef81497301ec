/**
 * Loading and checking a capability set from files and folders: every file
 * is loaded (all problems of all files are reported, not only the first
 * file's), then the set is assembled and checked for conflicts.
 */
import { basename, resolve } from 'node:path';
import { checkCapabilityFile, loadCapability, type CheckResult } from '../capability/index.js';
import type { CompileOptions } from '../capability/compile.js';
import { readCapabilityFile } from '../capability/load.js';
import { CapabilityError, formatProblem, type CapabilityProblem } from '../capability/problems.js';
import type { SetProblem } from './conflicts.js';
import { capabilityNameOf } from './names.js';
import { expandCapabilityPaths } from './paths.js';
import type { CompiledMcpAdapter } from '../capability/compiled.js';
import { assembleCapabilitySet, mergeStdio, type CapabilitySet, type LoadedMember } from './set.js';

/** FileProblems are the problems of one file. */
export interface FileProblems {
  readonly file: string;
  readonly problems: readonly CapabilityProblem[];
}

/**
 * CapabilitySetError is a set that cannot be served; `file` is the first broken
 * file and the message names every broken file and every problem.
 */
export class CapabilitySetError extends CapabilityError {
  readonly failures: readonly FileProblems[];

  constructor(failures: readonly FileProblems[]) {
    const first = failures[0] ?? { file: '(no capability)', problems: [] };
    super(first.file, first.problems);
    this.name = 'CapabilitySetError';
    this.failures = failures;
    if (failures.length > 1) {
      this.message = failures
        .map((f) => {
          const errors = f.problems.filter((p) => p.severity === 'error');
          return `${f.file}: ${errors.length} error(s) in capability\n${errors.map((p) => '  ' + formatProblem(f.file, p)).join('\n')}`;
        })
        .join('\n');
    }
  }
}

/** setNameOf names the set: one folder → its name, one file → its capability name, else `capabilities`. */
export function setNameOf(paths: readonly string[], folders: readonly string[]): string {
  if (paths.length === 1 && folders.length === 1) return capabilityNameOf(basename(resolve(folders[0] as string)));
  if (paths.length === 1 && folders.length === 0) return capabilityNameOf(paths[0] as string);
  return 'capabilities';
}

/** lazyLines finds lines by re-reading the file, only when a set problem is reported. */
function lazyLines(file: string): (yamlPath: string) => number | undefined {
  let lineOf: ((yamlPath: string) => number | undefined) | undefined;
  return (yamlPath) => {
    try {
      lineOf ??= readCapabilityFile(file).lineOf;
      return lineOf(yamlPath);
    } catch {
      return undefined;
    }
  };
}

function groupProblems(problems: readonly SetProblem[]): FileProblems[] {
  const byFile = new Map<string, CapabilityProblem[]>();
  for (const p of problems) byFile.set(p.file, [...(byFile.get(p.file) ?? []), p.problem]);
  return [...byFile].map(([file, list]) => ({ file, problems: list }));
}

/** LoadedSet is a set ready to serve, its warnings by file, and the folders it was read from (watched). */
export interface LoadedSet {
  readonly set: CapabilitySet;
  readonly warnings: readonly FileProblems[];
  readonly files: readonly string[];
  readonly folders: readonly string[];
}

/** loadCapabilitySet loads every capability named by `paths`, or throws a CapabilitySetError naming every broken file. */
export function loadCapabilitySet(paths: readonly string[], options: Omit<CompileOptions, 'mode'>): LoadedSet {
  const expanded = expandCapabilityPaths(paths);
  const failures: FileProblems[] = groupProblems(expanded.problems);
  const loaded: LoadedMember[] = [];
  const warnings: FileProblems[] = [];
  for (const file of expanded.files) {
    try {
      const { capability, warnings: w } = loadCapability(file, options);
      loaded.push({ file, capability, lineOf: lazyLines(file) });
      if (w.length > 0) warnings.push({ file, problems: w });
    } catch (err) {
      if (!(err instanceof CapabilityError)) throw err;
      failures.push({ file: err.file, problems: err.problems });
    }
  }
  if (failures.length > 0) throw new CapabilitySetError(failures);
  const { set, problems } = assembleCapabilitySet(setNameOf(paths, expanded.folders), loaded);
  if (set === undefined) throw new CapabilitySetError(groupProblems(problems));
  return { set, warnings, files: expanded.files, folders: expanded.folders };
}

/** stdioToolsOf is every MCP tool of the set as `serve --mcp-stdio` serves them, or a CapabilitySetError naming clashing tools. */
export function stdioToolsOf(set: CapabilitySet): CompiledMcpAdapter | undefined {
  const { adapter, problems } = mergeStdio(set);
  if (problems.length > 0) throw new CapabilitySetError(groupProblems(problems));
  return adapter;
}

/** SetCheck is `check` of a set: each file's own result, then the problems of the files together. */
export interface SetCheck {
  readonly results: readonly CheckResult[];
  /** Arguments naming no file, and conflicts between files (only looked for once every file is valid). */
  readonly setProblems: readonly FileProblems[];
  readonly set: CapabilitySet | undefined;
  readonly ok: boolean;
}

/** checkCapabilitySet validates every file and, when all are valid, the set they make. */
export function checkCapabilitySet(paths: readonly string[], options: Omit<CompileOptions, 'mode'>): SetCheck {
  const expanded = expandCapabilityPaths(paths);
  const results = expanded.files.map((file) => checkCapabilityFile(file, options));
  const setProblems = groupProblems(expanded.problems);
  let set: CapabilitySet | undefined;
  if (results.every((r) => r.ok && r.compiled !== undefined) && results.length > 0) {
    const assembled = assembleCapabilitySet(
      setNameOf(paths, expanded.folders),
      results.map((r) => ({ file: r.file, capability: r.compiled as NonNullable<typeof r.compiled>, lineOf: lazyLines(r.file) })),
    );
    set = assembled.set;
    setProblems.push(...groupProblems(assembled.problems));
  }
  return { results, setProblems, set, ok: results.every((r) => r.ok) && setProblems.length === 0 && results.length > 0 };
}
