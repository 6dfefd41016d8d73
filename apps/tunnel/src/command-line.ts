// mpx-tunnel's command line (yargs wiring only), run by cli.ts. Commands live in
// server-command.ts, client-command.ts and relay-command.ts; flags become
// checked settings in config.ts; fregie/mpx spellings are mapped in compat.ts.
// Exit codes: 0 normal end (also after SIGINT/SIGTERM), 1 runtime failure, 2 usage error.
import { CLIENT_BOUNDS, SESSION_BOUNDS, WEIGHT_BOUND } from '@mpx/core';
import { DEFAULT_MAX_MESSAGE_SIZE, MESSAGE_SIZE_RANGE } from '@mpx/transport-ws/message-size';
import type { Argv } from 'yargs';
import { normalizeArgv } from './compat.js';
import { clientConfig, commonConfig, relayConfig, serverConfig, type CommonConfig, type RawArgs } from './config.js';
import { ExitCode, UsageError } from './errors.js';
import { setHeapGrowth } from './heap-growth.js';
import { setInliningBudget } from './inlining-budget.js';
import { formatBytes } from './units.js';
import { version } from './version.js';
import { LIMIT_DEFAULTS_TEXT, SERVER_LIMIT_FLAGS, SESSION_LIMIT_FLAGS, flagName, helpText, type LimitFlag } from './limits.js';
import { LOG_LEVELS, describeError, describeStartError, type Logger } from './log.js';
import { workerIndex } from './workers.js';
import { hideBin, loadYargs } from './yargs-lazy.js';
import { exitOnSignals, ignoreHangup, type RunningCommand } from './shutdown.js';
import { capYoungGeneration } from './young-generation.js';
import { commandOf, describeUnknownFlags } from './unknown-flags.js';

type Command = 'server' | 'client' | 'relay';

const EXAMPLES: Array<[string, string]> = [
  [
    '$0 server --listen 0.0.0.0:5512 --target 127.0.0.1:8488 --key-file /etc/mpx.key',
    'server: carriers in on TCP 5512, streams out to 127.0.0.1:8488',
  ],
  [
    '$0 client --listen 127.0.0.1:5513 --server "a.example:5512|1,b.example:6666|2" -p 4 --key-file mpx.key',
    'client: 4 carriers over each of two paths to one server (b: its relay or second IP), b takes twice the share',
  ],
  ['$0 -listen 0.0.0.0:5512 -target 127.0.0.1:8488', 'fregie/mpx spelling (also LISTEN_ADDR, TARGET_ADDR, SERVER_ADDR)'],
  ['$0 -listen 0.0.0.0:5513 -server "a:5512|1,b:6666|2" -p 4', 'fregie/mpx spelling, client'],
  ['$0 server --listen ws://127.0.0.1:8080/mpx --target 127.0.0.1:8488', 'server behind a CDN / reverse proxy that forwards WebSocket /mpx to 8080'],
  ['$0 server --workers auto --listen 0.0.0.0:5512 --target 127.0.0.1:8488', 'server on every core: each session lives on one worker process'],
  [
    '$0 client --listen 127.0.0.1:5513 --server wss://203.0.113.7/mpx --ws-host tunnel.example.com',
    'WebSocket over a CDN: dial its IP, ask for the virtual host',
  ],
  ['$0 server --listen tls://0.0.0.0:443 --tls-cert cert.pem --tls-key key.pem --target 127.0.0.1:8488', 'TLS carriers'],
  ['$0 client --listen 127.0.0.1:5513 --server "tls://vpn.example.com:443,tcp://198.51.100.2:5512|2"', 'mixed TLS and TCP carriers'],
  ['$0 relay --listen 0.0.0.0:6666 --to 10.0.0.1:5512', 'on a second host/IP: forward carriers to the real server (replaces the iptables recipe)'],
  ['$0 server --config /etc/mpx/server.json --log-level warn', 'every flag from a JSON file (see "Config file" below); flags given here win'],
];

/** Shown under --help: a config file is the long flag names as keys. */
const CONFIG_EXAMPLE = `Config file (--config FILE): a JSON object with any flag by its long name; command-line flags override it, and it is checked like flags (exit code 2). Paths in it are relative to the working directory. Example for a server:
  {
    "listen": ["0.0.0.0:5512", "ws://0.0.0.0:8080/mpx"],
    "target": "127.0.0.1:8488",
    "key-file": "/etc/mpx/key",
    "metrics": "127.0.0.1:9090",
    "max-sessions": "64"
  }`;

/** The end of every --help page (main and per command). */
const EPILOGUE = `${CONFIG_EXAMPLE}\n\nEnvironment: MPX_KEY (pre-shared key); fregie/mpx style without a command: LISTEN_ADDR, TARGET_ADDR, SERVER_ADDR, CONCURRENT_NUM.\nExit codes: 0 done (also after SIGINT/SIGTERM), 1 runtime failure, 2 bad flags or addresses.`;

