/**
 * Reading a capability file: YAML text → plain JavaScript value, with a way
 * to find the line of any YAML path for error messages.
 */
import { readFileSync } from 'node:fs';
import { CORE_SCHEMA, load as loadYaml } from 'js-yaml';
import type { Document, Node } from 'yaml';
import { yamlLibrary } from '../core/yaml.js';
import { CapabilityError, type CapabilityProblem } from './problems.js';

/** SourceFile is a parsed capability file. */
export interface SourceFile {
  readonly file: string;
  readonly value: unknown;
  /** lineOf returns the 1-based line of a YAML path such as `capability.exposes[0].port`. */
  readonly lineOf: (path: string) => number | undefined;
}

const PATH_TOKEN = /([^.[\]]+)|\[(\d+)\]/g;

function splitYamlPath(path: string): (string | number)[] {
  const keys: (string | number)[] = [];
  for (const match of path.matchAll(PATH_TOKEN)) {
    keys.push(match[2] !== undefined ? Number(match[2]) : (match[1] as string));
  }
  return keys;
}

function nodeAt(doc: Document, keys: (string | number)[]): Node | undefined {
  const yaml = yamlLibrary();
  let node: unknown = doc.contents;
  for (const key of keys) {
    if (yaml.isMap(node) || yaml.isSeq(node)) node = node.get(key, true);
    else return undefined;
  }
  return node as Node | undefined;
}

/** parseWithLines parses with `yaml`, the reference parser: exact errors and a node tree with positions. */
function parseWithLines(file: string, text: string): { value: unknown; lineOf: (path: string) => number | undefined } {
  const yaml = yamlLibrary();
  const lineCounter = new yaml.LineCounter();
  const doc = yaml.parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const problems: CapabilityProblem[] = doc.errors.map((e) => ({
      severity: 'error',
      path: '(yaml)',
      message: e.message.split('\n')[0] ?? e.message,
      // prettyErrors: false leaves linePos unset; the offset is always there.
      line: lineCounter.linePos(e.pos[0]).line,
    }));
    throw new CapabilityError(file, problems);
  }
  const lineOf = (path: string): number | undefined => {
    const keys = splitYamlPath(path);
    // Walk up until a node with a position is found (a missing key points at its parent).
    for (let n = keys.length; n >= 0; n--) {
      const node = nodeAt(doc, keys.slice(0, n));
      const offset = node?.range?.[0];
      if (offset !== undefined) return lineCounter.linePos(offset).line;
    }
    return undefined;
  };
  return { value: doc.toJS({ maxAliasCount: 100 }) as unknown, lineOf };
}

/** An anchor (`&name`) where YAML allows one; aliases need anchors, so no anchor means no alias. */
const ANCHOR = /(?:^|[\s,[{:-])&[^\s,[\]{}]/;

/** parseFast parses anchor-free YAML with js-yaml's YAML 1.2 core schema, or returns undefined to defer to `yaml`. */
function parseFast(text: string): { value: unknown } | undefined {
  if (ANCHOR.test(text)) return undefined; // `yaml` bounds alias expansion (maxAliasCount); js-yaml would share nodes.
  try {
    return { value: loadYaml(text, { schema: CORE_SCHEMA }) };
  } catch {
    return undefined; // `yaml` reports the error, with its line.
  }
}

/**
 * parseCapabilityText parses YAML text; syntax errors become a CapabilityError with lines.
 * A valid file is read with js-yaml (about 20× faster than `yaml` on a 1,000-operation
 * capability, which dominated boot); `yaml` builds the positioned tree only when a line is
 * asked for (a problem to report), or parses everything when js-yaml declines or fails.
 */
export function parseCapabilityText(file: string, text: string): SourceFile {
  const fast = parseFast(text);
  if (fast === undefined) return { file, ...parseWithLines(file, text) };
  let lines: ((path: string) => number | undefined) | undefined;
  const lineOf = (path: string): number | undefined => {
    lines ??= parseWithLines(file, text).lineOf;
    return lines(path);
  };
  return { file, value: fast.value, lineOf };
}

/** readCapabilityFile reads and parses a capability file from disk. */
export function readCapabilityFile(file: string): SourceFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : String(err);
    throw new CapabilityError(file, [{ severity: 'error', path: '(file)', message: reason }]);
  }
  return parseCapabilityText(file, text);
}
