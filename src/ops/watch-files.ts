/**
 * Debounced change notification for a few files (`serve --watch`).
 *
 * Directories are watched, not the files: editors save by rename and
 * Kubernetes updates a mounted ConfigMap or Secret by swapping its `..data`
 * symlink, and a watch on the old file's inode would miss both.
 */
import { statSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';

/** DEFAULT_DEBOUNCE_MS lets an editor's write-rename-chmod burst settle into one reload. */
export const DEFAULT_DEBOUNCE_MS = 150;

/** Kubernetes' AtomicWriter publishes a new version of a volume by renaming this symlink. */
const KUBERNETES_DATA_LINK = '..data';

/** A watched folder of capabilities: any YAML file in it added, changed or removed (docs/families.md). */
const FOLDER_ENTRY = /\.ya?ml$/i;

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** watchFiles calls `onChange` once per burst of changes to any of `files` (or of the YAML files in a folder given); the result stops watching. */
export function watchFiles(files: readonly string[], onChange: () => void, onError: (err: Error) => void, debounceMs = DEFAULT_DEBOUNCE_MS): () => void {
  const namesByDir = new Map<string, Set<string>>();
  const folders = new Set<string>();
  for (const file of files) {
    const absolute = resolve(file);
    if (isFolder(absolute)) {
      folders.add(absolute);
      if (!namesByDir.has(absolute)) namesByDir.set(absolute, new Set([KUBERNETES_DATA_LINK]));
      continue;
    }
    const names = namesByDir.get(dirname(absolute)) ?? new Set<string>([KUBERNETES_DATA_LINK]);
    names.add(basename(absolute));
    namesByDir.set(dirname(absolute), names);
  }
  let timer: NodeJS.Timeout | undefined;
  const fire = (): void => {
    timer = undefined;
    onChange();
  };
  const watchers: FSWatcher[] = [];
  for (const [dir, names] of namesByDir) {
    const folder = folders.has(dir);
    const watcher = watch(dir, { persistent: false }, (_event, filename) => {
      if (filename !== null && !names.has(filename.toString()) && !(folder && FOLDER_ENTRY.test(filename.toString()))) return;
      if (timer !== undefined) clearTimeout(timer);
      timer = setTimeout(fire, debounceMs);
    });
    watcher.on('error', onError);
    watchers.push(watcher);
  }
  return function stopWatching(): void {
    if (timer !== undefined) clearTimeout(timer);
    for (const w of watchers) w.close();
  };
}