/** The flags of every command: carriers (TLS, WebSocket), timeouts, logging. */
function commonOptions(y: Argv): Argv {
  return y
    .epilogue(EPILOGUE)
    .config(
      'config',
      'JSON file with any of these flags by their long names, e.g. {"listen": ["0.0.0.0:5512"], "key-file": "/etc/mpx.key"}; flags given on the command line win',
    )
    .option('tls-cert', {
      type: 'string',
      describe: 'PEM certificate: tls:// and wss:// listeners (client: client certificate)',
      group: 'TLS and WebSocket:',
    })
    .option('tls-key', { type: 'string', describe: 'PEM private key for --tls-cert', group: 'TLS and WebSocket:' })
    .option('tls-ca', {
      type: 'string',
      describe: 'PEM CA: client trusts it; server requires client certificates from it',
      group: 'TLS and WebSocket:',
    })
    .option('insecure', {
      type: 'boolean',
      describe: 'client, relay: accept any server certificate (self-signed tests only)',
      group: 'TLS and WebSocket:',
    })
    .option('sni', { type: 'string', describe: 'client, relay: TLS server name (default: --ws-host, else the host)', group: 'TLS and WebSocket:' })
    .option('ws-host', {
      type: 'string',
      describe: 'client, relay: Host header for ws:// and wss:// (CDN virtual host)',
      group: 'TLS and WebSocket:',
    })
    .option('header', {
      type: 'string',
      array: true,
      describe: 'client, relay: extra WebSocket request header "Name: value" (repeatable); User-Agent is mpx-tunnel/<version> unless given here',
      group: 'TLS and WebSocket:',
    })
    .option('ws-max-message', {
      type: 'string',
      requiresArg: true,
      describe: `largest WebSocket message this end sends on ws:// and wss:// carriers, ${formatBytes(MESSAGE_SIZE_RANGE.min)} to ${formatBytes(MESSAGE_SIZE_RANGE.max)}: set it on both ends below the limit of a proxy that closes larger messages (1009)`,
      defaultDescription: formatBytes(DEFAULT_MAX_MESSAGE_SIZE),
      group: 'TLS and WebSocket:',
    })
    .option('connect-timeout', {
      type: 'string',
      default: '10',
      defaultDescription: '10s',
      describe: 'time to connect a carrier (client, relay) or the target (server), e.g. 10, 2.5s, 500ms',
    })
    .option('drain-timeout', {
      type: 'string',
      default: '5',
      defaultDescription: '5s',
      describe: 'time open connections get to finish after SIGINT/SIGTERM',
    })
    .option('log-level', { choices: LOG_LEVELS as unknown as string[], describe: 'log level (default info)', group: 'Observability:' })
    .option('verbose', { alias: 'v', type: 'count', describe: '-v debug (streams), -vv trace', group: 'Observability:' })
    .option('pprof', { type: 'boolean', hidden: true });
}

/**
 * The flags of the commands that hold sessions (server, client): the key,
 * the session's grace, stats and metrics. The relay does not look inside
 * carriers (the key is checked end to end), so it takes none of them: yargs
 * refuses them as unknown, as it does the limit flags.
 */
function sessionOptions(y: Argv): Argv {
  return y
    .option('key', { type: 'string', describe: 'pre-shared key; every carrier must prove it (default: $MPX_KEY)', group: 'Authentication:' })
    .option('key-file', {
      type: 'string',
      describe: 'read the pre-shared key from this regular file (at most 4 KiB; a trailing newline is dropped)',
      group: 'Authentication:',
    })
    .conflicts('key', 'key-file')
    .option('grace', {
      type: 'string',
      defaultDescription: `${SESSION_BOUNDS.graceMs.default / 1000}s`,
      describe: 'how long a session (and its open connections) outlives the loss of every carrier',
    })
    .option('stats', {
      type: 'string',
      describe: 'log per-carrier throughput, RTT, weight and retransmissions every N seconds',
      group: 'Observability:',
    })
    .option('metrics', {
      type: 'string',
      describe:
        'serve Prometheus metrics at http://host:port/metrics and a live page of sessions and carriers at http://host:port/ (keep it on loopback or behind a firewall)',
      group: 'Observability:',
    });
}

/** Every limit flag's name, for the relay's refusal of them (unknown-flags.ts). */
const LIMIT_FLAG_NAMES: ReadonlySet<string> = new Set([...SESSION_LIMIT_FLAGS, ...SERVER_LIMIT_FLAGS].map(flagName));

const LIMITS = 'Limits (sizes: 65536, 64KiB, 8MiB; times: 10, 2.5s, 500ms):';

