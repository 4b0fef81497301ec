/**
 * The `NAME_FILE` convention (as in the official Docker images): a variable
 * read from a file, so a Kubernetes Secret mounted as files can be rotated and
 * picked up by a reload without restarting the process.
 */
import { readFileSync } from 'node:fs';

/** Environment is a read-only view of environment variables. */
export type Environment = Readonly<Record<string, string | undefined>>;

const FILE_SUFFIX = '_FILE';

/** EnvFileError names the variable and file that could not be read (never a value). */
export class EnvFileError extends Error {
  override name = 'EnvFileError';
}

/**
 * readEnvironment returns `env` plus, for each `NAME_FILE=/path` whose `NAME`
 * is unset, `NAME` = the file's content without its trailing newline. A value
 * set directly wins over a file. Call it on every (re)load to see rotated files.
 */
export function readEnvironment(env: Environment): Environment {
  let out: Record<string, string | undefined> | undefined;
  for (const [key, path] of Object.entries(env)) {
    if (!key.endsWith(FILE_SUFFIX) || key.length === FILE_SUFFIX.length || path === undefined || path === '') continue;
    const name = key.slice(0, -FILE_SUFFIX.length);
    if (env[name] !== undefined && env[name] !== '') continue;
    let content: string;
    try {
      content = readFileSync(path, 'utf8');
    } catch (err) {
      throw new EnvFileError(`cannot read ${key} (${path}): ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
    out ??= { ...env };
    out[name] = content.replace(/\r?\n$/, '');
  }
  return out ?? env;
}
