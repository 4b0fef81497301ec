/**
 * The one pino logger of the process. Credentials are redacted by path, so a
 * header object logged by mistake still never shows a key.
 */
import { destination as pinoDestination, pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';

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
];

/** createLogger builds the process logger; `destination` lets tests capture lines. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    level,
    base: { service: 'naftiko-gateway' },
    redact: { paths: REDACT_PATHS, censor: '[Redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  // Asynchronous stdout: a line written while an earlier write is in flight joins the next
  // write, so under load many request lines share one syscall instead of one each; nothing
  // waits for a buffer to fill, and pino flushes what is pending when the process exits.
  return pino(options, destination ?? pinoDestination({ dest: 1, sync: false }));
}
