// yargs' "Unknown arguments: key-file, keyFile" as a user should read it:
// each flag once, spelled as typed (`--key-file`), and for the relay, why
// the session's flags are not its own.
import { plural } from './log.js';

/** Flags of the client and server that the relay refuses: it passes carriers through without reading them. */
const SESSION_FLAGS = new Set(['key', 'key-file', 'grace', 'stats', 'metrics']);

const camel = (name: string): string => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * Rewrites yargs' unknown-argument message (other messages pass unchanged):
 * a camelCase alias yargs adds for a kebab-case flag is dropped, flags get
 * their dashes, and the relay says why it takes no session flags.
 */
export function describeUnknownFlags(message: string, command: string | undefined, limitFlags: ReadonlySet<string>): string {
  const m = /^Unknown arguments?: (.+)$/.exec(message);
  if (m === undefined || m === null) return message;
  const names = (m[1] as string).split(', ');
  const kept = names.filter((n) => !names.some((other) => other !== n && other.includes('-') && camel(other) === n));
  const flags = kept.map((n) => (n.length === 1 ? `-${n}` : `--${n}`)).join(', ');
  const line = `unknown ${plural(kept.length, 'flag')} for ${command ?? 'mpx-tunnel'}: ${flags}`;
  if (command === 'relay' && kept.some((n) => SESSION_FLAGS.has(n) || limitFlags.has(n))) {
    return `${line}: the relay passes carriers through without reading them; the key, --grace, --stats, --metrics and the limit flags belong to the client and server`;
  }
  return line;
}

/** The command an argument list names (its first word that is not a flag), if it is one of ours. */
export function commandOf(argv: readonly string[]): 'server' | 'client' | 'relay' | undefined {
  const first = argv.find((a) => !a.startsWith('-'));
  return first === 'server' || first === 'client' || first === 'relay' ? first : undefined;
}
