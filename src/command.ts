/**
 * The `naftiko-gateway` commands: serve, check, openapi, hash-key, --help, --version
 * (started by the entry, cli.ts).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import closeWithGrace from 'close-with-grace';
import { CapabilityError, DIALECT_LABELS, formatProblem, type CheckResult } from './capability/index.js';
import { checkCapabilitySet } from './family/load.js';
import { CAPABILITY_LIST_SEPARATOR } from './family/paths.js';
import { ConfigError, ENV, parseBaseUris, resolveConfig, SETTINGS, type FlagValues, type GatewayConfig, type SettingSpec } from './settings/index.js';
import { helpOptions } from './settings/help.js';
import { flagKeyOf } from './settings/resolve.js';
import { renderCapabilityOpenApi } from './adapters/rest/openapi-document.js';
import { startGateway, type RunningGateway } from './gateway.js';
import { hashApiKey, loadApiKeys } from './security/api-keys.js';
import { InboundAuth } from './security/inbound-auth.js';
import { checkBaseUriNamespaces } from './ops/base-uri-check.js';
import { describeConfig, printableConfig, secretValues } from './ops/effective-config.js';
import { EnvFileError, readEnvironment, type Environment } from './ops/env-files.js';
import { ledgerWanted } from './ledger/config.js';
import { LedgerLockedError } from './ledger/database.js';
import { StartupError } from './ops/startup-error.js';
import { VERSION } from './version.js';
import { leaveBoot } from './ops/boot-tuning.js';

/** debugWanted: stack traces are for --log-level debug (or GATEWAY_LOG_LEVEL / LOG_LEVEL debug or trace) only. */
function debugWanted(): boolean {
  const flagAt = process.argv.indexOf('--log-level');
  const level = (flagAt === -1 ? undefined : process.argv[flagAt + 1]) ?? process.env['GATEWAY_LOG_LEVEL'] ?? process.env['LOG_LEVEL'] ?? '';
  return level === 'debug' || level === 'trace';
}

const HELP = `naftiko-gateway ${VERSION}
Serve a Naftiko capability as a REST API (and MCP server), forwarding to its upstream APIs.

Usage:
  naftiko-gateway serve [capability.yaml] [more files or folders...] [options]
                                                      run the gateway in the foreground
  naftiko-gateway check <file-or-folder>...           validate capabilities (and the set they make); exit 1 listing every problem
  naftiko-gateway openapi <file-or-folder>... [--format json|yaml] [--version 3.1|3.0]
                                                      print the OpenAPI document served at /openapi.json
                                                      (3.0: /openapi-3.0.json); takes serve's --host, --rest-port,
                                                      --api-keys-file, --rate-limit, --ledger to match a served gateway
  naftiko-gateway hash-key < key.txt                  print the SHA-256 of an API key (first stdin line) for ${ENV.apiKeys}
  naftiko-gateway --help | --version
A folder means every *.yaml/*.yml directly in it. Several capabilities are served as one set: adapters
declaring the same port share one listener, one OpenAPI document and one MCP endpoint (docs/families.md).

Options for serve (flag > environment variable > capability file > default):
${helpOptions()}
  --print-config              print the effective configuration (secrets masked) as JSON and exit
The capability is also reloaded on SIGHUP; a bad one is logged and the previous one keeps serving.
A variable NAME may be read from a file named by NAME_FILE (e.g. a mounted Kubernetes Secret).
`;

/** The serve flags: every flagged setting of the table, plus the command's own. */
const SERVE_OPTIONS: NonNullable<ParseArgsConfig['options']> = {
  ...Object.fromEntries(
    (SETTINGS as readonly SettingSpec[]).filter((spec) => spec.flag !== undefined).map((spec) => [spec.flag, spec.kind === 'boolean' ? { type: 'boolean' } : { type: 'string', multiple: spec.multiple === true }]),
  ),
  'print-config': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
};

