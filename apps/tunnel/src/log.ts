// Logging to stderr: one line per event, `<ISO time> <LEVEL> <message>`.
// Levels, most to least severe: error, warn, info (default), debug, trace.
// `-v` raises the level to debug, `-vv` to trace; --log-level sets it directly.

import { hostPort } from './address.js';

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug', 'trace'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Logger {
  readonly level: LogLevel;
  enabled(level: LogLevel): boolean;
  error(message: string): void;
  warn(message: string): void;
  info(message: string): void;
  debug(message: string): void;
  trace(message: string): void;
}

export interface LoggerOptions {
  level: LogLevel;
  /** Where lines go; default process.stderr. */
  write?: (line: string) => void;
  /** Clock for the time stamp; default Date.now. */
  now?: () => number;
}

const LABEL: Readonly<Record<LogLevel, string>> = {
  error: 'ERROR',
  warn: 'WARN ',
  info: 'INFO ',
  debug: 'DEBUG',
  trace: 'TRACE',
};

export function createLogger(options: LoggerOptions): Logger {
  const rank = LOG_LEVELS.indexOf(options.level);
  const write = options.write ?? writeStderr;
  const now = options.now ?? Date.now;
  const enabled = (level: LogLevel): boolean => LOG_LEVELS.indexOf(level) <= rank;
  const at =
    (level: LogLevel) =>
    (message: string): void => {
      if (!enabled(level)) return;
      // One event, one line: a message never breaks the line format.
      write(`${new Date(now()).toISOString()} ${LABEL[level]} ${message.replace(/[\r\n]+/g, ' ')}\n`);
    };
  return {
    level: options.level,
    enabled,
    error: at('error'),
    warn: at('warn'),
    info: at('info'),
    debug: at('debug'),
    trace: at('trace'),
  };
}

let stderrBroken = false;

/**
 * Writes to stderr unless it has failed (EPIPE once whoever read it is gone).
 * Without this, the failed write's 'error' would be logged, fail again, and so on.
 */
function writeStderr(line: string): void {
  if (stderrBroken) return;
  if (process.stderr.listenerCount('error') === 0) {
    process.stderr.on('error', () => {
      stderrBroken = true;
    });
  }
  process.stderr.write(line);
}

/** The level chosen by --log-level and -v (counted): an explicit --log-level wins. */
export function resolveLogLevel(logLevel: string | undefined, verbose: number): LogLevel {
  if (logLevel !== undefined) return logLevel as LogLevel;
  if (verbose >= 2) return 'trace';
  if (verbose === 1) return 'debug';
  return 'info';
}

/** `word`, or `word` + "s" when `n` is not 1: "1 connection", "2 connections". */
export function plural(n: number, word: string): string {
  return n === 1 ? word : `${word}s`;
}

/**
 * describeError() for the one line of a tunnel that cannot start: a listen
 * address whose name does not resolve comes with that name ("ENOTFOUND
 * nosuchhost.invalid"), as nothing else on the line names it.
 */
export function describeStartError(err: unknown): string {
  const { syscall, hostname } = (err ?? {}) as { syscall?: unknown; hostname?: unknown };
  const described = describeError(err);
  return syscall === 'getaddrinfo' && typeof hostname === 'string' && !described.includes(hostname) ? `${described} ${hostname}` : described;
}

/** A short description of an error for a log line: `CODE: message`. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as Error & { code?: unknown }).code;
    // System errors ("connect ECONNREFUSED 127.0.0.1:1"): the code says it all,
    // as the log line names what was dialled; a listener's does not, so its address comes along.
    const { syscall, address, port } = err as NodeJS.ErrnoException & { address?: unknown; port?: number };
    if (typeof code === 'string' && syscall !== undefined) {
      if ((syscall === 'listen' || syscall === 'bind') && typeof address === 'string') return `${code} on ${hostPort(address, port ?? 0)}`;
      return code;
    }
    const message = err.message === '' ? err.name : err.message;
    return typeof code === 'string' && !message.includes(code) ? `${code}: ${message}` : message;
  }
  return String(err);
}
