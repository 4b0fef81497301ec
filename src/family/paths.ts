/**
 * Which capability files a list of arguments names: a file as given, a
 * folder as every `*.yaml`/`*.yml` directly in it (sorted, so the set's
 * order, and so every name derived from it, is the same on every boot).
 */
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { CapabilityProblem } from '../capability/problems.js';

/** CAPABILITY_LIST_SEPARATOR separates entries of GATEWAY_CAPABILITY, like the gateway's other list variables. */
export const CAPABILITY_LIST_SEPARATOR = ',';

const YAML_FILE = /\.ya?ml$/i;

/** splitCapabilityList reads `a.yaml,dir/` (GATEWAY_CAPABILITY) into its entries; blanks are ignored. */
export function splitCapabilityList(value: string): string[] {
  return value
    .split(CAPABILITY_LIST_SEPARATOR)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** PathProblem is an argument that names no capability file. */
export interface PathProblem {
  readonly file: string;
  readonly problem: CapabilityProblem;
}

/** ExpandedPaths are the capability files, in order, and the arguments that named none. */
export interface ExpandedPaths {
  readonly files: readonly string[];
  /** Folders given (watched for added and removed files). */
  readonly folders: readonly string[];
  readonly problems: readonly PathProblem[];
}

function fileProblem(file: string, message: string): PathProblem {
  return { file, problem: { severity: 'error', path: '(file)', message } };
}

/** expandCapabilityPaths lists the files named by files and folders; a file named twice is loaded once. */
export function expandCapabilityPaths(paths: readonly string[]): ExpandedPaths {
  const files: string[] = [];
  const folders: string[] = [];
  const problems: PathProblem[] = [];
  const seen = new Set<string>();
  const add = (file: string): void => {
    const key = resolve(file);
    if (seen.has(key)) return;
    seen.add(key);
    files.push(file);
  };
  for (const path of paths) {
    let isFolder: boolean;
    try {
      isFolder = statSync(path).isDirectory();
    } catch {
      // A missing file is reported by the loader as today ("file not found"), with the path as given.
      add(path);
      continue;
    }
    if (!isFolder) {
      add(path);
      continue;
    }
    folders.push(path);
    const names = readdirSync(path, { withFileTypes: true })
      .filter((e) => (e.isFile() || e.isSymbolicLink()) && YAML_FILE.test(e.name))
      .map((e) => e.name)
      .sort();
    if (names.length === 0) problems.push(fileProblem(path, 'the folder holds no *.yaml or *.yml capability file'));
    for (const name of names) add(join(path, name));
  }
  return { files, folders, problems };
}
