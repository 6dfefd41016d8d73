// The client side of a session: it names the session and hands in carriers
// (SPEC §3). Carriers may be of any kind and mixed, each with a weight.
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { WEIGHT_BOUND, checkWeight, inBounds } from './bounds.js';
import { SESSION_ID_SIZE, WireCode } from './constants.js';
import { CarrierLink, isLinked, type CarrierStats } from './carrier-link.js';
import type { CarrierDirection, CarrierRole } from './carrier-use.js';
import { linkOptions, resolveOptions, type SessionOptions } from './config.js';
import { MpxError } from './errors.js';
import { clientHandshake } from './handshake.js';
import { Session } from './session.js';

export interface AddCarrierOptions {
  /** Scheduling weight, WEIGHT_BOUND: 1–65535 (SPEC §8). Default 1. */
  weight?: number;
  /** A name for logs and stats, e.g. the address dialled. */
  label?: string;
  /** SPEC §8: 'backup' carries data only while no primary carrier is usable. Default 'primary'. */
  role?: CarrierRole;
  /** SPEC §8: the data the carrier carries, 'up' = client → server. Default 'both'. */
  direction?: CarrierDirection;
}

export interface ClientSessionOptions extends SessionOptions {
  /** Send ROUTE (the session id) first on every carrier, for balancers (SPEC §3.5). Default true. */
  routeKey?: boolean;
}

export class ClientSession extends Session {
  #joined = false;
  readonly #route: boolean;

  constructor(options: ClientSessionOptions = {}) {
    const { routeKey, ...sessionOptions } = options;
    super('client', randomBytes(SESSION_ID_SIZE), resolveOptions(sessionOptions));
    this.#route = routeKey ?? true;
  }

  /** True once a carrier has joined: later carriers resume the session (SPEC §3.2). */
  get joined(): boolean {
    return this.#joined;
  }

  /**
   * Runs the handshake on `carrier` and adds it to the session. Resolves with
   * the carrier's stats once it carries frames; rejects (and closes the
   * carrier) when the handshake fails. A Duplex that is a carrier already is
   * rejected with MPX_ERR_INVALID_ARGUMENT, and left as it is.
   */
  async addCarrier(carrier: Duplex, options: AddCarrierOptions = {}): Promise<CarrierStats> {
    // Before anything that destroys `carrier`: it carries a carrier already, which must go on.
    if (isLinked(carrier)) throw new MpxError('MPX_ERR_INVALID_ARGUMENT', 'this Duplex is already a carrier (addCarrier() or accept() took it)');
    const weight = options.weight ?? WEIGHT_BOUND.default;
    if (!inBounds(WEIGHT_BOUND, weight)) {
      carrier.destroy();
      checkWeight(weight); // throws MPX_ERR_INVALID_ARGUMENT naming the weight
    }
    if (this.closed) {
      carrier.destroy();
      throw new MpxError('MPX_ERR_SESSION_CLOSED', 'the session is closed');
    }
    const link = new CarrierLink(carrier, linkOptions(this.options, options.label));
    link.weight = weight;
    link.use = { role: options.role ?? 'primary', direction: options.direction ?? 'both' };
    const hello = { sessionId: this.id, resume: this.#joined, weight, use: link.use, route: this.#route };
    try {
      await clientHandshake(link, hello, this.options, ({ peer }) => {
        this.#joined = true;
        this.attachCarrier(link, peer);
      });
    } catch (err) {
      this.#lostByServer(err);
      throw err;
    }
    return link.stats();
  }

  /**
   * SPEC §3.2: a carrier refused with SESSION_UNKNOWN while the session has
   * no other carrier: the server lost the session (it restarted), so its
   * streams cannot resume. The session closes with MPX_ERR_SESSION_UNKNOWN
   * and its streams fail at once, instead of waiting out graceMs. While
   * other carriers are open the carrier reached another server than they
   * did (a balancer that does not route by session, SPEC §3.5): the session
   * goes on. MpxClient starts a new session when this one closes.
   */
  #lostByServer(err: unknown): void {
    if (!MpxError.isMpxError(err) || err.wireCode !== WireCode.SESSION_UNKNOWN || this.carrierCount > 0) return;
    this.abort(
      new MpxError('MPX_ERR_SESSION_UNKNOWN', 'the server no longer holds this session (it restarted?)', {
        wireCode: WireCode.SESSION_UNKNOWN,
        cause: err,
      }),
    );
  }
}
