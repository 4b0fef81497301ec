/**
 * Safe defaults: an unauthenticated gateway acts with the upstream key for
 * anyone who reaches it, so it only binds a non-loopback address when the
 * operator says so explicitly.
 */
import { isIP } from 'node:net';
import { ConfigError } from '../settings/index.js';

/** isLoopbackHost is true for 127.0.0.0/8, ::1 and `localhost`. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice('::ffff:'.length) : h;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

/**
 * checkExposure refuses (ConfigError, exit 2) to serve without inbound keys on a
 * non-loopback address unless `allowUnauthenticated`; returns the warning to log
 * when the gateway runs unauthenticated, else undefined.
 */
export function checkExposure(host: string, authEnabled: boolean, allowUnauthenticated: boolean): string | undefined {
  if (authEnabled) return undefined;
  if (!isLoopbackHost(host) && !allowUnauthenticated) {
    throw new ConfigError(
      `refusing to bind ${host} without inbound authentication: anyone who reaches it would act with the upstream credential. ` +
        'Configure GATEWAY_API_KEYS or --api-keys-file, bind 127.0.0.1, or pass --allow-unauthenticated (GATEWAY_ALLOW_UNAUTHENTICATED=1)',
    );
  }
  return `INBOUND AUTHENTICATION IS OFF: every client that reaches ${host} acts with the upstream credential. Configure GATEWAY_API_KEYS or --api-keys-file`;
}
