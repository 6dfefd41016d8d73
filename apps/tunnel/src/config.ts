// From parsed flags to checked settings: addresses parsed, files read, units
// converted (units.ts), ranges checked, limits resolved (limits.ts). Every
// problem is a UsageError (exit code 2) naming the flag.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { CLIENT_BOUNDS, SESSION_BOUNDS, inBounds } from '@mpx/core';
import { formatAddress, parseAddress, parseServerList, type Address } from './address.js';
import type { TransportOptions } from './carriers.js';
import { UsageError } from './errors.js';
import { cannotRead, MAX_KEY_FILE_BYTES, readSmallRegularFile } from './key-file.js';
import { serverLimits, sessionLimits, wholeNumber, type RawLimitArgs, type ServerLimits, type SessionLimits } from './limits.js';
import { createLogger, resolveLogLevel, type Logger } from './log.js';
import type { ServerEntry } from './server-entry.js';
import { AllowList, parseAllowRule } from './allow.js';
import type { ProxyCredentials, ProxyKind } from './proxy-listener.js';
import { checkTlsFiles } from './tls-files.js';
import { MESSAGE_SIZE_RANGE } from '@mpx/transport-ws/message-size';
import { parseBytes, parseDuration } from './units.js';

/** The flags as yargs hands them over (camel-case keys); durations may carry a unit ("500ms"). */
export interface RawArgs extends RawLimitArgs {
  listen?: string | string[];
  target?: string;
  allow?: string | string[];
  server?: string | string[];
  carriers?: number | string;
  to?: string;
  key?: string;
  keyFile?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  insecure?: boolean;
  sni?: string;
  wsHost?: string;
  header?: string | string[];
  wsMaxMessage?: string | number;
  connectTimeout?: string | number;
  drainTimeout?: string | number;
  maxCarrierAge?: string | number;
  grace?: string | number;
  stats?: string | number;
  metrics?: string;
  workers?: string | number;
  logLevel?: string;
  verbose?: number;
  pprof?: boolean;
}

export interface CommonConfig {
  readonly log: Logger;
  /** Pre-shared key (SPEC §3.4); undefined means no authentication. */
  readonly key: string | Buffer | undefined;
  readonly transport: TransportOptions;
  readonly connectTimeoutMs: number;
  readonly drainTimeoutMs: number;
  /** How long a session outlives the loss of all its carriers; undefined = the core's default. */
  readonly graceMs: number | undefined;
  readonly statsSeconds: number | undefined;
  readonly metrics: { host: string; port: number } | undefined;
}

export interface ServerConfig extends CommonConfig {
  readonly listen: Address[];
  /** Where plain streams go; undefined: only target streams (--allow) are served. */
  readonly target: Address | undefined;
  /** SPEC §6.6: where target streams may go (--allow); empty refuses them all. */
  readonly allow: AllowList;
  readonly limits: ServerLimits;
  /** --workers: processes that run sessions (1: this process alone). */
  readonly workers: number;
}

export interface ClientConfig extends CommonConfig {
  readonly listen: Address;
  /** `socks5://` or `http://` --listen: a proxy whose connections name their target (SPEC §6.6). */
  readonly proxy: { kind: ProxyKind; credentials: ProxyCredentials | undefined } | undefined;
  readonly servers: ServerEntry[];
  readonly carriersPerServer: number;
  readonly maxCarrierAgeMs: number;
  readonly limits: SessionLimits;
}

export interface RelayConfig extends CommonConfig {
  readonly listen: Address[];
  readonly to: Address;
}

export type Env = Readonly<Record<string, string | undefined>>;

