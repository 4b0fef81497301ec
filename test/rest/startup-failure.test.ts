/**
 * A gateway that cannot start (its MCP port is taken) closes what it had
 * already opened: the REST listener and the ledger with its directory lock.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { resolveConfig } from '../../src/settings/index.js';
import { startGateway } from '../../src/gateway.js';

t.test('an MCP port in use fails the start and releases the REST port and the ledger', async (t) => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
  const taken = (blocker.address() as { port: number }).port;
  const dir = mkdtempSync(join(tmpdir(), 'ngw-startup-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const env = { LABEL_STUDIO_API_KEY: 'unused' };
  const logDestination = { write: () => undefined };

  const failing = resolveConfig({ capability: 'capability.yaml', restPort: '0', mcpPort: String(taken), logLevel: 'silent', ledgerDir: dir }, {});
  await t.rejects(startGateway(failing, { env, logDestination }), { code: 'EADDRINUSE' });

  // The same ledger directory opens again at once: the failed start released its lock.
  const working = resolveConfig({ capability: 'capability.yaml', restPort: '0', mcpPort: '0', logLevel: 'silent', ledgerDir: dir }, {});
  const gateway = await startGateway(working, { env, logDestination });
  t.teardown(() => gateway.close());
  t.ok(gateway.ledger, 'the ledger is open in the second gateway');
  t.match(gateway.restUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
});
