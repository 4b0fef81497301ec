/**
 * The gateway's settings: one table (table.ts) from which the parser, `--help`,
 * `--print-config` and docs/configuration.md are generated.
 */
export { ConfigError, parseBaseUris, parseOrigins } from './values.js';
export { DEFAULTS, ENV, resolveConfig, type FlagValues, type GatewayConfig } from './resolve.js';
export { SETTINGS, type SettingSpec } from './table.js';
