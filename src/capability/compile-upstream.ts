/** Compiling a `consumes` entry's upstream: its base URI and the credential to inject, fully resolved. */
import type { AuthenticationModel, CapabilityModel, ConsumesModel, RefreshModel } from './model.js';
import type { CompiledAuth } from './compiled.js';
import type { ProblemList } from './problems.js';
import type { CompileOptions } from './compile.js';
import { resolveTemplate } from './env-template.js';

const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

export function compileAuth(
  auth: AuthenticationModel | undefined,
  model: CapabilityModel,
  options: CompileOptions,
  problems: ProblemList,
): CompiledAuth {
  const none: CompiledAuth = {
    type: 'none',
    headerName: undefined,
    headerValue: undefined,
    refresh: undefined,
    queryName: undefined,
    queryValue: undefined,
    parameterName: undefined,
    secrets: [],
  };
  if (auth === undefined || auth.type === 'none') return none;
  const resolve = (text: string | undefined, key: string): string | undefined =>
    text === undefined ? undefined : resolveTemplate(text, `${auth.yamlPath}.${key}`, model, options, problems);
  let headerName = 'authorization';
  let value: string | undefined;
  if (auth.type === 'apikey') {
    value = resolve(auth.value, auth.valueKey);
    headerName = (auth.key ?? 'authorization').toLowerCase();
  } else if (auth.type === 'bearer') {
    const token = resolve(auth.value, auth.valueKey);
    if (auth.refresh !== undefined && token !== undefined) return compileRefresh(auth, auth.refresh, token, problems);
    value = token === undefined ? undefined : hasScheme(token) ? token : `Bearer ${token}`;
  } else {
    const user = resolve(auth.username, 'username');
    const password = resolve(auth.password, 'password');
    value = user === undefined || password === undefined ? undefined : `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  }
  if (value !== undefined && CONTROL_CHARS.test(value)) {
    problems.error(`${auth.yamlPath}.value`, 'the resolved credential contains control characters (CR, LF or NUL)');
    value = undefined;
  }
  const secrets = value === undefined ? [] : [value, ...secretParts(value)];
  const inQuery = auth.type === 'apikey' && auth.placement === 'query';
  return {
    type: auth.type,
    headerName: inQuery ? undefined : headerName,
    headerValue: inQuery ? undefined : value,
    refresh: undefined,
    queryName: inQuery ? auth.key : undefined,
    queryValue: inQuery ? value : undefined,
    parameterName: (auth.type === 'apikey' ? (auth.key ?? 'authorization') : 'authorization').toLowerCase(),
    secrets,
  };
}

/** hasScheme says whether a credential already reads `Scheme value` (`Token abc`, `Bearer eyJ…`). */
export function hasScheme(value: string): boolean {
  return /^[A-Za-z][A-Za-z0-9-]*\s+\S/.test(value);
}

function compileRefresh(auth: AuthenticationModel, refresh: RefreshModel, credential: string, problems: ProblemList): CompiledAuth {
  if (CONTROL_CHARS.test(credential)) {
    problems.error(`${auth.yamlPath}.${auth.valueKey}`, 'the resolved credential contains control characters (CR, LF or NUL)');
  }
  return {
    type: 'bearer',
    headerName: 'authorization',
    headerValue: undefined,
    refresh: {
      path: refresh.path,
      requestField: refresh.requestField,
      accessToken: refresh.accessToken,
      expiresIn: refresh.expiresIn,
      when: refresh.when,
      fallbackScheme: refresh.fallbackScheme,
      credential,
    },
    queryName: undefined,
    queryValue: undefined,
    parameterName: 'authorization',
    secrets: [credential, `${refresh.fallbackScheme} ${credential}`, `Bearer ${credential}`],
  };
}

/** The raw key inside `Token <key>` is as secret as the whole header. */
function secretParts(value: string): string[] {
  const space = value.indexOf(' ');
  return space > 0 && space < value.length - 1 ? [value.slice(space + 1)] : [];
}

export function compileBaseUri(
  consumes: ConsumesModel,
  model: CapabilityModel,
  options: CompileOptions,
  problems: ProblemList,
): { origin: string; basePath: string } | undefined {
  const override = options.baseUris?.[consumes.namespace] ?? options.baseUris?.['*'];
  const yamlPath = `${consumes.yamlPath}.baseUri`;
  const raw = override ?? consumes.baseUri;
  const resolved = resolveTemplate(raw, yamlPath, model, options, problems);
  if (resolved === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(resolved);
  } catch {
    problems.error(yamlPath, `"${resolved}" is not an absolute URL${override === undefined ? '' : ' (from the base URI override)'}`);
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    problems.error(yamlPath, `base URI must be http or https, got ${url.protocol}`);
    return undefined;
  }
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    problems.error(yamlPath, 'base URI must not carry a query, fragment or user info');
    return undefined;
  }
  return { origin: url.origin, basePath: url.pathname.replace(/\/+$/, '') };
}
