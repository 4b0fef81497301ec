/**
 * The audit line logs only the inputs a capability declares in `x-audit`:
 * nothing about Label Studio is built in.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { checkCapabilityFile, loadCapabilityText } from '../../src/capability/index.js';
import { createAuditInterceptor } from '../../src/core/audit.js';

const FIXTURE = readFileSync('test/fixtures/capabilities/audit.yaml', 'utf8');

function capabilityYaml(audit: string): string {
  return FIXTURE.replace('              # x-audit\n', audit === '' ? '' : `${audit}\n`);
}

function auditLine(audit: string, values: Record<string, unknown>): Record<string, unknown> {
  const { capability } = loadCapabilityText('audit.yaml', capabilityYaml(audit), { env: {} });
  const tool = capability.mcp[0]?.tools[0];
  if (tool === undefined) throw new Error('no tool');
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const interceptor = createAuditInterceptor(pino({ base: undefined, timestamp: false }, sink));
  t.ok(interceptor.appliesTo(tool), 'a PATCH is audited');
  void interceptor.after?.(tool, values, { requestId: 'r1', adapter: 'mcp' }, { status: 200, error: undefined });
  return JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
}

const VALUES = { id: 7, body: { user_id: 14, role: 'AN', token: 'secret', nested: { a: 1 } } };

t.test('without x-audit the line carries no input values', async (t) => {
  const line = auditLine('', VALUES);
  t.same(line, { level: 30, audit: true, reqId: 'r1', adapter: 'mcp', operation: 'api.change', call: 'change', upstreamStatus: 200, msg: 'audit' });
});

t.test('declared inputs are logged under their names; lists take the first present; objects never', async (t) => {
  const audit = `              x-audit:
                organizationId: id
                targetUserId: body.user_id
                newRole: [body.default_role, body.role]
                detail: body.nested`;
  const line = auditLine(audit, VALUES);
  t.match(line, { organizationId: 7, targetUserId: 14, newRole: 'AN' });
  t.notOk('detail' in line, 'an object value is not logged');
  t.notOk(JSON.stringify(line).includes('secret'), 'undeclared body fields are not logged');
});

t.test('bad declarations stop the capability at load, naming the YAML path', async (t) => {
  const { writeFileSync, mkdtempSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'audit-'));
  const cases: [string, RegExp][] = [
    ['              x-audit: [id]', /x-audit.*must be a mapping/],
    ['              x-audit:\n                who: nobody', /x-audit\.who.*unknown input parameter "nobody"/],
    ['              x-audit:\n                who: id.field', /x-audit\.who.*only object parameters have fields/],
    ['              x-audit:\n                reqId: id', /x-audit\.reqId.*cannot name an audit field/],
  ];
  for (const [audit, want] of cases) {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, capabilityYaml(audit));
    const result = checkCapabilityFile(file, { env: {} });
    t.notOk(result.ok, audit);
    t.ok(result.problems.some((p) => p.severity === 'error' && want.test(`${p.path} ${p.message}`)), `${audit}: ${result.problems.map((p) => `${p.path} ${p.message}`).join('; ')}`);
  }
});
