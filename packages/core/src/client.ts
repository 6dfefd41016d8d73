// The client side of a session: it names the session and hands in carriers
// (SPEC §3). Carriers may be of any kind and mixed, each with a weight.
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { WEIGHT_BOUND, checkWeight } from './bounds.js';
import { SESSION_ID_SIZE, WireCode } from './constants.js';
import { CarrierLink, checkCarrier, isLinked, type CarrierStats } from './carrier-link.js';
import { checkCarrierUse, type CarrierDirection, type CarrierRole, type CarrierUse } from './carrier-use.js';
import { SESSION_OPTION_NAMES, linkOptions, resolveOptions, type SessionOptions } from './config.js';
import { MpxConfigError, MpxError } from './errors.js';
import { clientHandshake } from './handshake.js';
import { checkOptionNames, describeValue, optionNames } from './option-names.js';
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

/** Every name of ClientSessionOptions and of AddCarrierOptions: any other is refused (option-names.ts). */
const CLIENT_SESSION_OPTION_NAMES = [...SESSION_OPTION_NAMES, ...optionNames<Omit<ClientSessionOptions, keyof SessionOptions>>({ routeKey: true })];
const ADD_CARRIER_OPTION_NAMES = optionNames<AddCarrierOptions>({ weight: true, label: true, role: true, direction: true });

/** `routeKey` if it is a boolean, else an MpxConfigError naming it. */
export function checkRouteKey(routeKey: unknown): boolean {
  if (typeof routeKey === 'boolean') return routeKey;
  throw new MpxConfigError(['routeKey'], `routeKey must be a boolean, got ${describeValue(routeKey)}`);
}

export class ClientSession extends Session {
  #joined = false;
  readonly #route: boolean;

  constructor(options?: ClientSessionOptions) {
    const { routeKey, ...sessionOptions } = checkOptionNames(options, CLIENT_SESSION_OPTION_NAMES, 'ClientSession');
    const route = routeKey === undefined ? true : checkRouteKey(routeKey);
    super('client', randomBytes(SESSION_ID_SIZE), resolveOptions(sessionOptions));
    this.#route = route;
  }

  /** True once a carrier has joined: later carriers resume the session (SPEC §3.2). */
  get joined(): boolean {
    return this.#joined;
  }

  /**
   * Runs the handshake on `carrier` and adds it to the session. Resolves with
   * the carrier's stats once it carries frames; rejects (and closes the
   * carrier) when the handshake fails, and at once (closing it too) for bad
   * options: an unknown name (MPX_ERR_INVALID_CONFIG), a bad value
   * (MPX_ERR_INVALID_ARGUMENT). A Duplex that is a carrier already is
   * rejected with MPX_ERR_INVALID_ARGUMENT, and left as it is.
   */
  async addCarrier(carrier: Duplex, options?: AddCarrierOptions): Promise<CarrierStats> {
    checkCarrier(carrier);
    // Before anything that destroys `carrier`: it carries a carrier already, which must go on.
    if (isLinked(carrier)) throw new MpxError('MPX_ERR_INVALID_ARGUMENT', 'this Duplex is already a carrier (addCarrier() or accept() took it)');
    let given: AddCarrierOptions;
    let weight: number;
    let use: CarrierUse;
    try {
      given = checkOptionNames(options, ADD_CARRIER_OPTION_NAMES, 'addCarrier()');
      weight = checkWeight(given.weight ?? WEIGHT_BOUND.default);
      use = checkCarrierUse(given);
      if (given.label !== undefined && typeof given.label !== 'string') {
        throw new MpxError('MPX_ERR_INVALID_ARGUMENT', `label must be a string, got ${describeValue(given.label)}`);
      }
      if (this.closed) throw new MpxError('MPX_ERR_SESSION_CLOSED', 'the session is closed');
    } catch (err) {
      carrier.destroy();
      throw err;
    }
    const link = new CarrierLink(carrier, linkOptions(this.options, given.label));
    link.weight = weight;
    link.use = use;
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