function runCheck(paths: string[]): number {
  if (paths.length === 0) {
    process.stderr.write('naftiko-gateway check: missing <capability.yaml>\n');
    return 2;
  }
  const baseUris = parseBaseUris(process.env[ENV.baseUris] ? [process.env[ENV.baseUris] as string] : []);
  const check = checkCapabilitySet(paths, { env: process.env, baseUris });
  // The same refusal `serve` would make (exit 2), before a misleading "ok".
  if (check.set !== undefined) checkBaseUriNamespaces(baseUris, check.set.served.upstreams.map((u) => u.namespace));
  let failed = !check.ok;
  for (const result of check.results) {
    const file = result.file;
    if (result.dialect !== undefined) process.stdout.write(`${file}: dialect: ${DIALECT_LABELS[result.dialect]}\n`);
    for (const p of result.problems) process.stdout.write(formatProblem(file, p) + '\n');
    const errors = result.problems.filter((p) => p.severity === 'error').length;
    const warnings = result.problems.length - errors;
    if (result.ok) {
      const c = result.compiled;
      const routes = c?.rest.reduce((n, a) => n + a.routes.length, 0) ?? 0;
      const tools = c?.mcp.reduce((n, a) => n + a.tools.length, 0) ?? 0;
      process.stdout.write(`${file}: ok (naftiko ${c?.model.naftiko ?? '?'}, ${c?.operations.size ?? 0} operations, ${routes} REST routes, ${tools} MCP tools, ${warnings} warning(s))\n`);
    } else {
      failed = true;
      process.stdout.write(`${file}: ${errors} error(s), ${warnings} warning(s)\n`);
    }
  }
  // Problems between files: arguments naming no capability, route conflicts, clashing names.
  for (const f of check.setProblems) for (const p of f.problems) process.stdout.write(formatProblem(f.file, p) + '\n');
  const set = check.set;
  if (set !== undefined && set.members.length > 1) {
    const routes = set.served.rest.reduce((n, a) => n + a.routes.length, 0);
    const tools = set.served.mcp.reduce((n, a) => n + a.tools.length, 0);
    process.stdout.write(
      `set ${set.name}: ok (${set.members.length} capabilities, ${routes} REST routes on ${set.served.rest.length} listener(s), ${tools} MCP tools on ${set.served.mcp.length} listener(s), ${set.served.upstreams.length} shared upstream(s))\n`,
    );
  } else if (check.setProblems.length > 0) {
    process.stdout.write(`set: ${check.setProblems.reduce((n, f) => n + f.problems.length, 0)} error(s) between files\n`);
  }
  return failed ? 1 : 0;
}

const OPENAPI_OPTIONS = {
  format: { type: 'string', default: 'json' },
  version: { type: 'string', default: '3.1' },
  host: { type: 'string' },
  'rest-port': { type: 'string' },
  'api-keys-file': { type: 'string' },
  'rate-limit': { type: 'string' },
  ledger: { type: 'string' },
  'ledger-dir': { type: 'string' },
} as const;
const OPENAPI_USAGE = 'usage: naftiko-gateway openapi <file-or-folder>... [--format json|yaml] [--version 3.1|3.0] [serve options: --host --rest-port --api-keys-file --rate-limit --ledger]\n';

