/**
 * Reading a capability file: YAML text → plain JavaScript value, with a way
 * to find the line of any YAML path for error messages.
 */
import { readFileSync } from 'node:fs';
import { isMap, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
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
  let node: unknown = doc.contents;
  for (const key of keys) {
    if (isMap(node) || isSeq(node)) node = node.get(key, true);
    else return undefined;
  }
  return node as Node | undefined;
}

/** parseCapabilityText parses YAML text; syntax errors become a CapabilityError with lines. */
export function parseCapabilityText(file: string, text: string): SourceFile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const problems: CapabilityProblem[] = doc.errors.map((e) => ({
      severity: 'error',
      path: '(yaml)',
      message: e.message.split('\n')[0] ?? e.message,
      line: e.linePos?.[0]?.line,
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
  return { file, value: doc.toJS({ maxAliasCount: 100 }) as unknown, lineOf };
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
