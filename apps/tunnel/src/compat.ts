// fregie/mpx compatibility. Its mpx-tunnel used Go's flag package and no
// subcommands:
//
//   mpx-tunnel -listen 0.0.0.0:5512 -target 127.0.0.1:8488          server
//   mpx-tunnel -listen 0.0.0.0:5513 -server "a:5512|1,b:6666|2" -p 4  client
//
// (Go also accepts --flag and -flag=value.) Its Docker image runs
// `/mpx -listen=$LISTEN_ADDR -server=$SERVER_ADDR -target=$TARGET_ADDR -p=$CONCURRENT_NUM`,
// so empty values mean "not set", -server wins over -target, and a server
// ignores -p. normalizeArgv() turns all of that into this CLI's form before
// yargs sees it; without arguments it reads those environment variables.
import type { Env } from './config.js';

export const COMMANDS: ReadonlySet<string> = new Set(['server', 'client', 'relay']);

/** fregie/mpx's default -listen. */
export const LEGACY_DEFAULT_LISTEN = '0.0.0.0:5513';

/** Flags that take a value, long names and short aliases (after the rewrite below). */
const TAKES_VALUE: ReadonlySet<string> = new Set([
  'listen',
  'target',
  'server',
  's',
  'carriers',
  'p',
  'to',
  'key',
  'key-file',
  'tls-cert',
  'tls-key',
  'tls-ca',
  'sni',
  'ws-host',
  'header',
  'ws-max-message',
  'connect-timeout',
  'drain-timeout',
  'max-carrier-age',
  'grace',
  'stats',
  'metrics',
  'log-level',
  'max-sessions',
  'max-carriers-per-session',
  'max-streams',
  'max-pending-handshakes',
  'handshake-timeout',
  'max-frame',
  'session-window',
  'stream-window',
  'stream-idle-timeout',
  'ping-interval',
  'dead-after',
  'workers',
]);

interface Item {
  /** Flag name without dashes, or undefined for a positional. */
  readonly name: string | undefined;
  readonly value: string | undefined;
  readonly tokens: readonly string[];
}

/** Go-style single-dash long flags → this CLI's spelling. */
function rewrite(token: string): string[] {
  const m = /^--?(listen|target|server|pprof|p|v)(?:=(.*))?$/.exec(token);
  if (m === null) return [token];
  const [, name, value] = m as unknown as [string, string, string | undefined];
  switch (name) {
    case 'p':
      return value === undefined ? ['--carriers'] : [`--carriers=${value}`];
    case 'v':
      return value === 'false' ? [] : ['-v'];
    case 'pprof':
      return value === 'false' ? [] : ['--pprof'];
    default:
      return [value === undefined ? `--${name}` : `--${name}=${value}`];
  }
}

function scan(tokens: readonly string[]): Item[] {
  const items: Item[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as string;
    if (token === '--') {
      items.push({ name: undefined, value: undefined, tokens: tokens.slice(i) });
      break;
    }
    const m = /^--?([A-Za-z][\w-]*)(?:=(.*))?$/s.exec(token);
    if (m === null) {
      items.push({ name: undefined, value: undefined, tokens: [token] });
      continue;
    }
    const name = m[1] as string;
    if (m[2] !== undefined) {
      items.push({ name, value: m[2], tokens: [token] });
    } else if (TAKES_VALUE.has(name) && i + 1 < tokens.length) {
      items.push({ name, value: tokens[i + 1], tokens: [token, tokens[i + 1] as string] });
      i++;
    } else {
      items.push({ name, value: undefined, tokens: [token] });
    }
  }
  return items;
}

export interface Normalized {
  readonly argv: string[];
  /** Set when fregie/mpx-style arguments (or its environment variables) chose the mode. */
  /** `ignored`: flags given that the mode does not take (fregie/mpx ignores them too), for the log line. */
  readonly legacy?: { readonly mode: 'server' | 'client'; readonly fromEnv: boolean; readonly ignored: readonly string[] };
}

/**
 * Rewrites fregie/mpx-style arguments into `server …` or `client …`.
 * Arguments that start with a subcommand (or ask for help) only get the
 * single-dash long flags rewritten.
 */
export function normalizeArgv(argv: readonly string[], env: Env): Normalized {
  const tokens = argv.flatMap(rewrite);
  const first = tokens[0];
  if (first !== undefined && (COMMANDS.has(first) || !first.startsWith('-'))) return { argv: tokens };
  const items = scan(tokens);
  const names = new Set(items.map((item) => item.name));
  if (names.has('help') || names.has('h') || names.has('version')) return { argv: tokens };

  const valueOf = (...flags: string[]): string | undefined => {
    const item = items.find((it) => it.name !== undefined && flags.includes(it.name) && it.value !== undefined && it.value !== '');
    return item?.value;
  };
  const inArgs = { server: valueOf('server', 's'), target: valueOf('target'), listen: valueOf('listen'), carriers: valueOf('carriers', 'p') };
  const fromEnv = inArgs.server === undefined && inArgs.target === undefined;
  const server = inArgs.server ?? (fromEnv ? nonEmpty(env['SERVER_ADDR']) : undefined);
  const target = inArgs.target ?? (fromEnv ? nonEmpty(env['TARGET_ADDR']) : undefined);
  const mode = server !== undefined ? 'client' : target !== undefined ? 'server' : undefined;
  if (mode === undefined) return { argv: tokens };

  // Keep everything except the flags this mode does not take and empty values.
  const drop = new Set(mode === 'client' ? ['target'] : ['server', 's', 'carriers', 'p']);
  const ignored = [
    ...new Set(
      items
        .filter((it) => it.name !== undefined && drop.has(it.name) && it.value !== undefined && it.value !== '')
        .map((it) => (it.name === 'carriers' ? '-p' : `-${it.name as string}`)),
    ),
  ];
  const kept = items.filter((it) => {
    if (it.name === undefined) return true;
    if (drop.has(it.name)) return false;
    return !(TAKES_VALUE.has(it.name) && it.value === '');
  });
  const out = ['client' === mode ? 'client' : 'server', ...kept.flatMap((it) => it.tokens)];
  if (inArgs.listen === undefined) out.push('--listen', nonEmpty(env['LISTEN_ADDR']) ?? LEGACY_DEFAULT_LISTEN);
  if (mode === 'client') {
    if (inArgs.server === undefined) out.push('--server', server as string);
    const concurrent = nonEmpty(env['CONCURRENT_NUM']);
    if (inArgs.carriers === undefined && concurrent !== undefined) out.push('--carriers', concurrent);
  } else if (inArgs.target === undefined) {
    out.push('--target', target as string);
  }
  return { argv: out, legacy: { mode, fromEnv, ignored } };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}
