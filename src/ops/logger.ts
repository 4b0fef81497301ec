/**
 * The one pino logger of the process. Credentials are redacted by path, so a
 * header object logged by mistake still never shows a key.
 */
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';

/** REDACTED replaces every secret the gateway prints or logs. */
export const REDACTED = '[Redacted]';

/** REDACT_PATHS names every place a credential could appear in a log object. */
export const REDACT_PATHS = [
  'authorization',
  'headers.authorization',
  'headers["x-api-key"]',
  'headers.cookie',
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.authorization',
  '*.apiKey',
  '*.api_key',
  '*.token',
  '*.password',
  // Gateway API keys (inbound) and credentials a capability places in the query string.
  'headers["proxy-authorization"]',
  'req.headers["proxy-authorization"]',
  '*.headers["x-api-key"]',
  '*["x-api-key"]',
  '*.apiKeys',
  '*.secret',
  '*.access_token',
  'query',
  '*.query',
  'req.query',
  // Refresh-token exchange bodies ({"refresh": …} → {"access": …}) and OAuth-style fields.
  'refresh',
  'access',
  '*.refresh',
  '*.access',
  '*.refresh_token',
  '*.credential',
];

/** createLogger builds the process logger; `destination` lets tests capture lines. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    level,
    base: { service: 'naftiko-gateway' },
    redact: { paths: REDACT_PATHS, censor: REDACTED },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}
