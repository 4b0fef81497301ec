/**
 * `serve --help` options and docs/configuration.md's table, both rendered
 * from the settings table.
 */
import { SETTINGS, type SettingSpec } from './table.js';

/** defaultText is how a setting's default reads. */
export function defaultText(spec: SettingSpec): string {
  if (spec.defaultDoc !== undefined) return spec.defaultDoc;
  if (Array.isArray(spec.default)) return spec.default.length === 0 ? 'none' : spec.default.join(',');
  return spec.default === undefined ? 'none' : String(spec.default);
}

function flagText(spec: SettingSpec): string {
  if (spec.flag === undefined) return spec.key === 'capabilityPath' ? '[capability.yaml]' : '';
  return spec.placeholder === undefined ? `--${spec.flag}` : `--${spec.flag} ${spec.placeholder}`;
}

const FLAG_COLUMN = 30;

/** helpOptions renders the `Options for serve` lines: flag, what it does, its variable and default. */
export function helpOptions(): string {
  const lines: string[] = [];
  for (const spec of SETTINGS as readonly SettingSpec[]) {
    const flag = flagText(spec);
    const lead = flag === '' ? `  ${spec.env ?? ''}` : `  ${flag}`;
    lines.push(lead.length < FLAG_COLUMN ? `${lead.padEnd(FLAG_COLUMN)}${spec.doc}` : `${lead}\n${' '.repeat(FLAG_COLUMN)}${spec.doc}`);
    const where = [flag === '' ? undefined : spec.env, `default: ${defaultText(spec)}`].filter((p) => p !== undefined).join(', ');
    lines.push(`${' '.repeat(FLAG_COLUMN)}(${where})`);
  }
  return lines.join('\n');
}

function code(text: string): string {
  return `\`${text}\``;
}

/** settingsTable renders the Markdown table of docs/configuration.md. */
export function settingsTable(): string {
  const rows = ['| setting | flag | environment | default |', '| --- | --- | --- | --- |'];
  for (const spec of SETTINGS as readonly SettingSpec[]) {
    const flag = flagText(spec);
    const def = spec.defaultDoc !== undefined || spec.default === undefined || Array.isArray(spec.default) ? defaultText(spec) : code(defaultText(spec));
    rows.push(`| ${spec.doc.replaceAll('|', '\\|')} | ${flag === '' ? '—' : code(flag).replaceAll('|', '\\|')} | ${spec.env === undefined ? '—' : code(spec.env)} | ${def} |`);
  }
  return rows.join('\n');
}
