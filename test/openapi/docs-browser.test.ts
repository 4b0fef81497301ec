/**
 * Swagger UI in a real browser: Debian's chromium driven by playwright-core
 * opens /docs, sees the 6 operations, runs "Try it out" on
 * GET /v1/api/organizations/{id} against the Label Studio simulator and reads
 * the 200 in the page. The screenshot lands in test/artifacts/ (gitignored).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import t from 'tap';
import { startGatewayWithSimulator, type GatewayWithSimulator } from '../helpers/in-process-gateway.js';
import { ROOT } from '../helpers/gateway-process.js';

/** Debian's chromium package; `.ci/run` installs it when missing. */
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const SCREENSHOT = join(ROOT, 'test/artifacts/swagger-ui-try-it-out.png');

if (!existsSync(CHROMIUM)) {
  const banner = '!'.repeat(78);
  process.stderr.write(`\n${banner}\n!! SKIPPING the Swagger UI browser test: no chromium at ${CHROMIUM}.\n!! Install it with: apt-get update && apt-get install -y chromium   (.ci/run does this)\n${banner}\n\n`);
  t.plan(0, `SKIPPED Swagger UI browser test: chromium is not installed at ${CHROMIUM}`);
} else {
  let env: GatewayWithSimulator;
  let context: BrowserContext;
  const profile = mkdtempSync(join(tmpdir(), 'ngw-chromium-'));

  t.before(async () => {
    env = await startGatewayWithSimulator();
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1280, height: 1600 } });
  });

  t.teardown(async () => {
    await context?.close();
    await env?.close();
    rmSync(profile, { recursive: true, force: true });
  });

  t.test('/docs lists the operations and "Try it out" gets a 200 from the simulator', async (t) => {
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    const response = await page.goto(`${env.url}/docs`);
    t.equal(response?.status(), 200, '/docs answers');
    await page.locator('.opblock').first().waitFor();
    const operations = await page.locator('.opblock .opblock-summary').evaluateAll((nodes) =>
      nodes.map((n) => `${n.querySelector('.opblock-summary-method')?.textContent ?? ''} ${n.querySelector('.opblock-summary-path')?.getAttribute('data-path') ?? ''}`),
    );
    t.same(operations.sort(), [
      'GET /v1/api/organizations',
      'GET /v1/api/organizations/{id}',
      'HEAD /v1/api/organizations',
      'HEAD /v1/api/organizations/{id}',
      'PATCH /v1/api/organizations/{id}',
      'PATCH /v1/api/organizations/{id}/memberships',
      'PATCH /v1/api/organizations/{id}/set-default-role',
      'POST /v1/api/invite/reset-token',
    ], 'all 6 operations and the HEAD twins of the GET ones, nothing else');

    env.sim.clear();
    const block = page.locator('.opblock-get', { has: page.locator('.opblock-summary-path[data-path="/v1/api/organizations/{id}"]') });
    await block.locator('.opblock-summary').click();
    await block.locator('button.try-out__btn').click();
    await block.locator('tr[data-param-name="id"] input').fill('1');
    await block.locator('button.execute').click();
    const status = block.locator('.live-responses-table .response .response-col_status').first();
    await status.waitFor();
    t.equal((await status.textContent())?.trim(), '200', 'the page shows the 200');
    const body = (await block.locator('.live-responses-table .response-col_description pre').first().textContent()) ?? '';
    t.match(body, /"title": "Acme Labeling"/, 'the page shows the organization from the simulator');
    t.equal(env.sim.requests.length, 1, 'one upstream call');
    t.equal(env.sim.requests[0]?.url, '/api/organizations/1');
    mkdirSync(join(ROOT, 'test/artifacts'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: false });
    t.ok(existsSync(SCREENSHOT), `screenshot at ${SCREENSHOT}`);
  });
}