function list(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

function optionError(message: string): UsageError {
  return new UsageError('MPX_TUNNEL_ERR_OPTION', message);
}

/** A duration flag in milliseconds: `value` (seconds, or with a unit), else `fallback` seconds; at least `minMs`. */
function seconds(flag: string, value: string | number | undefined, fallback: number, minMs: number): number {
  return parseDuration(flag, value ?? fallback, { min: minMs, max: 2 ** 31 });
}

function readFile(flag: string, path: string | undefined): Buffer | undefined {
  if (path === undefined) return undefined;
  try {
    return readFileSync(path);
  } catch (err) {
    throw cannotRead(flag, path, err);
  }
}

/**
 * --key, else --key-file (a regular file of at most MAX_KEY_FILE_BYTES, trailing
 * newline dropped), else MPX_KEY; an empty key is refused.
 */
export function resolveKey(args: RawArgs, env: Env): string | Buffer | undefined {
  if (args.key !== undefined) {
    if (String(args.key) === '') throw optionError('--key is empty');
    return String(args.key);
  }
  const file = args.keyFile === undefined ? undefined : readSmallRegularFile('key-file', String(args.keyFile), MAX_KEY_FILE_BYTES);
  if (file !== undefined) {
    let end = file.length;
    while (end > 0 && (file[end - 1] === 0x0a || file[end - 1] === 0x0d)) end--;
    if (end === 0) throw optionError(`--key-file '${args.keyFile ?? ''}' is empty`);
    return file.subarray(0, end);
  }
  const fromEnv = env['MPX_KEY'];
  return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv;
}

/** `text` on one line: characters outside printable ASCII as `\xNN` (`\u{…}` above 0xff). */
function escaped(text: string): string {
  return text.replace(/[^\x20-\x7e]/gu, (c) => {
    const code = c.codePointAt(0) ?? 0;
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  });
}

/**
 * Characters an HTTP field value may not hold (RFC 9110 §5.5: controls but
 * tab): what Node refuses at every request, so it is refused at start.
 */
const INVALID_FIELD_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

/** "Name: value" → [name, value]; the name must be an HTTP token, the value a valid field value. */
export function parseHeader(text: string): [string, string] {
  const colon = text.indexOf(':');
  const name = colon === -1 ? '' : text.slice(0, colon).trim();
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) throw optionError(`--header '${escaped(text)}' must look like "Name: value"`);
  const value = text.slice(colon + 1).trim();
  if (INVALID_FIELD_VALUE.test(value)) {
    throw optionError(
      `--header '${escaped(text)}': the value holds a character not allowed in an HTTP header (a control character, or one above \\xff)`,
    );
  }
  return [name, value];
}

function tcpOnly(flag: string, text: string, listen: boolean): Address {
  const address = parseAddress(text, { listen });
  if (address.scheme !== 'tcp') throw optionError(`--${flag} takes host:port, not ${formatAddress(address)}`);
  return address;
}

export function commonConfig(args: RawArgs, env: Env, logWrite?: (line: string) => void): CommonConfig {
  const log = createLogger({ level: resolveLogLevel(args.logLevel, args.verbose ?? 0), ...(logWrite === undefined ? {} : { write: logWrite }) });
  const connectTimeoutMs = seconds('connect-timeout', args.connectTimeout, 10, 1);
  const headers: Record<string, string> = {};
  for (const h of list(args.header)) {
    const [name, value] = parseHeader(h);
    headers[name] = value;
  }
  const tlsCert = readFile('tls-cert', args.tlsCert);
  const tlsKey = readFile('tls-key', args.tlsKey);
  if ((tlsCert === undefined) !== (tlsKey === undefined)) throw optionError('--tls-cert and --tls-key go together');
  const tlsCa = readFile('tls-ca', args.tlsCa);
  checkTlsFiles({
    cert: tlsCert === undefined ? undefined : { path: String(args.tlsCert), pem: tlsCert },
    key: tlsKey === undefined ? undefined : { path: String(args.tlsKey), pem: tlsKey },
    ca: tlsCa === undefined ? undefined : { path: String(args.tlsCa), pem: tlsCa },
  });
  const transport: TransportOptions = {
    insecure: args.insecure === true,
    headers,
    connectTimeoutMs,
    ...(tlsCert === undefined ? {} : { tlsCert }),
    ...(tlsKey === undefined ? {} : { tlsKey }),
    ...(tlsCa === undefined ? {} : { tlsCa }),
    ...(args.sni === undefined ? {} : { sni: String(args.sni) }),
    ...(args.wsHost === undefined ? {} : { wsHost: parseHeader(`Host: ${String(args.wsHost)}`)[1] }),
    ...(args.wsMaxMessage === undefined ? {} : { wsMaxMessage: parseBytes('ws-max-message', args.wsMaxMessage, MESSAGE_SIZE_RANGE) }),
  };
  let statsSeconds: number | undefined;
  if (args.stats !== undefined) statsSeconds = seconds('stats', args.stats, 0, 1) / 1000;
  const metrics = args.metrics === undefined ? undefined : tcpOnly('metrics', String(args.metrics), true);
  if (args.pprof === true) log.warn('-pprof is accepted for fregie/mpx compatibility and ignored; use --metrics');
  return {
    log,
    key: resolveKey(args, env),
    transport,
    connectTimeoutMs,
    drainTimeoutMs: seconds('drain-timeout', args.drainTimeout, 5, 0),
    graceMs: args.grace === undefined ? undefined : parseDuration('grace', args.grace, SESSION_BOUNDS.graceMs),
    statsSeconds,
    metrics: metrics === undefined ? undefined : { host: metrics.host, port: metrics.port },
  };
}

