/**
 * docs/configuration.md's settings table lives between two markers and is
 * generated from the settings table (scripts/configuration-doc.ts writes it;
 * test/settings/configuration-doc.test.ts fails when the committed file differs).
 */
import { settingsTable } from './help.js';

/** TABLE_START and TABLE_END mark the generated part of docs/configuration.md. */
export const TABLE_START = '<!-- settings table: generated from src/settings/table.ts by scripts/configuration-doc.ts; do not edit by hand -->';
export const TABLE_END = '<!-- end of the generated settings table -->';

/** withSettingsTable returns the document with its generated table replaced by the current one. */
export function withSettingsTable(markdown: string): string {
  const start = markdown.indexOf(TABLE_START);
  const end = markdown.indexOf(TABLE_END);
  if (start === -1 || end < start) throw new Error(`docs/configuration.md lacks the markers ${TABLE_START} … ${TABLE_END}`);
  return `${markdown.slice(0, start)}${TABLE_START}\n${settingsTable()}\n${markdown.slice(end)}`;
}
