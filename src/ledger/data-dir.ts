/**
 * Choosing the embedded ledger's directory so the gateway starts wherever it
 * is launched (an MCP client may start it over stdio from `/` or a read-only
 * folder): next to the capability file when that folder is writable, else in
 * the platform's per-user data directory, keyed by the capability folder so
 * two capabilities never share a store by accident.
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/** LEDGER_DEFAULT_DIR is the embedded ledger's directory, relative to the capability file's directory. */
export const LEDGER_DEFAULT_DIR = 'data/ledger';

/** APP_DIR_NAME names the gateway's folder inside the platform data directory. */
export const APP_DIR_NAME = 'naftiko-gateway';

type Env = Readonly<Record<string, string | undefined>>;

/** platformDataDir is XDG_DATA_HOME (or ~/.local/share) on Linux, Application Support on macOS, LOCALAPPDATA on Windows. */
export function platformDataDir(env: Env, platform: NodeJS.Platform = process.platform): string {
  const home = env['HOME'] ?? homedir();
  if (platform === 'win32') return env['LOCALAPPDATA'] ?? join(home, 'AppData', 'Local');
  if (platform === 'darwin') return join(home, 'Library', 'Application Support');
  const xdg = env['XDG_DATA_HOME'];
  // XDG Base Directory spec: a relative XDG_DATA_HOME is invalid and must be ignored.
  return xdg !== undefined && xdg.startsWith('/') ? xdg : join(home, '.local', 'share');
}

/** Errors that mean "this folder cannot hold the ledger here", so another place is tried. */
const NOT_WRITABLE = new Set(['EACCES', 'EPERM', 'EROFS']);

/**
 * canCreate makes `dir` (and its parents); false when the file system refuses. Trying is the only honest test:
 * access(2) says yes to root on a read-only sysfs, and says nothing about a folder that does not exist yet.
 */
function canCreate(dir: string): boolean {
  try {
    mkdirSync(dir, { recursive: true });
    return true;
  } catch (err) {
    if (NOT_WRITABLE.has((err as NodeJS.ErrnoException).code ?? '')) return false;
    throw err;
  }
}

/** LedgerDirChoice is the directory and why it was chosen (logged at boot). */
export interface LedgerDirChoice {
  readonly dir: string;
  readonly reason: 'configured' | 'next to the capability file' | 'platform data directory (the capability folder is not writable)';
}

/** resolveLedgerDir: a configured directory as given; else `data/ledger` next to the capability (created here), or the platform data dir. */
export function resolveLedgerDir(configured: string | undefined, capabilityPath: string, env: Env): LedgerDirChoice {
  if (configured !== undefined) return { dir: resolve(configured), reason: 'configured' };
  const capabilityDir = dirname(resolve(capabilityPath));
  const beside = join(capabilityDir, LEDGER_DEFAULT_DIR);
  if (canCreate(beside)) return { dir: beside, reason: 'next to the capability file' };
  const key = createHash('sha256').update(capabilityDir).digest('hex').slice(0, 12);
  return { dir: join(platformDataDir(env), APP_DIR_NAME, `ledger-${key}`), reason: 'platform data directory (the capability folder is not writable)' };
}