async function runOpenApi(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: OPENAPI_OPTIONS, allowPositionals: true, strict: true });
  const file = positionals.join(CAPABILITY_LIST_SEPARATOR);
  const version = values.version === '3' ? '3.0' : values.version === '3.1.0' ? '3.1' : values.version === '3.0.3' ? '3.0' : values.version;
  if (positionals.length === 0 || (values.format !== 'json' && values.format !== 'yaml') || (version !== '3.1' && version !== '3.0')) {
    process.stderr.write(OPENAPI_USAGE);
    return 2;
  }
  // Check mode: unset {{env.X}} credentials are warnings, since the document never contains them.
  const check = checkCapabilitySet(positionals, { env: process.env });
  const result = { compiled: check.set?.served };
  if (!check.ok || result.compiled === undefined) {
    for (const r of check.results) for (const p of r.problems) process.stderr.write(formatProblem(r.file, p) + '\n');
    for (const f of check.setProblems) for (const p of f.problems) process.stderr.write(formatProblem(f.file, p) + '\n');
    return 1;
  }
  // The settings `serve` would resolve from the same flags and environment decide the security schemes,
  // the ledger route, the RateLimit headers and the server URL, so the printed document is the served one.
  const config = resolveConfig(
    { host: values.host, restPort: values['rest-port'], apiKeysFile: values['api-keys-file'], rateLimit: values['rate-limit'], ledger: values.ledger, ledgerDir: values['ledger-dir'] },
    readEnvironment(process.env),
  );
  const auth = new InboundAuth(loadApiKeys({ inline: config.apiKeys, file: config.apiKeysFile }));
  const text = renderCapabilityOpenApi(result.compiled, values.format, {
    authenticated: auth.enabled,
    ledger: ledgerWanted(config.ledger, result.compiled),
    rateLimited: config.rateLimit > 0,
    version,
    host: config.host,
    port: config.restPort,
  });
  if (text === undefined) {
    process.stderr.write(`naftiko-gateway: ${file} exposes no REST adapter\n`);
    return 1;
  }
  process.stdout.write(text);
  return 0;
}

/** runHashKey prints the SHA-256 of the first stdin line, so keys are configured as hashes only. */
async function runHashKey(): Promise<number> {
  let input = '';
  for await (const chunk of process.stdin) input += String(chunk);
  const key = input.split(/\r?\n/)[0] ?? '';
  if (key === '') {
    process.stderr.write('naftiko-gateway hash-key: give the key on stdin, e.g. printf %s "$KEY" | naftiko-gateway hash-key\n');
    return 2;
  }
  process.stdout.write(hashApiKey(key) + '\n');
  return 0;
}

async function runServe(args: string[]): Promise<number> {
  const parsed = parseArgs({ args, options: SERVE_OPTIONS, allowPositionals: true, strict: true });
  const values = parsed.values as Record<string, string | boolean | (string | boolean)[] | undefined>;
  const positionals = parsed.positionals;
  if (values['help'] === true) {
    process.stdout.write(HELP);
    return 0;
  }
  const flags: Record<string, unknown> = { capability: positionals[0], capabilities: positionals };
  for (const spec of SETTINGS as readonly SettingSpec[]) {
    const key = flagKeyOf(spec);
    if (spec.flag !== undefined && key !== undefined) flags[key] = values[spec.flag];
  }
  let config: GatewayConfig;
  let env: Environment;
  try {
    env = readEnvironment(process.env);
    config = resolveConfig(flags, env);
  } catch (err) {
    return reportStartupError(err);
  }
  if (values['print-config'] === true) return printConfig(config, flags, env);

  // Signal handlers go in before anything opens: a SIGTERM during start-up waits for the start to finish
  // (or fail), then closes what it opened (listeners, the ledger and its lock) instead of dying with 143.
  let gateway: RunningGateway | undefined;
  let stopping = false;
  const startup = startGateway(config);
  const grace = closeWithGrace(
    { delay: config.shutdownTimeoutMs, logger: { error: (m: unknown) => logError(gateway, m) }, skip: ['SIGHUP'] },
    async function shutdown({ signal, err, manual }) {
      stopping = true;
      const g = gateway ?? (await startup); // a failed start rejects here, and close-with-grace exits 1
      if (err !== undefined) g.logger.error({ err }, 'fatal error, shutting down');
      else g.logger.info({ signal: signal ?? (manual === true ? 'stdin closed' : undefined) }, 'shutting down');
      await g.close();
      g.logger.info('shut down');
    },
  );
  // SIGHUP reloads the capability; its default action (exit) must not apply during start-up either.
  process.on('SIGHUP', () => {
    if (gateway === undefined || stopping) return;
    const g = gateway;
    g.logger.info({ signal: 'SIGHUP' }, 'reloading the capability');
    g.reload().catch((err: unknown) => g.logger.error({ err }, 'capability reload failed'));
  });
  try {
    gateway = await startup;
  } catch (err) {
    grace.uninstall(); // or its beforeExit handler would exit 0
    return reportStartupError(err);
  }
  if (stopping) return -1; // a signal arrived during start-up: shutdown() closes it
  // An MCP stdio client ends the session by closing stdin.
  void gateway.mcp?.ended.then(() => grace.close());
  gateway.logger.info({ rest: gateway.restUrl, mcp: gateway.mcpUrl }, 'gateway ready');
  // Booted: V8's own settings from now on (ops/boot-tuning.ts).
  leaveBoot();
  return -1; // keep running
}