/** The limit flags (limits.ts): ranges and defaults from the core's bounds. */
function limitOptions(y: Argv, flags: readonly LimitFlag[]): Argv {
  return flags.reduce(
    (acc, flag) =>
      acc.option(flagName(flag), {
        type: 'string',
        requiresArg: true,
        describe: helpText(flag),
        defaultDescription: LIMIT_DEFAULTS_TEXT[flag.arg],
        group: LIMITS,
      }),
    y,
  );
}

/** Limits of a session, on both ends of the tunnel (SPEC §12). */
function sessionLimitOptions(y: Argv): Argv {
  return limitOptions(y, SESSION_LIMIT_FLAGS);
}

/** What a server allows its clients. */
function serverLimitOptions(y: Argv): Argv {
  return limitOptions(sessionLimitOptions(y), SERVER_LIMIT_FLAGS);
}

/**
 * Thrown by a command's handler to leave yargs once the command is chosen and its flags checked: after a handler
 * returns, yargs renders the command's whole help text to cache it, which would load the help renderer
 * (yargs-lazy.ts) in every run (docs/decisions/0007-start-up-code.md).
 */
class CommandChosen extends Error {}

interface Selected {
  command: Command;
  args: RawArgs;
}

async function parse(argv: string[]): Promise<Selected | undefined> {
  let selected: Selected | undefined;
  const select =
    (command: Command) =>
    (args: unknown): void => {
      selected = { command, args: args as RawArgs };
      throw new CommandChosen(command);
    };
  const yargs = await loadYargs();
  let parser = yargs(argv)
    .scriptName('mpx-tunnel')
    .usage(
      '$0 <command> [options]\n\nmpx-tunnel carries many TCP connections over a pool of TCP, TLS and WebSocket carriers to one or more servers.\n\n<addr>: host:port | tcp://host:port | tls://host:port | ws://host[:port]/path | wss://host[:port]/path ([::1]:port for IPv6)',
    )
    .command(
      'server',
      'accept carriers on --listen, forward every stream to --target (or where the client asks, within --allow)',
      (y) =>
        serverLimitOptions(sessionOptions(commonOptions(y)))
          .option('listen', {
            type: 'string',
            array: true,
            demandOption: true,
            describe: '<addr> to accept carriers on (repeatable, schemes may be mixed)',
          })
          .option('target', { type: 'string', describe: 'host:port each plain stream is forwarded to (required unless --allow is given)' })
          .option('allow', {
            type: 'string',
            array: true,
            describe:
              "where streams from a client's socks5:// or http:// listener may go, repeatable: 10.0.0.0/8:443, [::1]:22, example.com:*, *.example.com:80-89, *:443 (default: nowhere)",
          })
          .option('workers', {
            type: 'string',
            default: '1',
            describe:
              'processes that run sessions, N or "auto" (one per core); the first process routes each carrier to the worker of its session (tcp:// and ws:// listeners)',
          }),
      select('server'),
    )
    .command(
      'client',
      'accept TCP on --listen, carry each connection to the servers',
      (y) =>
        sessionLimitOptions(sessionOptions(commonOptions(y)))
          .option('listen', {
            type: 'string',
            demandOption: true,
            describe:
              "host:port to accept local TCP connections on (each goes to the server's --target); socks5://host:port or http://host:port for a SOCKS5 / HTTP CONNECT proxy whose connections name their target (server --allow), optionally with user:pass@",
          })
          .option('server', {
            alias: 's',
            type: 'string',
            array: true,
            demandOption: true,
            describe: `"<addr>|<weight>|<option>,..." options: from=<local ip>, backup, up, down (weight ${WEIGHT_BOUND.min}–${WEIGHT_BOUND.max}, default ${WEIGHT_BOUND.default})`,
          })
          .option('carriers', {
            alias: 'p',
            // A string, checked in config.ts: yargs turns `-p abc` into NaN, and the error could not show what was given.
            type: 'string',
            default: CLIENT_BOUNDS.carriersPerTarget.default,
            describe: 'carriers kept to each server address',
          })
          .option('max-carrier-age', {
            type: 'string',
            default: '0',
            defaultDescription: '0 (never)',
            describe: 'replace carriers older than this, new one first (0 = never)',
          }),
      select('client'),
    )
    .command(
      'relay',
      'forward carriers from --listen to --to byte for byte (second IP / port)',
      (y) =>
        commonOptions(y)
          .option('listen', { type: 'string', array: true, demandOption: true, describe: '<addr> to accept carriers on (repeatable)' })
          .option('to', { type: 'string', demandOption: true, describe: '<addr> of the real server' }),
      select('relay'),
    )
    .demandCommand(1, 'choose a command: server, client or relay')
    .recommendCommands()
    .strict()
    .fail((msg: string | null, err: Error | undefined) => {
      if (err instanceof UsageError) throw err;
      // yargs spreads some messages over lines ("Invalid values:\n  Argument: ..."): keep one line.
      const message = (msg ?? err?.message ?? 'invalid arguments').replace(/:?\s*\n\s*/g, ': ');
      throw new UsageError('MPX_TUNNEL_ERR_USAGE', describeUnknownFlags(message, commandOf(argv), LIMIT_FLAG_NAMES));
    })
    .exitProcess(false)
    .help()
    .alias('help', 'h')
    .version(version())
    .wrap(Math.min(120, process.stdout.columns ?? 120))
    .epilogue(EPILOGUE);
  for (const [command, description] of EXAMPLES) parser = parser.example(command, description);
  try {
    await parser.parseAsync();
  } catch (err) {
    if (!(err instanceof CommandChosen)) throw err;
  }
  return selected;
}

