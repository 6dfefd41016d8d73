// One --server entry: `<addr>[|<weight>][|from=<ip>][|backup][|up|down]`.
// The options after the address come in any order, each at most once:
//
//   <weight>      1–65535, default 1 (fregie/mpx spelling `addr|weight`)
//   from=<ip>     dial this entry's carriers from a local address (the egress
//                 interface: two ISPs, Wi-Fi + LTE); IPv6 in brackets or bare
//   backup        standby carriers: kept open and pinged, they carry data only
//                 while no primary carrier is usable (SPEC §8)
//   up | down     these carriers carry data of one direction only: `up` is
//                 client → server, `down` server → client (SPEC §8); ACKs and
//                 control frames still use them both ways
//
// Every error names the entry and the option (MPX_TUNNEL_ERR_SERVER_OPTION),
// or the weight (MPX_TUNNEL_ERR_WEIGHT) or address (MPX_TUNNEL_ERR_ADDRESS).
import * as net from 'node:net';
import { isIP } from 'node:net';
import { formatAddress, parseAddress, parseWeight, type ParseOptions, type WeightedAddress } from './address.js';
import { UsageError } from './errors.js';

/** SPEC §3.2, §8: primary carriers carry data; backup ones only while no primary is usable. */
export type CarrierRole = 'primary' | 'backup';
/** SPEC §3.2, §8: which direction of data an entry's carriers carry (`up`: client → server). */
export type CarrierDirection = 'both' | 'up' | 'down';

export interface ServerEntry extends WeightedAddress {
  /** Local address the carriers leave from; undefined: the OS's choice. */
  readonly from: string | undefined;
  readonly role: CarrierRole;
  readonly direction: CarrierDirection;
}

/** Parses one --server entry (see the top of this file). */
export function parseServerEntry(text: string, options: ParseOptions = {}): ServerEntry {
  const [addressText = '', ...rest] = text.split('|');
  const address = parseAddress(addressText, options);
  let weight: number | undefined;
  let from: string | undefined;
  let role: CarrierRole | undefined;
  let direction: CarrierDirection | undefined;
  const entry = text.trim();
  function bad(option: string, why: string): never {
    throw new UsageError('MPX_TUNNEL_ERR_SERVER_OPTION', `--server entry '${entry}': option '${option}' ${why}`);
  }
  for (const raw of rest) {
    const option = raw.trim();
    if (/^\d+$/.test(option) || /^[+-]?\d/.test(option)) {
      if (weight !== undefined) bad(option, 'is a second weight');
      weight = parseWeight(option, text);
    } else if (option.toLowerCase().startsWith('from=')) {
      if (from !== undefined) bad(option, 'repeats from=');
      from = parseFrom(option.slice(5), (why) => bad(option, why));
    } else if (option === 'backup') {
      if (role !== undefined) bad(option, 'is given twice');
      role = 'backup';
    } else if (option === 'up' || option === 'down') {
      if (direction !== undefined) bad(option, `conflicts with '${direction}' (an entry carries one direction or both)`);
      direction = option;
    } else if (option === '') {
      bad(option, "is empty (a stray '|')");
    } else {
      bad(option, 'is unknown (use a weight 1–65535, from=<local ip>, backup, up or down)');
    }
  }
  return { ...address, weight: weight ?? 1, from, role: role ?? 'primary', direction: direction ?? 'both' };
}

function parseFrom(value: string, bad: (why: string) => never): string {
  const ip = value.startsWith('[') && value.endsWith(']') ? value.slice(1, -1) : value;
  if (ip === '') bad('needs a local IP address (from=192.168.1.10, from=[2001:db8::7])');
  if (isIP(ip) === 0) bad(`needs an IP address of this host, not '${value}'`);
  return ip;
}

/** Short description for logs: "weight 2, from 10.0.0.7, backup, up only". */
export function describeEntry(entry: ServerEntry): string {
  const parts = [`weight ${entry.weight}`];
  if (entry.from !== undefined) parts.push(`from ${entry.from}`);
  if (entry.role === 'backup') parts.push('backup');
  if (entry.direction !== 'both') parts.push(`${entry.direction} only`);
  return parts.join(', ');
}

/**
 * Checks that this host has every `from=` address, by binding a listener to
 * it: an address it does not have is a UsageError at start (exit code 2).
 * (One that disappears later only makes those carriers fail and redial.)
 */
export async function checkLocalAddresses(entries: readonly ServerEntry[]): Promise<void> {
  for (const entry of entries) {
    const from = entry.from;
    if (from === undefined) continue;
    // An IP literal of the other family can never be dialled from it (the dial fails with EINVAL at every retry).
    const family = isIP(entry.host);
    if (family !== 0 && family !== isIP(from)) {
      throw new UsageError(
        'MPX_TUNNEL_ERR_SERVER_OPTION',
        `--server entry '${formatEntry(entry)}': option 'from=${from}' is an IPv${isIP(from)} address, and ${entry.host} is IPv${family}`,
      );
    }
    const problem = await new Promise<string | undefined>((resolve) => {
      const probe = net.createServer();
      probe.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
      probe.listen({ host: from, port: 0, exclusive: true }, () => probe.close(() => resolve(undefined)));
    });
    if (problem !== undefined) {
      throw new UsageError(
        'MPX_TUNNEL_ERR_SERVER_OPTION',
        `--server entry '${formatEntry(entry)}': option 'from=${from}' names an address this host does not have (${problem})`,
      );
    }
  }
}

/**
 * SPEC §8: the entries together must carry both directions of data. With
 * only `down` entries a connection's first bytes could never reach the
 * server, with only `up` ones no answer could come back: every connection
 * would wait for as long as the session lives.
 */
export function checkDirections(entries: readonly ServerEntry[]): void {
  for (const [direction, other] of [
    ['up', 'down'],
    ['down', 'up'],
  ] as const) {
    if (entries.length > 0 && entries.every((entry) => entry.direction === other)) {
      throw new UsageError(
        'MPX_TUNNEL_ERR_SERVER_OPTION',
        `every --server entry is '${other}': no carrier could carry data ${direction === 'up' ? 'to the server' : 'back from the server'} (add an entry without '${other}')`,
      );
    }
  }
}

/** The entry as it could be written back on the command line. */
export function formatEntry(entry: ServerEntry): string {
  const parts = [formatAddress(entry), String(entry.weight)];
  if (entry.from !== undefined) parts.push(`from=${entry.from}`);
  if (entry.role === 'backup') parts.push('backup');
  if (entry.direction !== 'both') parts.push(entry.direction);
  return parts.join('|');
}

/** The label of an entry's carriers in logs, stats and metrics: its address, and where it leaves from. */
export function entryLabel(entry: ServerEntry): string {
  return entry.from === undefined ? formatAddress(entry) : `${formatAddress(entry)} from ${entry.from}`;
}
