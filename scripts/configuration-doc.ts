/**
 * Regenerates the settings table of docs/configuration.md from src/settings/table.ts:
 *   node --import tsx scripts/configuration-doc.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { withSettingsTable } from '../src/settings/doc.js';

const file = new URL('../docs/configuration.md', import.meta.url);
const before = readFileSync(file, 'utf8');
const after = withSettingsTable(before);
writeFileSync(file, after);
process.stdout.write(before === after ? 'docs/configuration.md is up to date\n' : 'docs/configuration.md: settings table regenerated\n');