async function start(selected: Selected, common: CommonConfig, legacyNote: string | undefined): Promise<RunningCommand> {
  const { log } = common;
  switch (selected.command) {
    case 'server': {
      const config = serverConfig(common, selected.args);
      if (legacyNote !== undefined) log.info(legacyNote);
      const { runServer } = await import('./server-command.js');
      return runServer(config);
    }
    case 'client': {
      const config = clientConfig(common, selected.args);
      if (legacyNote !== undefined) log.info(legacyNote);
      const { runClient } = await import('./client-command.js');
      return runClient(config);
    }
    case 'relay': {
      const config = relayConfig(common, selected.args);
      const { runRelay } = await import('./relay-command.js');
      return runRelay(config);
    }
    default: {
      const never: never = selected.command;
      throw new Error(`unknown command ${String(never)}`);
    }
  }
}

/** Logs at debug what a V8 setting the process makes for itself came to: the flag set, or the operator's own. */
function logV8Setting(logger: Logger, setting: string, flag: string | undefined): void {
  logger.debug(flag === undefined ? `V8 ${setting}: as set on node's command line` : `V8 ${setting}: ${flag}`);
}

/** Parses the command line and runs the command until a signal stops it; exits with 2 on a usage error, 1 on a failure to start. */
export async function main(): Promise<void> {
  // A reader that went away (EPIPE) must not crash or spin the tunnel: logging simply stops.
  process.stdout.on('error', () => {});
  const normalized = normalizeArgv(hideBin(process.argv), process.env);
  const legacyNote =
    normalized.legacy === undefined
      ? undefined
      : `fregie/mpx-style ${normalized.legacy.fromEnv ? 'environment' : 'arguments'}: running as ${normalized.legacy.mode}` +
        (normalized.legacy.ignored.length === 0 ? '' : ` (${normalized.legacy.ignored.join(', ')} ignored: not a ${normalized.legacy.mode} flag)`);
  let log: Logger | undefined;
  try {
    const selected = await parse(normalized.argv);
    if (selected === undefined) return; // --help or --version was printed
    const common = commonConfig(selected.args, process.env);
    const logger = common.log;
    // Before any traffic: keeps V8 out of a Mark-Compact loop (heap-growth.ts).
    logV8Setting(logger, 'heap growth', setHeapGrowth());
    // Before any traffic: less for TurboFan to compile in a fresh tunnel's first work (inlining-budget.ts).
    logV8Setting(logger, 'inlining budget', setInliningBudget());
    log = logger;
    ignoreHangup(logger);
    const running = await start(selected, common, legacyNote);
    // Start-up is over: traffic may grow the young generation, to a cap (young-generation.ts).
    capYoungGeneration();
    process.on('uncaughtException', (err) => logger.error(`unexpected error (kept running): ${describeError(err)}`));
    process.on('unhandledRejection', (err) => logger.error(`unexpected rejection (kept running): ${describeError(err)}`));
    // A --workers worker stops when its primary tells it (SIGTERM), not on the terminal's SIGINT to the whole group.
    if (workerIndex() !== undefined) process.on('SIGINT', () => {});
    exitOnSignals(() => running.stop(), logger, workerIndex() === undefined ? ['SIGINT', 'SIGTERM'] : ['SIGTERM']);
  } catch (err) {
    if (err instanceof UsageError) {
      const command = commandOf(normalized.argv);
      process.stderr.write(`mpx-tunnel: ${err.message} (see mpx-tunnel${command === undefined ? '' : ` ${command}`} --help)\n`);
      process.exit(ExitCode.USAGE);
    }
    const line = `cannot start: ${describeStartError(err)}`;
    if (log !== undefined) log.error(line);
    else process.stderr.write(`mpx-tunnel: ${line}\n`);
    process.exit(ExitCode.FAILURE);
  }
}
