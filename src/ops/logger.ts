/**
 * The one pino logger of the process. Credentials are redacted by path, so a
 * header object logged by mistake still never shows a key.
 */
import type { FastifyBaseLogger } from 'fastify';
import { LogBatch } from './log-batch.js';
import { destination as pinoDestination, pino, symbols as pinoSymbols, type Bindings, type ChildLoggerOptions, type DestinationStream, type LogFn, type Logger, type LoggerOptions } from 'pino';

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

let cachedSecond = Number.NaN;
let cachedPrefix = '';

/**
 * isoTime renders pino's `isoTime` (`,"time":"2026-05-19T10:00:00.123Z"`) without a
 * `Date#toISOString()` per line (3 µs each here, ~2% of a forwarded request): the text up to
 * the second is cached and only the milliseconds are appended.
 */
export function isoTime(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== cachedSecond) {
    cachedSecond = second;
    cachedPrefix = new Date(second * 1000).toISOString().slice(0, 20);
  }
  const ms = now - second * 1000;
  return `,"time":"${cachedPrefix}${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}Z"`;
}


const kAccessStream = Symbol('naftiko.accessStream');

interface WithAccessStream {
  [kAccessStream]?: DestinationStream;
}

/** createLogger builds the process logger; `destination` lets tests capture lines. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    level,
    base: { service: 'naftiko-gateway' },
    redact: { paths: REDACT_PATHS, censor: REDACTED },
    timestamp: isoTime,
  };
  // Batched asynchronous stdout: under load many request lines share one write syscall
  // instead of one each (a write per line cost more than the rest of the log line). A line
  // waits at most LOG_FLUSH_MS (log-batch.ts), and what is pending is written when the process exits.
  const stream = destination ?? new LogBatch(pinoDestination({ dest: 1, sync: false, minLength: 0 }), 1);
  const logger = pino(options, stream);
  (logger as WithAccessStream)[kAccessStream] = stream;
  return logger;
}

/**
 * AccessLog writes the one line per request pre-serialized (see request-log.ts) to the logger's
 * own stream: the line is assembled from fixed, secret-free fields (never headers, bodies or the
 * query string), so neither pino's object serialization nor its ~35 redaction paths need run on it.
 */
export interface AccessLog {
  /** write appends one complete line (ending in a newline), in pino's format. */
  write(line: string): void;
}

/** accessLogOf is the stream of a createLogger logger, or a fallback writing through the logger's own stream. */
export function accessLogOf(logger: Logger): AccessLog {
  const stream = (logger as WithAccessStream)[kAccessStream];
  if (stream !== undefined) return stream;
  const own = (logger as unknown as Record<symbol, DestinationStream | undefined>)[pinoSymbols.streamSym];
  if (own === undefined) throw new Error('the logger has no stream to write access lines to');
  return own;
}

/** The bindings prefix of every line of a createLogger logger (`base`), after level and time. */
export const ACCESS_LINE_BASE = ',"service":"naftiko-gateway"';

/** INFO_LEVEL is pino's numeric `info` level, as it appears in lines. */
export const INFO_LEVEL = 30;

/**
 * RequestLogger is a request's logger, created only when something logs through it: fastify
 * builds a pino child (bindings serialized, redaction wired) for every request, though a
 * successful request logs only its pre-serialized access line.
 */
class RequestLogger {
  private real: Logger | undefined = undefined;

  constructor(
    private readonly parent: Logger,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}

  get level(): string {
    return this.options.level ?? this.parent.level;
  }

  set level(level: string) {
    this.logger().level = level;
  }

  isLevelEnabled(level: string): boolean {
    if (this.real !== undefined) return this.real.isLevelEnabled(level);
    const values = this.parent.levels.values;
    const own = values[this.level];
    const asked = values[level];
    return own !== undefined && asked !== undefined && asked >= own;
  }

  fatal(...args: Parameters<LogFn>): void {
    this.logger().fatal(...args);
  }
  error(...args: Parameters<LogFn>): void {
    this.logger().error(...args);
  }
  warn(...args: Parameters<LogFn>): void {
    this.logger().warn(...args);
  }
  info(...args: Parameters<LogFn>): void {
    this.logger().info(...args);
  }
  debug(...args: Parameters<LogFn>): void {
    this.logger().debug(...args);
  }
  trace(...args: Parameters<LogFn>): void {
    this.logger().trace(...args);
  }
  silent(): void {
    // Nothing: the silent level logs nothing.
  }
  child(bindings: Bindings, options?: ChildLoggerOptions): Logger {
    return this.logger().child(bindings, options);
  }

  private logger(): Logger {
    return (this.real ??= this.parent.child(this.bindings, this.options));
  }
}

/** requestLoggerFactory is fastify's childLoggerFactory: a RequestLogger instead of an eager pino child. */
export function requestLoggerFactory(logger: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions): FastifyBaseLogger {
  return new RequestLogger(logger as Logger, bindings, options) as unknown as FastifyBaseLogger;
}
