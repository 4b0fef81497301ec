/**
 * Inbound gateway API keys: who may call the gateway, and with which scopes.
 * Only the SHA-256 of each secret is configured, so a leaked config file or
 * environment dump does not leak usable keys.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../settings/index.js';

/** Scope is what a key may do: `read` runs read-only operations, `write` the others. */
export type Scope = 'read' | 'write';

/** ApiKey is one configured inbound key. */
export interface ApiKey {
  /** Non-secret name of the key, logged as `keyId`. */
  readonly id: string;
  /** SHA-256 of the secret, 32 bytes. */
  readonly hash: Buffer;
  readonly scopes: readonly Scope[];
}

const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;
const SCOPES: ReadonlySet<string> = new Set<Scope>(['read', 'write']);

/** hashApiKey is the SHA-256 hex of a secret, the form keys are configured in. */
export function hashApiKey(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/**
 * parseApiKeys reads entries `id:sha256hex:scopes` (scopes `read`, `write` or
 * `read,write`), separated by newlines or `;`; blank lines and `#` comments are
 * skipped. `origin` names the source in error messages (never a secret: only hashes are here).
 */
export function parseApiKeys(text: string, origin: string): ApiKey[] {
  const keys: ApiKey[] = [];
  const ids = new Set<string>();
  const entries = text.split(/[\n;]/);
  for (let i = 0; i < entries.length; i++) {
    const entry = (entries[i] as string).replace(/#.*$/, '').trim();
    if (entry === '') continue;
    const parts = entry.split(':');
    const where = `${origin}: entry ${i + 1}`;
    if (parts.length !== 3) throw new ConfigError(`${where}: expected <id>:<sha256-hex>:<scopes>, got ${parts.length} field(s)`);
    const [id, hash, scopeList] = parts as [string, string, string];
    if (!KEY_ID.test(id)) throw new ConfigError(`${where}: key id "${id}" must be 1-64 of A-Z a-z 0-9 . _ -`);
    if (ids.has(id)) throw new ConfigError(`${where}: duplicate key id "${id}"`);
    const lowerHash = hash.toLowerCase();
    if (!SHA256_HEX.test(lowerHash)) throw new ConfigError(`${where} (${id}): the secret must be given as its SHA-256 in 64 hex digits (naftiko-gateway hash-key)`);
    const scopes = scopeList.split(',').map((s) => s.trim());
    for (const s of scopes) if (!SCOPES.has(s)) throw new ConfigError(`${where} (${id}): unknown scope "${s}" (read, write)`);
    ids.add(id);
    keys.push(Object.freeze({ id, hash: Buffer.from(lowerHash, 'hex'), scopes: Object.freeze([...new Set(scopes)] as Scope[]) }));
  }
  return keys;
}

/** ApiKeySources are where keys may be configured; both are combined. */
export interface ApiKeySources {
  /** The value of GATEWAY_API_KEYS. */
  readonly inline: string | undefined;
  /** The path given by --api-keys-file / GATEWAY_API_KEYS_FILE. */
  readonly file: string | undefined;
}

/** loadApiKeys reads every configured key; a bad entry or unreadable file is a ConfigError. */
export function loadApiKeys(sources: ApiKeySources): ApiKey[] {
  const keys: ApiKey[] = [];
  if (sources.inline !== undefined && sources.inline.trim() !== '') keys.push(...parseApiKeys(sources.inline, 'GATEWAY_API_KEYS'));
  if (sources.file !== undefined && sources.file !== '') {
    let text: string;
    try {
      text = readFileSync(sources.file, 'utf8');
    } catch (err) {
      throw new ConfigError(`cannot read the API keys file ${sources.file}: ${(err as Error).message}`);
    }
    keys.push(...parseApiKeys(text, sources.file));
  }
  const seen = new Set<string>();
  for (const k of keys) {
    if (seen.has(k.id)) throw new ConfigError(`duplicate API key id "${k.id}" across GATEWAY_API_KEYS and the keys file`);
    seen.add(k.id);
  }
  return keys;
}
