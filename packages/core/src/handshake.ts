// SPEC §3: the carrier handshake, CHALLENGE → HELLO → WELCOME, on both sides.
// Each function drives one CarrierLink until it is open or has failed.
import { randomBytes } from 'node:crypto';
import { FrameType, MAX_VERSION, MIN_VERSION, NONCE_SIZE, WireCode } from './constants.js';
import { chooseVersion, helloMac, macEqual, welcomeMac } from './auth.js';
import { NO_HOST } from './carrier-api.js';
import type { CarrierLink } from './carrier-link.js';
import type { CarrierUse } from './carrier-use.js';
import type { ResolvedSessionOptions } from './config.js';
import { MpxError, MpxProtocolError } from './errors.js';
import { initialStreamWindow } from './flow-control.js';
import type { ChallengeFrame, Frame, HelloFrame } from './frame.js';

/** What each side learns about the other's receive limits (SPEC §3.2, §3.3). */
export interface PeerParams {
  readonly streamWindow: number;
  readonly sessionWindow: number;
  readonly maxFrame: number;
}

export interface ClientHello {
  readonly sessionId: Uint8Array;
  readonly resume: boolean;
  readonly weight: number;
  /** SPEC §3.2: sent as HELLO flags when not a primary carrier of both directions. */
  readonly use?: CarrierUse;
  /** Send ROUTE first (SPEC §3.5), so that a balancer can route on the session id. */
  readonly route: boolean;
}

export interface ClientHandshakeResult {
  readonly peer: PeerParams;
  readonly created: boolean;
}

/** Runs `step` on each frame until it settles; fails the carrier on error or timeout. */
function drive<T>(
  link: CarrierLink,
  options: ResolvedSessionOptions,
  step: (frame: Frame, settle: (value: T) => void) => void,
  onOpen: ((value: T) => void) | undefined,
  timeoutMs: number = options.handshakeTimeoutMs,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const { clock } = options;
    const finish = (err: MpxError | undefined, value?: T): void => {
      if (done) return;
      done = true;
      clock.clearTimeout(timer);
      link.setHost(NO_HOST);
      if (err !== undefined) {
        link.fail(err);
        reject(err);
      } else {
        // Hand the carrier over synchronously: frames that follow in the same
        // chunk must reach the session (its host, set by onOpen), not this handshake.
        onOpen?.(value as T);
        resolve(value as T);
      }
    };
    const timer = clock.setTimeout(() => {
      finish(new MpxProtocolError(WireCode.HANDSHAKE_TIMEOUT, `handshake not finished within ${options.handshakeTimeoutMs} ms`));
    }, timeoutMs);
    link.setHost({
      ...NO_HOST,
      // The peer sent what is not mpx (or not a handshake): fail now with that
      // cause, not once the carrier has closed (up to END_TIMEOUT_MS later).
      onError: (_link, err) => finish(err),
      onClose: (_link, err) => {
        finish(err ?? new MpxError('MPX_ERR_CARRIER_CLOSED', 'carrier closed during the handshake'));
      },
      onFrame: (_link, frame) => {
        if (done) return;
        try {
          step(frame, (value) => finish(undefined, value));
        } catch (err) {
          finish(err instanceof MpxError ? err : new MpxError('MPX_ERR_INTERNAL', String(err), { cause: err, wireCode: WireCode.INTERNAL }));
        }
      },
    });
  });
}

/** SPEC §9: the handshake's round trip, taken before any data queues on the carrier, is its first RTT sample. */
function sampleRtt(link: CarrierLink, options: ResolvedSessionOptions, sentAt: number): void {
  const now = options.clock.now();
  link.estimator.onRttSample(now - sentAt, now);
}

function unexpected(frame: Frame, wanted: string): MpxProtocolError {
  return new MpxProtocolError(WireCode.PROTOCOL, `expected ${wanted} during the handshake, got frame type 0x${frame.type.toString(16)}`);
}

