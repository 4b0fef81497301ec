/** Resolving `{{env.X}}` and binds placeholders at boot; an unset variable is an error when serving, a warning when checking. */
import type { CapabilityModel } from './model.js';
import type { ProblemList } from './problems.js';
import { parseValueTemplate, type TemplatePart } from './templates.js';
import type { CompileOptions } from './compile.js';

/** resolveTemplate fills `{{env.X}}` placeholders; unset variables are reported. */
export function resolveTemplate(
  text: string,
  yamlPath: string,
  model: CapabilityModel,
  options: CompileOptions,
  problems: ProblemList,
): string | undefined {
  const parsed = parseValueTemplate(text);
  if (!parsed.ok) {
    problems.error(yamlPath, parsed.reason);
    return undefined;
  }
  let out = '';
  let missing = false;
  for (const part of parsed.parts as TemplatePart[]) {
    if (typeof part === 'string') {
      out += part;
      continue;
    }
    // `{{env.X}}` (seed) and `{{X}}` (official, a variable declared in binds) both read the environment.
    const shown = part.namespace === '' ? `{{${part.name}}}` : `{{${part.namespace}.${part.name}}}`;
    if (part.namespace !== 'env' && part.namespace !== '') {
      problems.error(yamlPath, `unknown placeholder namespace "${part.namespace}" in ${shown} (use {{env.NAME}} or a binds variable {{NAME}})`);
      missing = true;
      continue;
    }
    const variable = model.envBinds.get(part.name);
    if (variable === undefined) {
      problems.warning(yamlPath, `${shown} is not declared in binds; reading environment variable ${part.name}`);
    }
    const name = variable ?? part.name;
    const value = options.env[name];
    if (value === undefined || value === '') {
      const message = `environment variable ${name} is not set (needed by ${shown})`;
      if (options.mode === 'serve') problems.error(yamlPath, message);
      else problems.warning(yamlPath, message);
      missing = true;
      continue;
    }
    out += value;
  }
  return missing ? undefined : out;
}
