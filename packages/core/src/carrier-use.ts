// SPEC §3.2, §8: what a carrier is for. A client names, per carrier, whether
// it is a standby (`backup`) and which direction of data it carries; the HELLO
// flags tell the server, which sends the download data. Control frames (ACK,
// WINDOW, RESET, PING) use every carrier whatever it is for.
import { checkChoice } from './bounds.js';
import { HelloFlags, WireCode } from './constants.js';
import { MpxProtocolError, type MpxErrorCode } from './errors.js';

/** Every CarrierRole, the default first. */
export const CARRIER_ROLES = ['primary', 'backup'] as const;
/** Every CarrierDirection, the default first. */
export const CARRIER_DIRECTIONS = ['both', 'up', 'down'] as const;

/** `backup` carriers carry data only while no primary carrier is usable (SPEC §8). */
export type CarrierRole = (typeof CARRIER_ROLES)[number];
/** The data a carrier carries: `up` is client → server, `down` server → client (SPEC §8). */
export type CarrierDirection = (typeof CARRIER_DIRECTIONS)[number];

export interface CarrierUse {
  readonly role: CarrierRole;
  readonly direction: CarrierDirection;
}

export const DEFAULT_CARRIER_USE: CarrierUse = { role: 'primary', direction: 'both' };

/**
 * The use a caller asked for, defaults filled in, each value one of its
 * choices; else an MpxError naming `role${of}` or `direction${of}`:
 * MPX_ERR_INVALID_ARGUMENT for a call's argument, an MpxConfigError for an
 * option (`code` MPX_ERR_INVALID_CONFIG).
 */
export function checkCarrierUse(
  given: { readonly role?: unknown; readonly direction?: unknown },
  of = '',
  code: MpxErrorCode = 'MPX_ERR_INVALID_ARGUMENT',
): CarrierUse {
  return {
    role: checkChoice(given.role ?? DEFAULT_CARRIER_USE.role, CARRIER_ROLES, `role${of}`, code),
    direction: checkChoice(given.direction ?? DEFAULT_CARRIER_USE.direction, CARRIER_DIRECTIONS, `direction${of}`, code),
  };
}

/** SPEC §3.2: the HELLO flag bits for `use` (0 for a primary carrier of both directions). */
export function helloFlagsOf(use: Partial<CarrierUse>): number {
  let flags = use.role === 'backup' ? HelloFlags.BACKUP : 0;
  if (use.direction === 'up') flags |= HelloFlags.UP_ONLY;
  else if (use.direction === 'down') flags |= HelloFlags.DOWN_ONLY;
  return flags;
}

/** SPEC §3.2: the use the HELLO flag bits name; UP_ONLY with DOWN_ONLY is PROTOCOL. */
export function useOfHelloFlags(flags: number): CarrierUse {
  const up = (flags & HelloFlags.UP_ONLY) !== 0;
  const down = (flags & HelloFlags.DOWN_ONLY) !== 0;
  if (up && down) throw new MpxProtocolError(WireCode.PROTOCOL, 'HELLO: UP_ONLY and DOWN_ONLY both set');
  return { role: (flags & HelloFlags.BACKUP) !== 0 ? 'backup' : 'primary', direction: up ? 'up' : down ? 'down' : 'both' };
}

/** SPEC §8: whether a carrier of `direction` may carry DATA that the `sender` side sends. */
export function carriesDataFrom(direction: CarrierDirection, sender: 'client' | 'server'): boolean {
  return direction === 'both' || direction === (sender === 'client' ? 'up' : 'down');
}
