/**
 * The `NAME_FILE` convention (as in the official Docker images): a variable
 * read from a file, so a Kubernetes Secret mounted as files can be rotated and
 * picked up by a reload without restarting the process.
 */
import { readFileSync } from 'node:fs';

/** Environment is a read-only view of environment variables. */
export type Environment = Readonly<Record<string, string | undefined>>;

/** FILE_SUFFIX marks the variable that names a file holding another variable's value. */
export const FILE_SUFFIX = '_FILE';

/** EnvFileError names the variable and file that could not be read (never a value). */
export class EnvFileError extends Error {
  override name = 'EnvFileError';
}

function readValueFile(name: string, path: string): string {
  try {
    return readFileSync(path, 'utf8').replace(/\r?\n$/, '');
  } catch (err) {
    throw new EnvFileError(`cannot read ${name}${FILE_SUFFIX} (${path}): ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

/**
 * readEnvironment returns a view of `env` where an unset `NAME` reads the file
 * named by `NAME_FILE` (without its trailing newline). Files are read only for
 * the variables actually looked up (so an unrelated `*_FILE` is never touched),
 * at most once per view: take a new view on every (re)load to see rotated files.
 */
export function readEnvironment(env: Environment): Environment {
  const fromFiles = new Map<string, string>();
  return new Proxy(env, {
    get(target, name): string | undefined {
      if (typeof name !== 'string') return undefined;
      const direct = target[name];
      if (direct !== undefined && direct !== '') return direct;
      const path = target[name + FILE_SUFFIX];
      if (path === undefined || path === '' || name.endsWith(FILE_SUFFIX)) return direct;
      let value = fromFiles.get(name);
      if (value === undefined) {
        value = readValueFile(name, path);
        fromFiles.set(name, value);
      }
      return value;
    },
  });
}

/** filePaths lists the `NAME_FILE` paths set for `names` (to watch them for rotation). */
export function filePaths(names: Iterable<string>, env: Environment): string[] {
  const paths: string[] = [];
  for (const name of names) {
    const path = env[name + FILE_SUFFIX];
    if (path !== undefined && path !== '') paths.push(path);
  }
  return paths;
}
