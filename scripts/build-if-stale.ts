/**
 * `npm start`'s build step: when dist/ was built from the current sources, do
 * nothing; otherwise transpile src/ to dist/ file by file without type-checking
 * (TypeScript's transpileModule, about a second), so a first start takes seconds,
 * not a full `tsc` on a busy machine. Type-checking stays in `npm run build`,
 * `npm test` (pretest) and `npm run lint`.
 * The sources' content hash (paths, bytes, tsconfig.json) is kept in dist/.source-hash; a dist/
 * that `tsc` built after the last change to every source (mtimes) counts as current too.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SRC = join(ROOT, 'src');
const DIST = join(ROOT, 'dist');
const HASH_FILE = join(DIST, '.source-hash');

function sourceFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...sourceFiles(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) files.push(path);
  }
  return files.sort();
}

function hashOf(files: readonly string[], tsconfig: string): string {
  const hash = createHash('sha256').update(tsconfig);
  for (const file of files) hash.update(relative(SRC, file)).update('\0').update(readFileSync(file)).update('\0');
  return hash.digest('hex');
}

function readHash(): string | undefined {
  try {
    return readFileSync(HASH_FILE, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function distOf(file: string): string {
  return join(DIST, relative(SRC, file)).replace(/\.ts$/, '.js');
}

/** builtAfterSources: every source has its output, written after the source and tsconfig.json last changed. */
function builtAfterSources(files: readonly string[]): boolean {
  const tsconfigMs = statSync(join(ROOT, 'tsconfig.json')).mtimeMs;
  for (const file of files) {
    let outMs: number;
    try {
      outMs = statSync(distOf(file)).mtimeMs;
    } catch {
      return false;
    }
    if (outMs < statSync(file).mtimeMs || outMs < tsconfigMs) return false;
  }
  return true;
}

function main(): void {
  const tsconfigText = readFileSync(join(ROOT, 'tsconfig.json'), 'utf8');
  const files = sourceFiles(SRC);
  const hash = hashOf(files, tsconfigText);
  if (readHash() === hash) return;
  if (builtAfterSources(files)) {
    writeFileSync(HASH_FILE, `${hash}\n`);
    return;
  }
  const started = performance.now();
  const parsed = ts.parseJsonConfigFileContent(ts.parseConfigFileTextToJson('tsconfig.json', tsconfigText).config, ts.sys, ROOT);
  // NodeNext picks ESM or CommonJS per file from package.json, which transpileModule cannot see: say ESM ("type": "module").
  const compilerOptions: ts.CompilerOptions = {
    ...parsed.options,
    module: ts.ModuleKind.ES2022,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    isolatedModules: true,
    noEmit: false,
  };
  for (const file of files) {
    const out = distOf(file);
    const result = ts.transpileModule(readFileSync(file, 'utf8'), { compilerOptions, fileName: file });
    mkdirSync(dirname(out), { recursive: true });
    // transpileModule names the map after the input; point it at the output like tsc does.
    const map = result.sourceMapText === undefined ? undefined : JSON.parse(result.sourceMapText) as { file?: string; sources?: string[] };
    if (map !== undefined) {
      map.file = out.slice(dirname(out).length + 1);
      map.sources = [relative(dirname(out), file)];
      writeFileSync(`${out}.map`, JSON.stringify(map));
    }
    writeFileSync(out, result.outputText);
  }
  writeFileSync(HASH_FILE, `${hash}\n`);
  process.stderr.write(`transpiled ${files.length} files to dist/ in ${Math.round(performance.now() - started)} ms (type-check: npm run build)\n`);
}

main();
