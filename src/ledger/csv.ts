/**
 * CSV export of ledger entries (RFC 4180: CRLF lines, fields quoted when they
 * hold a comma, quote or line break). Text a client chose (override reasons,
 * request ids) could start a spreadsheet formula, so such cells get a leading
 * apostrophe (OWASP "CSV Injection").
 */
import { ENTRY_FIELDS, type LedgerEntry } from './entry.js';

const NEEDS_QUOTES = /[",\r\n]/;
const FORMULA_START = /^[=+\-@\t\r]/;

function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && FORMULA_START.test(text)) text = `'${text}`;
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** toCsv renders a header line and one line per entry. */
export function toCsv(entries: readonly LedgerEntry[]): string {
  let out = ENTRY_FIELDS.join(',') + '\r\n';
  for (const entry of entries) out += ENTRY_FIELDS.map((f) => cell(entry[f])).join(',') + '\r\n';
  return out;
}
