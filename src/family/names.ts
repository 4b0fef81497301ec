/**
 * The naming rules of a capability set (docs/families.md "Naming rules").
 *
 * - A capability is named by its file: `projects.yaml` → `projects`.
 * - On an MCP endpoint that serves more than one capability, every tool is
 *   `<capability>.<tool>`, whether or not its name collides. Always
 *   prefixing keeps a tool's name stable when files are added to or removed
 *   from the set (an agent's saved tool choice never silently changes
 *   meaning), and `/mcp/<capability>` serves the original names.
 * - An operationId used by more than one capability becomes
 *   `<capability>_<operationId>` in every one of them; unique ones are kept,
 *   so the REST document of a set reads like its capabilities' own documents
 *   (the REST adapter names routes: src/adapters/rest/operation-ids.ts).
 */
import { createHash } from 'node:crypto';
import { basename } from 'node:path';

/** MCP tool names: 1 to 64 characters of `[A-Za-z0-9_.-]` (MCP specification, "Tool names"). */
export const MAX_TOOL_NAME_LENGTH = 64;
const TOOL_NAME_CHAR = /[^A-Za-z0-9_.-]/g;
/** Characters of the name's hash kept when a name is shortened: 2^40 names before a likely clash. */
const HASH_CHARS = 10;

/** capabilityNameOf names a capability by its file, restricted to URL- and tool-name-safe characters. */
export function capabilityNameOf(file: string): string {
  const stem = basename(file).replace(/\.ya?ml$/i, '');
  const safe = stem.replace(/[^A-Za-z0-9_-]/g, '-').replace(/^-+|-+$/g, '');
  return safe === '' ? 'capability' : safe;
}

/**
 * fitToolName makes `name` a valid MCP tool name: other characters become `_`,
 * and a name over 64 characters keeps its first 53 and ends with `-` and 10
 * hex digits of the SHA-256 of the full name, so it stays unique and the same on every boot.
 */
export function fitToolName(name: string): string {
  const safe = name.replace(TOOL_NAME_CHAR, '_');
  if (safe.length <= MAX_TOOL_NAME_LENGTH) return safe;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, HASH_CHARS);
  return `${safe.slice(0, MAX_TOOL_NAME_LENGTH - HASH_CHARS - 1)}-${hash}`;
}

/** sharedToolName is a tool's name on an endpoint shared by several capabilities. */
export function sharedToolName(capability: string, tool: string): string {
  return fitToolName(`${capability}.${tool}`);
}
