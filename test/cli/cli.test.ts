/**
 * The command line: check (with YAML paths), --help, --version, and boot failures.
 */
import { readFileSync } from 'node:fs';
import t from 'tap';
import { runCli } from '../helpers/gateway-process.js';

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

t.test('--version and --help', async (t) => {
  const version = await runCli(['--version']);
  t.equal(version.code, 0);
  t.equal(version.stdout.trim(), VERSION);
  const help = await runCli(['--help']);
  t.equal(help.code, 0);
  t.match(help.stdout, /naftiko-gateway serve \[capability\.yaml\]/);
  t.match(help.stdout, /naftiko-gateway check/);
  t.match(help.stdout, /--base-uri/);
});

t.test('check accepts the shipped capability', async (t) => {
  const res = await runCli(['check', 'capability.yaml'], { LABEL_STUDIO_API_KEY: 'x' });
  t.equal(res.code, 0, res.stdout);
  t.match(res.stdout, /capability\.yaml: ok \(naftiko 1\.0\.0-alpha2, 6 operations, 6 REST routes, 6 MCP tools/);
});

t.test('check names every problem with file, line and YAML path', async (t) => {
  const res = await runCli(['check', 'test/fixtures/capabilities/broken.yaml']);
  t.equal(res.code, 1);
  const expected: [string, RegExp][] = [
    ['unknown call target', /broken\.yaml:\d+: error: capability\.exposes\[0\]\.resources\[0\]\.operations\[0\]\.call: unknown call target "up\.nothing"/],
    ['unknown with source', /capability\.exposes\[0\]\.resources\[1\]\.operations\[0\]\.with\.thing: unknown with source "pager\.limit"/],
    ['path template without parameter', /capability\.consumes\[0\]\.resources\[0\]\.path: path parameter \{id\} has no inputParameter/],
    ['declared path parameter not in template', /capability\.consumes\[0\]\.resources\[0\]\.operations\[0\]\.inputParameters\[0\]: path parameter "thing" does not appear/],
    ['exposed path parameter unbound', /capability\.exposes\[0\]\.resources\[3\]\.path: path template parameter \{other\}/],
    ['duplicate route', /capability\.exposes\[0\]\.resources\[2\]\.operations\[0\]: duplicate route GET \/v1\/things\//],
    ['bad HTTP method', /capability\.consumes\[0\]\.resources\[1\]\.operations\[1\]\.method: must be one of GET, POST, PUT, PATCH, DELETE, got "FETCH"/],
    ['unterminated placeholder', /capability\.consumes\[0\]\.baseUri: unterminated placeholder "\{\{"/],
    ['invalid JSONPath', /capability\.consumes\[0\]\.resources\[1\]\.operations\[0\]\.outputParameters\[0\]\.value: invalid JSONPath "\$\[\?"/],
    ['unknown top-level key is a warning', /broken\.yaml:5: warning: futureKey: unknown top-level key/],
  ];
  for (const [name, pattern] of expected) t.match(res.stdout, pattern, name);
  t.match(res.stdout, /broken\.yaml: 10 error\(s\), 1 warning\(s\)/);
});

t.test('check reports YAML syntax errors and missing files', async (t) => {
  const missing = await runCli(['check', 'does-not-exist.yaml']);
  t.equal(missing.code, 1);
  t.match(missing.stdout, /does-not-exist\.yaml: error: \(file\): file not found/);
});

t.test('serve refuses to start without the upstream key, naming the variable', async (t) => {
  const res = await runCli(['serve', 'capability.yaml', '--rest-port', '0'], { LABEL_STUDIO_API_KEY: undefined });
  t.equal(res.code, 1);
  t.match(res.stderr, /environment variable LABEL_STUDIO_API_KEY is not set/);
  t.match(res.stderr, /capability\.consumes\[0\]\.authentication\.value/);
});

t.test('unknown flags and commands exit 2', async (t) => {
  t.equal((await runCli(['serve', '--nope'])).code, 2);
  t.equal((await runCli(['frobnicate'])).code, 2);
});
