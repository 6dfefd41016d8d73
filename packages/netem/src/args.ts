// Command-line parsing for mpx-netem (node:util parseArgs; no dependencies).

import { parseArgs } from 'node:util';
import { NetemArgError } from './errors.js';
import type { PathOptions } from './path.js';
import { parseDuration, parseRate } from './units.js';

export const USAGE = `usage: mpx-netem --target HOST:PORT [--listen [HOST:]PORT] [--rate RATE] [--path-rate RATE]
                 [--delay DURATION] [--jitter DURATION [--jitter-every DURATION]]
                 [--setup-delay DURATION] [--stats DURATION]
  --listen       address to listen on (default 127.0.0.1:0, an ephemeral port)
  --target       address each accepted connection is forwarded to
  --rate         cap per connection and direction, e.g. 20mbit, 2.5MB, 512KiB
  --path-rate    cap shared by all connections, per direction
  --delay        one-way delay each way, e.g. 20ms
  --jitter       extra one-way delay drawn in [0, DURATION] each way, bytes kept in order
  --jitter-every how long one draw of the jitter holds (default 10ms)
  --setup-delay  delay before each new connection is connected upstream
  --stats        print stats every DURATION (e.g. 1s)`;

export interface CliOptions {
  help: boolean;
  path: PathOptions;
  statsIntervalMs: number | undefined;
}

/** Parses "host:port", "[v6]:port" or (when `portOnly` allowed) "port". */
export function parseHostPort(flag: string, text: string, defaultHost?: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d+)$/.exec(text);
  let host: string | undefined;
  let portText: string | undefined;
  if (m) {
    host = m[1] ?? m[2];
    portText = m[3];
  } else if (defaultHost !== undefined && /^\d+$/.test(text)) {
    host = defaultHost;
    portText = text;
  }
  const port = Number(portText);
  if (host === undefined || !Number.isInteger(port) || port > 65535) {
    throw new NetemArgError(`bad --${flag} "${text}": expected HOST:PORT`);
  }
  return { host, port };
}

export function parseCliArgs(argv: string[]): CliOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        listen: { type: 'string' },
        target: { type: 'string' },
        rate: { type: 'string' },
        'path-rate': { type: 'string' },
        delay: { type: 'string' },
        jitter: { type: 'string' },
        'jitter-every': { type: 'string' },
        'setup-delay': { type: 'string' },
        stats: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new NetemArgError((err as Error).message);
  }
  if (values.help) return { help: true, path: { target: { host: '127.0.0.1', port: 1 } }, statsIntervalMs: undefined };
  if (values.target === undefined) throw new NetemArgError('missing --target HOST:PORT');
  const target = parseHostPort('target', values.target);
  if (target.port === 0) throw new NetemArgError(`bad --target "${values.target}": port must be 1..65535`);
  const path: PathOptions = { target };
  if (values.listen !== undefined) {
    const l = parseHostPort('listen', values.listen, '127.0.0.1');
    path.listenHost = l.host;
    path.listenPort = l.port;
  }
  if (values.rate !== undefined) path.perConnectionRate = parseRate(values.rate);
  if (values['path-rate'] !== undefined) path.pathRate = parseRate(values['path-rate']);
  if (values.delay !== undefined) path.delayMs = parseDuration(values.delay);
  if (values.jitter !== undefined) {
    path.jitter = { ms: parseDuration(values.jitter) };
    if (values['jitter-every'] !== undefined) {
      const every = parseDuration(values['jitter-every']);
      if (every <= 0) throw new NetemArgError('bad --jitter-every: must be greater than 0');
      path.jitter.everyMs = every;
    }
  } else if (values['jitter-every'] !== undefined) throw new NetemArgError('--jitter-every needs --jitter');
  if (values['setup-delay'] !== undefined) path.setupDelayMs = parseDuration(values['setup-delay']);
  let statsIntervalMs: number | undefined;
  if (values.stats !== undefined) {
    statsIntervalMs = parseDuration(values.stats);
    if (statsIntervalMs <= 0) throw new NetemArgError('bad --stats: must be greater than 0');
  }
  return { help: false, path, statsIntervalMs };
}
