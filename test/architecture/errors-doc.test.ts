/**
 * The error catalogue and docs/errors.md agree, as fastify's
 * test/internals/errors.test.js ties its codes to docs/Reference/Errors.md:
 * every code documented once with its status, no row for a code that is gone.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { ERRORS, GatewayError, type ErrorCode } from '../../src/core/errors.js';
import { problemTypeFor, toProblem } from '../../src/core/problem.js';

const DOC = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');

/** documentedCodes reads the table rows `| status | `CODE`, `CODE` | when |`. */
function documentedCodes(markdown: string): { code: string; status: number }[] {
  const rows: { code: string; status: number }[] = [];
  for (const line of markdown.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length < 4 || !/^\d{3}$/.test(cells[1] ?? '')) continue;
    for (const m of (cells[2] ?? '').matchAll(/`([A-Z_]+)`/g)) rows.push({ code: m[1] as string, status: Number(cells[1]) });
  }
  return rows;
}

const codes = Object.keys(ERRORS) as ErrorCode[];
const documented = documentedCodes(DOC);

t.test('the catalogue is well formed', async (t) => {
  t.equal(codes.length, 23, 'a new code is a documented, deliberate change: update this count and docs/errors.md');
  for (const code of codes) {
    t.match(code, /^NGW_ERR_[A-Z_]+$/);
    const err = new GatewayError(code, 'detail');
    t.equal(err.code, code);
    t.equal(err.status, ERRORS[code].status);
    t.ok(err.status >= 400 && err.status < 600, `${code} is an error status`);
    t.match(toProblem(err, 'req-1'), { type: problemTypeFor(code), status: err.status, title: ERRORS[code].title, code, detail: 'detail', instance: 'req-1' });
  }
  t.equal(new Set(codes.map(problemTypeFor)).size, codes.length, 'problem type URIs are unique');
});

t.test('docs/errors.md documents every code, once, with its status', async (t) => {
  t.ok(documented.length > 0, 'the table was read');
  for (const code of codes) {
    const rows = documented.filter((r) => r.code === code);
    t.equal(rows.length, 1, `${code} has one row`);
    t.equal(rows[0]?.status, ERRORS[code].status, `${code} is documented as ${ERRORS[code].status}`);
  }
});

t.test('docs/errors.md has no stale rows', async (t) => {
  t.same(documented.filter((r) => !(r.code in ERRORS)).map((r) => r.code), []);
  const statuses = documented.map((r) => r.status);
  t.same(statuses, [...statuses].sort((a, b) => a - b), 'rows are ordered by status');
});

t.test('the reader catches missing and stale rows', async (t) => {
  const doc = '| status | code | when |\n| --- | --- | --- |\n| 400 | `NGW_ERR_VALIDATION`, `NGW_ERR_GONE` | x |\n| 504 | `NGW_ERR_UPSTREAM_TIMEOUT` | y |';
  t.same(documentedCodes(doc), [
    { code: 'NGW_ERR_VALIDATION', status: 400 },
    { code: 'NGW_ERR_GONE', status: 400 },
    { code: 'NGW_ERR_UPSTREAM_TIMEOUT', status: 504 },
  ]);
});
