/**
 * A browser MCP client, as the MCP Inspector's direct mode is: the SDK's
 * Client and Streamable HTTP transport, bundled for the browser with esbuild,
 * run in Debian's chromium (playwright-core) from a page on another origin
 * than the MCP port. With that origin allowed, CORS lets it initialize, read
 * Mcp-Session-Id, list tools and call one; a page from an origin that is not
 * allowed is refused.
 */
import { createServer, type Server } from 'node:http';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { chromium, type BrowserContext } from 'playwright-core';
import t from 'tap';
import { startMcpAdapter, type McpAdapter } from '../../src/adapters/mcp/index.js';
import { loadCapability } from '../../src/capability/index.js';
import { Invoker } from '../../src/core/invoker.js';
import { createLogger } from '../../src/ops/logger.js';
import { UpstreamClient } from '../../src/upstream/client.js';
import { UpstreamPools } from '../../src/upstream/pools.js';
import { startLabelStudio, type LabelStudioSimulator } from '../fixtures/label-studio/simulator.js';
import { ROOT } from '../helpers/gateway-process.js';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** What the page runs: connect, list, call, and report what it saw. */
const PAGE_SCRIPT = `
import { Client, StreamableHTTPClientTransport } from '/sdk.js';
window.runMcp = async (mcpUrl) => {
  try {
    const client = new Client({ name: 'browser', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL(mcpUrl));
    await client.connect(transport);
    const tools = (await client.listTools()).tools.map((t) => t.name);
    const result = await client.callTool({ name: 'get-organization-settings', arguments: { id: 1 } });
    const sessionId = transport.sessionId;
    await transport.terminateSession();
    await client.close();
    return { ok: true, tools, title: result.structuredContent?.title, sessionId };
  } catch (err) {
    return { ok: false, error: String(err && err.message || err) };
  }
};
`;

function servePage(sdk: string): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    if (req.url === '/sdk.js' || req.url === '/page.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(req.url === '/sdk.js' ? sdk : PAGE_SCRIPT);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>mcp</title><script type="module" src="/page.js"></script>');
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, origin: `http://127.0.0.1:${(server.address() as { port: number }).port}` })));
}

if (!existsSync(CHROMIUM)) {
  t.plan(0, `SKIPPED browser MCP client test: chromium is not installed at ${CHROMIUM}`);
} else {
  let sim: LabelStudioSimulator;
  let pools: UpstreamPools;
  let adapter: McpAdapter;
  let context: BrowserContext;
  const pages: Server[] = [];
  const profile = mkdtempSync(join(tmpdir(), 'ngw-chromium-mcp-'));

  t.teardown(async () => {
    await context?.close();
    await adapter?.close();
    await pools?.close();
    await sim?.close();
    for (const p of pages) p.close();
    rmSync(profile, { recursive: true, force: true });
  });

  t.test('the SDK client in chromium, from an allowed origin: initialize, list, call; a foreign origin is refused', async (t) => {
    const bundled = await build({
      stdin: {
        contents: "export { Client } from '@modelcontextprotocol/sdk/client/index.js';\nexport { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';\n",
        resolveDir: ROOT,
        loader: 'js',
      },
      bundle: true,
      format: 'esm',
      platform: 'browser',
      write: false,
      logLevel: 'silent',
    });
    const sdk = bundled.outputFiles[0]?.text ?? '';
    t.ok(sdk.length > 10_000, 'the SDK client bundles for the browser');
    const allowed = await servePage(sdk);
    const foreign = await servePage(sdk);
    pages.push(allowed.server, foreign.server);

    sim = await startLabelStudio();
    pools = new UpstreamPools();
    const { capability } = loadCapability('capability.yaml', { env: { LABEL_STUDIO_API_KEY: sim.legacyToken }, baseUris: { '*': sim.url } });
    const invoker = new Invoker(new UpstreamClient(pools, { timeoutMs: 10_000, userAgent: 'test' }), []);
    adapter = await startMcpAdapter(capability.mcp[0]!, { invoker, maxResponseBytes: 1 << 20, logger: createLogger('silent') }, {
      transport: 'http',
      host: '127.0.0.1',
      port: 0,
      stateless: false,
      allowedOrigins: [allowed.origin],
      bodyLimitBytes: 1 << 20,
      keepAliveTimeoutMs: 5_000,
    });
    const mcpUrl = `${adapter.url as string}/mcp`;

    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    await page.goto(`${allowed.origin}/`);
    await page.waitForFunction(() => typeof (globalThis as unknown as { runMcp?: unknown }).runMcp === 'function');
    const seen = await page.evaluate((url) => (globalThis as unknown as { runMcp: (u: string) => Promise<Record<string, unknown>> }).runMcp(url), mcpUrl);
    t.match(seen, { ok: true, title: 'Acme Labeling', sessionId: String }, `the browser client works: ${JSON.stringify(seen)}`);
    t.equal((seen['tools'] as string[] | undefined)?.length, 6, 'it lists the 6 tools');
    t.equal(sim.requests.filter((r) => r.url === '/api/organizations/1').length, 1, 'one upstream call');

    const other = await context.newPage();
    other.setDefaultTimeout(30_000);
    await other.goto(`${foreign.origin}/`);
    await other.waitForFunction(() => typeof (globalThis as unknown as { runMcp?: unknown }).runMcp === 'function');
    const refused = await other.evaluate((url) => (globalThis as unknown as { runMcp: (u: string) => Promise<Record<string, unknown>> }).runMcp(url), mcpUrl);
    t.match(refused, { ok: false }, `a page from a foreign origin cannot use the server: ${JSON.stringify(refused)}`);
  });
}
