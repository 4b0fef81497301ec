// The pre-serialized audit line (src/ops/audit-line.ts) is the line pino writes for the same record, redaction included.
import fc from 'fast-check';
import t from 'tap';
import type { DestinationStream } from 'pino';
import { formatAuditLine } from '../../src/ops/audit-line.js';
import { createLogger } from '../../src/ops/logger.js';

/** viaPino is the line the gateway's logger writes for `fields` (time left out: the two are written apart). */
function viaPino(fields: Record<string, unknown>): string {
  let out = '';
  const capture: DestinationStream = { write: (line: string) => void (out += line) };
  createLogger('info', capture).info(fields, 'audit');
  return withoutTime(out);
}

function withoutTime(line: string): string {
  return line.replace(/,"time":"[^"]*"/, '');
}

t.test('an audit line reads as pino writes it', async (t) => {
  const table: Record<string, unknown>[] = [
    { audit: true, reqId: 'r-1', adapter: 'rest', capability: undefined, operation: 'ls.update', call: 'update', organizationId: 1, keyId: undefined, upstreamStatus: 200, code: undefined },
    { audit: true, reqId: 'r-2', adapter: 'mcp', operation: 'ls.role', call: 'role', targetUserId: 14, newRole: 'DI', keyId: 'ops', upstreamStatus: undefined, code: 'NGW_ERR_CONFLICT' },
    // Top-level keys a redaction path names are censored; quotes, controls and non-ASCII escaped alike.
    { audit: true, access: 'secret', refresh: 'r', authorization: 'Token x', query: 'a=b', token: 'kept: only nested token paths exist' },
    { audit: true, note: 'quote " backslash \\ tab \t nul \u0000 é 😀', big: 1e21, neg: -0.5, nan: Number.NaN, inf: Number.POSITIVE_INFINITY, no: false },
  ];
  for (const [i, fields] of table.entries()) t.equal(withoutTime(formatAuditLine(fields) ?? ''), viaPino(fields), `table row ${i}`);
  t.equal(formatAuditLine({ audit: true, nested: { token: 'x' } }), undefined, 'an object value is left to pino');
  t.equal(formatAuditLine({ audit: true, lone: '\ud800' }), undefined, 'so is a lone surrogate (pino does not escape it)');
  t.equal(formatAuditLine({ audit: true, toString: 1 }), undefined, 'and a key pino finds on Object.prototype');

  let checked = 0;
  const scalar = fc.oneof(fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(undefined));
  const key = fc.oneof(fc.string({ minLength: 1, maxLength: 12 }), fc.constantFrom('access', 'refresh', 'authorization', 'query', 'token', 'msg', 'level', 'toString', '__proto__', 'constructor'));
  fc.assert(
    fc.property(fc.dictionary(key, scalar, { maxKeys: 8 }), (fields) => {
      const record = { audit: true, ...fields };
      const line = formatAuditLine(record);
      if (line === undefined) return; // a lone surrogate or a prototype key: pino's line
      if (withoutTime(line) !== viaPino(record)) throw new Error(`differs on ${JSON.stringify(record)}`);
      checked++;
    }),
    { numRuns: 2000 },
  );
  t.ok(checked > 1000, `${checked} random records matched`);
});
