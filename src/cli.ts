#!/usr/bin/env node
/**
 * The `naftiko-gateway` command: serve, check, --help, --version.
 */
import { parseArgs } from 'node:util';
import { checkCapabilityFile, CapabilityError, formatProblem } from './capability/index.js';
import { ConfigError, DEFAULTS, ENV, parseBaseUris, resolveConfig, type FlagValues } from './config.js';
import { startGateway, type RunningGateway } from './gateway.js';
import { LEDGER_DEFAULT_DIR, LEDGER_ENV } from './ledger/config.js';
import { VERSION } from './version.js';

const HELP = `naftiko-gateway ${VERSION}
Serve a Naftiko capability as a REST API (and MCP server), forwarding to its upstream APIs.

Usage:
  naftiko-gateway serve [capability.yaml] [options]   run the gateway in the foreground
  naftiko-gateway check <capability.yaml>...          validate capabilities; exit 1 listing every problem
  naftiko-gateway --help | --version

Options for serve (flag > environment variable > capability file > default):
  --host <addr>               address to bind             ${ENV.host} (default ${DEFAULTS.host})
  --rest-port <n>             REST adapter port           ${ENV.restPort} (default: the capability's rest port)
  --mcp-port <n>              MCP adapter port            ${ENV.mcpPort} (default: the capability's mcp port)
  --base-uri [ns=]<url>       override an upstream baseUri (repeatable; no ns = every upstream)
                                                          ${ENV.baseUri} (comma-separated)
  --upstream-timeout-ms <n>   upstream timeout            ${ENV.upstreamTimeoutMs} (default ${DEFAULTS.upstreamTimeoutMs})
  --body-limit-bytes <n>      max request body            ${ENV.bodyLimitBytes} (default ${DEFAULTS.bodyLimitBytes})
  --log-level <level>         pino level                  ${ENV.logLevel} (default ${DEFAULTS.logLevel})
  --ledger <on|off>           role-change ledger          ${LEDGER_ENV.ledger} (default on)
  --ledger-dir <dir>          embedded ledger data        ${LEDGER_ENV.dir} (default ${LEDGER_DEFAULT_DIR})
                              ${LEDGER_ENV.databaseUrl}=postgres://… uses a shared PostgreSQL instead (several replicas)
The capability path may also come from ${ENV.capabilityPath} (default ${DEFAULTS.capabilityPath}).
`;

const SERVE_OPTIONS = {
  host: { type: 'string' },
  'rest-port': { type: 'string' },
  'mcp-port': { type: 'string' },
  'base-uri': { type: 'string', multiple: true },
  'upstream-timeout-ms': { type: 'string' },
  'body-limit-bytes': { type: 'string' },
  'log-level': { type: 'string' },
  ledger: { type: 'string' },
  'ledger-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

function runCheck(files: string[]): number {
  if (files.length === 0) {
    process.stderr.write('naftiko-gateway check: missing <capability.yaml>\n');
    return 2;
  }
  let failed = false;
  for (const file of files) {
    const result = checkCapabilityFile(file, { env: process.env, baseUris: parseBaseUris(process.env[ENV.baseUri] ? [process.env[ENV.baseUri] as string] : []) });
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
  return failed ? 1 : 0;
}

async function runServe(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: SERVE_OPTIONS, allowPositionals: true, strict: true });
  if (values.help === true) {
    process.stdout.write(HELP);
    return 0;
  }
  const flags: FlagValues = {
    capability: positionals[0],
    host: values.host,
    restPort: values['rest-port'],
    mcpPort: values['mcp-port'],
    baseUri: values['base-uri'],
    upstreamTimeoutMs: values['upstream-timeout-ms'],
    bodyLimitBytes: values['body-limit-bytes'],
    logLevel: values['log-level'],
    ledger: values.ledger,
    ledgerDir: values['ledger-dir'],
  };
  const config = resolveConfig(flags, process.env);
  let gateway: RunningGateway;
  try {
    gateway = await startGateway(config);
  } catch (err) {
    if (err instanceof CapabilityError) {
      process.stderr.write(`naftiko-gateway: cannot serve ${err.file}\n${err.message}\n`);
      return 1;
    }
    throw err;
  }
  const shutdown = (signal: string): void => {
    gateway.logger.info({ signal }, 'shutting down');
    gateway.close().then(
      () => process.exit(0),
      (err: unknown) => {
        gateway.logger.error({ err }, 'error while shutting down');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
  return -1; // keep running
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
  process.stderr.write(`naftiko-gateway: unknown command "${command}"\n\n${HELP}`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof ConfigError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`naftiko-gateway: ${(err as Error).message}\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`naftiko-gateway: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