/** reportStartupError prints a known startup failure as one line and returns the exit code; anything else is rethrown. */
function reportStartupError(err: unknown): number {
  if (err instanceof CapabilityError) {
    process.stderr.write(`naftiko-gateway: cannot serve ${err.file}\n${err.message}\n`);
    return 1;
  }
  if (err instanceof EnvFileError || err instanceof LedgerLockedError || err instanceof StartupError) {
    process.stderr.write(`naftiko-gateway: ${err.message}\n`);
    if (debugWanted()) process.stderr.write(`${String(err.stack)}\n`);
    return 1;
  }
  throw err;
}

/** logError sends close-with-grace's complaints to the gateway's log, or to stderr before there is one. */
function logError(gateway: RunningGateway | undefined, message: unknown): void {
  if (gateway !== undefined) gateway.logger.error(message instanceof Error ? { err: message } : { detail: String(message) }, 'shutdown problem');
  else process.stderr.write(`naftiko-gateway: ${message instanceof Error ? message.message : String(message)}\n`);
}

/** printConfig prints the effective configuration; exit 1 when the capability itself has errors. */
function printConfig(config: GatewayConfig, flags: FlagValues, env: Environment): number {
  const set = checkCapabilitySet(config.capabilityPaths ?? [config.capabilityPath], { env, baseUris: config.baseUris });
  if (set.set !== undefined) checkBaseUriNamespaces(config.baseUris, set.set.served.upstreams.map((u) => u.namespace));
  // The set as one capability: its listeners, every file's problems and every secret to mask.
  const first = set.results[0];
  const check: CheckResult = {
    file: config.capabilityPath,
    ok: set.ok,
    problems: [...set.results.flatMap((r) => r.problems), ...set.setProblems.flatMap((f) => f.problems)],
    compiled: set.set?.served ?? first?.compiled,
    dialect: first?.dialect,
  };
  process.stdout.write(printableConfig(describeConfig(config, flags, env, check), secretValues(env, check)));
  return check.ok ? 0 : 1;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(HELP);
    return command === undefined ? 2 : 0;
  }
  if (command === '--version' || command === '-v') {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  if (command === 'check') return runCheck(rest.filter((a) => !a.startsWith('-')));
  if (command === 'serve') return runServe(rest);
  if (command === 'openapi') return runOpenApi(rest);
  if (command === 'hash-key') return runHashKey();
  process.stderr.write(`naftiko-gateway: unknown command "${command}"\n\n${HELP}`);
  return 2;
}

/** runCommand runs the command `argv` names and sets the process's exit code (serve keeps running). */
export function runCommand(argv: string[]): Promise<void> {
  return main(argv).then(
    (code) => {
      if (code >= 0) process.exitCode = code;
    },
    (err: unknown) => {
      if (err instanceof ConfigError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
        process.stderr.write(`naftiko-gateway: ${(err as Error).message}\n`);
        process.exitCode = 2;
        return;
      }
      // One line; the stack trace only when asked for.
      const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
      process.stderr.write(debugWanted() ? `naftiko-gateway: ${err instanceof Error ? (err.stack ?? message) : message}\n` : `naftiko-gateway: ${message} (GATEWAY_LOG_LEVEL=debug prints the stack trace)\n`);
      process.exitCode = 1;
    },
  );
}