/** Client side (SPEC §3): answer CHALLENGE with HELLO, check WELCOME. */
export function clientHandshake(
  link: CarrierLink,
  hello: ClientHello,
  options: ResolvedSessionOptions,
  onOpen?: (result: ClientHandshakeResult) => void,
): Promise<ClientHandshakeResult> {
  let sent: Omit<HelloFrame, 'type'> | undefined;
  let sentAt = 0;
  // SPEC §3.5: the client speaks first when it routes, without waiting for CHALLENGE.
  if (hello.route) link.send({ type: FrameType.ROUTE, sessionId: hello.sessionId });
  return drive<ClientHandshakeResult>(
    link,
    options,
    (frame, settle) => {
      if (sent === undefined) {
        if (frame.type !== FrameType.CHALLENGE) throw unexpected(frame, 'CHALLENGE');
        const version = chooseVersion(frame.minVersion, frame.maxVersion);
        if (version === null) {
          throw new MpxProtocolError(
            WireCode.UNSUPPORTED_VERSION,
            `server speaks versions ${frame.minVersion}..${frame.maxVersion}, this client ${MIN_VERSION}..${MAX_VERSION}`,
          );
        }
        const body = {
          version,
          resume: hello.resume,
          weight: hello.weight,
          ...(hello.use?.role === 'backup' ? { backup: true } : {}),
          ...(hello.use === undefined || hello.use.direction === 'both' ? {} : { direction: hello.use.direction }),
          sessionId: hello.sessionId,
          nonce: randomBytes(NONCE_SIZE),
          streamWindow: initialStreamWindow(options.streamWindow),
          sessionWindow: options.sessionWindow,
          maxFrame: options.maxFrame,
        };
        sent = { ...body, mac: helloMac(options.key, frame, body) };
        link.send({ type: FrameType.HELLO, ...sent });
        sentAt = options.clock.now();
        return;
      }
      if (frame.type !== FrameType.WELCOME) throw unexpected(frame, 'WELCOME');
      const expected = welcomeMac(options.key, sent, frame);
      if (!macEqual(expected, frame.mac)) {
        throw new MpxProtocolError(WireCode.AUTH_FAILED, 'the server did not prove it holds the key (WELCOME mac mismatch)');
      }
      sampleRtt(link, options, sentAt);
      link.open(sent.version);
      settle({
        peer: { streamWindow: frame.streamWindow, sessionWindow: frame.sessionWindow, maxFrame: frame.maxFrame },
        created: frame.created,
      });
    },
    onOpen,
  );
}

export interface ServerHandshakeResult {
  readonly hello: HelloFrame;
  readonly peer: PeerParams;
}

/**
 * Server side (SPEC §3): send CHALLENGE, verify HELLO, then let `admit` find
 * or create the session (it throws an MpxProtocolError to refuse, e.g.
 * SESSION_UNKNOWN or LIMIT_EXCEEDED) and answer WELCOME. `timeoutMs`: what
 * is left of handshakeTimeoutMs since the connection was accepted.
 */
export function serverHandshake(
  link: CarrierLink,
  options: ResolvedSessionOptions,
  admit: (hello: HelloFrame) => { created: boolean },
  onOpen?: (result: ServerHandshakeResult) => void,
  timeoutMs: number = options.handshakeTimeoutMs,
): Promise<ServerHandshakeResult> {
  const challenge: ChallengeFrame = {
    type: FrameType.CHALLENGE,
    minVersion: MIN_VERSION,
    maxVersion: MAX_VERSION,
    nonce: randomBytes(NONCE_SIZE),
  };
  let sentAt = 0;
  let routed: Uint8Array | undefined;
  let frames = 0;
  const result = drive<ServerHandshakeResult>(
    link,
    options,
    (frame, settle) => {
      frames++;
      if (frame.type === FrameType.ROUTE && frames === 1) {
        routed = frame.sessionId; // SPEC §3.5: optional, first, and naming the session HELLO names
        return;
      }
      if (frame.type !== FrameType.HELLO) throw unexpected(frame, frames === 1 ? 'ROUTE or HELLO' : 'HELLO');
      if (routed !== undefined && !macEqual(routed, frame.sessionId)) {
        throw new MpxProtocolError(WireCode.PROTOCOL, 'ROUTE named another session than HELLO');
      }
      if (frame.version < MIN_VERSION || frame.version > MAX_VERSION) {
        throw new MpxProtocolError(WireCode.UNSUPPORTED_VERSION, `client chose version ${frame.version}`);
      }
      if (!macEqual(helloMac(options.key, challenge, frame), frame.mac)) {
        throw new MpxProtocolError(WireCode.AUTH_FAILED, 'the client did not prove it holds the key (HELLO mac mismatch)');
      }
      sampleRtt(link, options, sentAt);
      const { created } = admit(frame);
      const body = {
        created,
        streamWindow: initialStreamWindow(options.streamWindow),
        sessionWindow: options.sessionWindow,
        maxFrame: options.maxFrame,
      };
      link.send({ type: FrameType.WELCOME, ...body, mac: welcomeMac(options.key, frame, body) });
      link.open(frame.version);
      settle({ hello: frame, peer: { streamWindow: frame.streamWindow, sessionWindow: frame.sessionWindow, maxFrame: frame.maxFrame } });
    },
    onOpen,
    timeoutMs,
  );
  link.send(challenge);
  sentAt = options.clock.now();
  return result;
}
