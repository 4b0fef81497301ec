/**
 * Startup and configuration errors are one line on stderr naming the listener
 * or setting, the file:line or address, and the fix; no stack trace unless the
 * log level is debug.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { runCli, startGatewayProcess } from '../helpers/gateway-process.js';

const KEY = { LABEL_STUDIO_API_KEY: 'unused', GATEWAY_LEDGER: 'off' };
const REST_NS = 'label-studio-subpackage-organizations-rest';
const MCP_NS = 'label-studio-subpackage-organizations-mcp';
const STACK = /^\s+at /m;

async function takenPort(t: Test): Promise<number> {
  const blocker: Server = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
  return (blocker.address() as { port: number }).port;
}

function oneLine(t: Test, stderr: string, pattern: RegExp, what: string): void {
  t.equal(stderr.trimEnd().split('\n').length, 1, `${what}: one line`, { stderr });
  t.match(stderr, pattern, what);
  t.notMatch(stderr, STACK, `${what}: no stack trace`);
}

t.test('a REST port in use names the REST listener, its address and the setting', async (t) => {
  const port = await takenPort(t);
  const res = await runCli(['serve', 'capability.yaml', '--rest-port', String(port), '--mcp-port', '0'], KEY);
  t.equal(res.code, 1);
  oneLine(t, res.stderr, new RegExp(`^naftiko-gateway: REST listener "${REST_NS}" cannot listen on 127\\.0\\.0\\.1:${port}: the port is in use \\(EADDRINUSE\\); .*--rest-port / GATEWAY_REST_PORT`), 'REST port in use');
});

t.test('an MCP port in use names the MCP listener; --log-level debug adds the stack', async (t) => {
  const port = await takenPort(t);
  const res = await runCli(['serve', 'capability.yaml', '--rest-port', '0', '--mcp-port', String(port)], KEY);
  t.equal(res.code, 1);
  oneLine(t, res.stderr, new RegExp(`^naftiko-gateway: MCP listener "${MCP_NS}" cannot listen on 127\\.0\\.0\\.1:${port}: the port is in use \\(EADDRINUSE\\); .*--mcp-port / GATEWAY_MCP_PORT`), 'MCP port in use');
  const debug = await runCli(['serve', 'capability.yaml', '--rest-port', '0', '--mcp-port', String(port), '--log-level', 'debug'], KEY);
  t.equal(debug.code, 1);
  t.match(debug.stderr, STACK, 'the stack trace at debug');
});

t.test('a ledger directory in use names the setting and the ways out', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ngw-ledger-lock-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const env = { LABEL_STUDIO_API_KEY: 'unused', GATEWAY_LEDGER_DIR: join(dir, 'ledger') };
  const holder = await startGatewayProcess({ capability: 'capability.yaml', env });
  t.teardown(() => holder.stop());
  const res = await runCli(['serve', 'capability.yaml', '--rest-port', '0', '--mcp-port', '0'], env);
  t.equal(res.code, 1);
  oneLine(t, res.stderr, /^naftiko-gateway: the ledger in .* is in use by another gateway process; .*--ledger-dir.*DATABASE_URL/, 'ledger in use');
  t.match(res.stderr, join(dir, 'ledger'), 'names the directory');
});

t.test('a YAML syntax error names file:line, in check and in serve', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ngw-yaml-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'bad.yaml');
  writeFileSync(file, 'naftiko: 1.0.0-alpha2\ninfo:\n  label: x\ncapability:\n  exposes:\n    - type: rest\n     port: 8080\n');
  const check = await runCli(['check', file]);
  t.equal(check.code, 1);
  t.match(check.stdout, new RegExp(`${file.replace(/[.]/g, '\\.')}:\\d+: error: \\(yaml\\): `), 'check: file:line');
  const serve = await runCli(['serve', file, '--rest-port', '0'], KEY);
  t.equal(serve.code, 1);
  t.match(serve.stderr, new RegExp(`${file.replace(/[.]/g, '\\.')}:\\d+: error: \\(yaml\\): `), 'serve: file:line');
  t.notMatch(serve.stderr, STACK);
});

t.test('a --base-uri namespace that names no upstream is an error, not ignored', async (t) => {
  const res = await runCli(['serve', 'capability.yaml', '--rest-port', '0', '--mcp-port', '0', '--base-uri', 'label-studio=http://127.0.0.1:9'], KEY);
  t.equal(res.code, 2);
  oneLine(t, res.stderr, /^naftiko-gateway: --base-uri \/ GATEWAY_BASE_URI: no upstream is named "label-studio" \(the capability's consumes namespaces: label-studio-subpackage-organizations\)/, 'unknown namespace');
  const fromEnv = await runCli(['serve', 'capability.yaml', '--rest-port', '0', '--mcp-port', '0'], { ...KEY, GATEWAY_BASE_URI: 'nope=http://127.0.0.1:9' });
  t.equal(fromEnv.code, 2);
  t.match(fromEnv.stderr, /no upstream is named "nope"/);
  // `check` and `--print-config` refuse it the same way instead of reporting "ok".
  const check = await runCli(['check', 'capability.yaml'], { ...KEY, GATEWAY_BASE_URI: 'nope=http://127.0.0.1:9' });
  t.equal(check.code, 2, check.stdout);
  oneLine(t, check.stderr, /^naftiko-gateway: --base-uri \/ GATEWAY_BASE_URI: no upstream is named "nope"/, 'check');
  t.notMatch(check.stdout, /: ok \(/, 'check does not say ok');
  const printed = await runCli(['serve', 'capability.yaml', '--print-config', '--base-uri', 'nope=http://127.0.0.1:9'], KEY);
  t.equal(printed.code, 2, printed.stdout);
  oneLine(t, printed.stderr, /^naftiko-gateway: --base-uri \/ GATEWAY_BASE_URI: no upstream is named "nope"/, 'print-config');
  const known = await runCli(['check', 'capability.yaml'], { ...KEY, GATEWAY_BASE_URI: 'label-studio-subpackage-organizations=http://127.0.0.1:9' });
  t.equal(known.code, 0, known.stderr);
});

t.test('an unknown GATEWAY_* variable is an error with the closest setting', async (t) => {
  const res = await runCli(['serve', 'capability.yaml', '--rest-port', '0', '--mcp-port', '0'], { ...KEY, GATEWAY_REST_PROT: '8081' });
  t.equal(res.code, 2);
  oneLine(t, res.stderr, /^naftiko-gateway: unknown setting GATEWAY_REST_PROT/, 'typo');
  // Kubernetes service links for a Service named "gateway" and NAME_FILE forms are not typos.
  const ok = await runCli(['serve', 'capability.yaml', '--print-config'], { ...KEY, GATEWAY_SERVICE_HOST: '10.0.0.1', GATEWAY_PORT_8080_TCP_ADDR: '10.0.0.1', GATEWAY_PORT: 'tcp://10.0.0.1:8080' });
  t.equal(ok.code, 0, ok.stderr);
});