function listenList(args: RawArgs): Address[] {
  const texts = list(args.listen)
    .flatMap((l) => l.split(','))
    .filter((l) => l.trim() !== '');
  if (texts.length === 0) throw optionError('--listen is required');
  return texts.map((t) => parseAddress(t, { listen: true }));
}

/** `--workers`: a count, or `auto` for one per core. */
export function parseWorkers(value: string | number | undefined): number {
  if (value === undefined) return 1;
  const text = String(value).trim();
  if (text === 'auto') return availableParallelism();
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 256) {
    throw new UsageError('MPX_TUNNEL_ERR_OPTION', `--workers must be an integer from 1 to 256 or "auto", got ${text}`);
  }
  return n;
}

export function serverConfig(common: CommonConfig, args: RawArgs): ServerConfig {
  const allow = new AllowList(list(args.allow).map(parseAllowRule));
  const hasTarget = args.target !== undefined && String(args.target) !== '';
  if (!hasTarget && allow.empty) throw optionError('--target is required (or --allow, for clients that name their targets: SOCKS5 / HTTP CONNECT)');
  const target = hasTarget ? tcpOnly('target', String(args.target), false) : undefined;
  return { ...common, listen: listenList(args), target, allow, limits: serverLimits(args), workers: parseWorkers(args.workers) };
}

export function clientConfig(common: CommonConfig, args: RawArgs): ClientConfig {
  const listens = list(args.listen);
  if (listens.length !== 1) throw optionError(`the client takes exactly one --listen host:port, got ${listens.length}`);
  const carriersBound = CLIENT_BOUNDS.carriersPerTarget;
  // As the user wrote it (a string from the command line or the environment, a number from a config file), shown back in the error.
  const given = String(args.carriers ?? carriersBound.default).trim();
  const carriers = wholeNumber(given);
  if (!inBounds(carriersBound, carriers)) {
    throw optionError(`-p (carriers per server address) must be an integer from ${carriersBound.min} to ${carriersBound.max}, got '${given}'`);
  }
  return {
    ...common,
    ...clientListen(listens[0] as string),
    servers: parseServerList(list(args.server)),
    carriersPerServer: carriers,
    maxCarrierAgeMs:
      args.maxCarrierAge === undefined
        ? CLIENT_BOUNDS.maxCarrierAgeMs.default
        : parseDuration('max-carrier-age', args.maxCarrierAge, CLIENT_BOUNDS.maxCarrierAgeMs),
    limits: sessionLimits(args),
  };
}

/** The client's --listen: `host:port`, or a proxy `socks5://[user:pass@]host:port` / `http://[user:pass@]host:port`. */
function clientListen(text: string): Pick<ClientConfig, 'listen' | 'proxy'> {
  const m = /^(socks5|http):\/\/(?:([^:@/]*):([^@/]*)@)?(.*)$/i.exec(text.trim());
  if (m === null) return { listen: tcpOnly('listen', text, true), proxy: undefined };
  const kind = (m[1] as string).toLowerCase() as ProxyKind;
  const credentials = m[2] === undefined ? undefined : { user: decodeURIComponent(m[2]), pass: decodeURIComponent(m[3] ?? '') };
  if (credentials !== undefined && credentials.user === '') throw optionError(`--listen '${text}': the user name is empty`);
  const rest = m[4] as string;
  if (rest.includes('/')) throw optionError(`--listen '${text}': a ${kind}:// listener takes no path`);
  return { listen: tcpOnly('listen', rest, true), proxy: { kind, credentials } };
}

export function relayConfig(common: CommonConfig, args: RawArgs): RelayConfig {
  if (args.to === undefined || String(args.to) === '') throw optionError('--to is required');
  return { ...common, listen: listenList(args), to: parseAddress(String(args.to)) };
}
