// Which dial errors a client has logged at warn per server address, so that a
// failing address logs each cause once at warn and then at debug, also when
// causes alternate (a relay whose server is down answers "closed during the
// handshake", then "ECONNRESET", and again), until a carrier to it comes up.

/** Distinct causes an address logs at warn; later ones go to debug. Rationale: bounded, as a cause may carry details that vary. */
export const MAX_DIAL_CAUSES = 8;

export class DialCauses {
  readonly #byLabel = new Map<string, Set<string>>();

  /** Whether `why` is new for `label` (log it at warn); records it. */
  first(label: string, why: string): boolean {
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
  }
}
