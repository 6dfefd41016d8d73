// Which dial errors a client has logged at warn per server address, so that a
// failing address logs each cause once at warn and then at debug, also when
// causes alternate (a relay whose server is down answers "closed during the
// handshake", then "ECONNRESET", and again), until a carrier to it comes up;
// and the last cause of each address without a carrier, for the line that
// says connections still wait (waitingLine).

/** Distinct causes an address logs at warn; later ones go to debug. Rationale: bounded, as a cause may carry details that vary. */
export const MAX_DIAL_CAUSES = 8;

export class DialCauses {
  readonly #byLabel = new Map<string, Set<string>>();
  readonly #last = new Map<string, string>();

  /** Whether `why` is new for `label` (log it at warn); records it. */
  first(label: string, why: string): boolean {
    this.#last.set(label, why);
    let causes = this.#byLabel.get(label);
    if (causes === undefined) {
      causes = new Set();
      this.#byLabel.set(label, causes);
    }
    if (causes.has(why) || causes.size >= MAX_DIAL_CAUSES) return false;
    causes.add(why);
    return true;
  }

  /** A carrier to `label` came up: its causes may be logged at warn again. */
  forget(label: string): void {
    this.#byLabel.delete(label);
    this.#last.delete(label);
  }

  /** The last cause of each address whose dials failed since its last carrier came up. */
  latest(): ReadonlyMap<string, string> {
    return this.#last;
  }
}

/** How often a client that has no carrier says that connections still wait. */
export const WAITING_NOTE_MS = 10_000;

/**
 * The line a client logs every WAITING_NOTE_MS while no carrier is up and
 * `streams` connections wait for one, so that "still trying" is told from
 * "hung": dial failures log each cause once, then nothing.
 */
export function waitingLine(streams: number, graceMs: number, causes: ReadonlyMap<string, string>): string {
  const tried = [...causes].map(([label, why]) => `${label} (${why})`).join(', ');
  const connections = streams === 1 ? '1 connection waits' : `${streams} connections wait`;
  return `no carrier is up: ${connections} for one, up to --grace (${graceMs / 1000} s) from the loss of the last; still dialling${tried === '' ? '' : ` ${tried}`}`;
}
