/**
 * Structural validation of a capability (seed dialect and the official
 * Naftiko shapes it shares): plain YAML value → CapabilityModel, collecting
 * every problem with its YAML path instead of stopping at the first.
 */
import type { CapabilityModel, ConsumesModel, ContactModel, ExposeModel, InfoModel } from './model.js';
import type { ProblemList } from './problems.js';
import { parseConsumes } from './parse-consumes.js';
import { parseExpose } from './parse-exposes.js';
import { Reader, RootReader, describe, isObj } from './reader.js';

const TOP_LEVEL_KEYS = new Set(['naftiko', 'info', 'binds', 'capability', 'ikanos']);

function parseInfo(root: Reader): InfoModel {
  const info = root.object('info', false);
  const tags: string[] = [];
  const rawTags = info?.value['tags'];
  if (Array.isArray(rawTags)) for (const t of rawTags) if (typeof t === 'string') tags.push(t);
  return {
    label: info?.string('label', false) ?? info?.string('name', false) ?? 'Naftiko capability',
    description: info?.string('description', false),
    tags,
    version: info?.string('version', false) ?? info?.string('modified', false),
    contact: parseContact(info),
  };
}

function parseContact(info: Reader | undefined): ContactModel | undefined {
  const contact = info?.object('contact', false);
  if (contact === undefined) return undefined;
  return { name: contact.string('name', false), url: contact.string('url', false), email: contact.string('email', false) };
}

/**
 * parseBinds maps each bound variable to the environment variable holding it.
 * The seed binds namespace `env`; the official dialect binds any namespace and
 * may name a `location` (a file or vault), which the gateway reads from the
 * environment instead, with a warning.
 */
function parseBinds(root: Reader, problems: ProblemList): Map<string, string> {
  const binds = new Map<string, string>();
  const capability = root.object('capability', false);
  for (const bind of [...root.list('binds', false), ...(capability?.list('binds', false) ?? [])]) {
    bind.string('namespace', true);
    const location = bind.string('location', false);
    if (location !== undefined) problems.warning(bind.at('location'), `bind locations are not read; each key is read from the environment variable of the same name`);
    const keys = bind.object('keys', false);
    if (keys === undefined) continue;
    for (const [name, target] of Object.entries(keys.value)) {
      if (typeof target === 'string' && target !== '') binds.set(name, location === undefined ? target : name);
      else keys.string(name, true); // reports the bad value
    }
  }
  return binds;
}

/** parseCapability validates the structure of a capability document. */
export function parseCapability(file: string, value: unknown, problems: ProblemList): CapabilityModel | undefined {
  if (!isObj(value)) {
    problems.error('(root)', `a capability must be a YAML mapping, got ${describe(value)}`);
    return undefined;
  }
  const root = new RootReader(value, problems);
  for (const key of Object.keys(value)) {
    if (!TOP_LEVEL_KEYS.has(key)) problems.warning(key, 'unknown top-level key (ignored)');
  }
  const naftiko = root.string('naftiko', true) ?? '';
  const capability = root.object('capability', true);
  if (capability === undefined) return undefined;
  const consumes: ConsumesModel[] = [];
  for (const c of capability.list('consumes', true)) {
    const parsed = parseConsumes(c, problems);
    if (parsed !== undefined) consumes.push(parsed);
  }
  const exposes: ExposeModel[] = [];
  for (const e of capability.list('exposes', true)) {
    const parsed = parseExpose(e, problems);
    if (parsed !== undefined) exposes.push(parsed);
  }
  return { file, naftiko, info: parseInfo(root), envBinds: parseBinds(root, problems), consumes, exposes };
}
