/**
 * Library entry: embed the gateway or reuse its capability loader.
 */
export { startGateway, type RunningGateway, type StartOptions } from './gateway.js';
export { resolveConfig, DEFAULTS, ENV, type GatewayConfig } from './settings/index.js';
export { loadCapability, loadCapabilityText, checkCapabilityFile, CapabilityError } from './capability/index.js';
export { ERRORS, GatewayError, type ErrorCode } from './core/errors.js';
export type { ReloadListener, ReloadResult } from './reload.js';
