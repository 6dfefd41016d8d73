// Handshake authentication and version choice, SPEC §3.1 and §3.4.
//
//   HELLO.mac   = HMAC-SHA256(K, "mpx1 hello"   || CHALLENGE body || HELLO body[0..52))
//   WELCOME.mac = HMAC-SHA256(K, "mpx1 welcome" || HELLO body     || WELCOME body[0..16))
import { createHmac, timingSafeEqual } from 'node:crypto';
import { MAX_VERSION, MIN_VERSION } from './constants.js';
import { encodeChallengeBody, encodeHelloBody, encodeHelloParams, encodeWelcomeParams, type HelloParams, type WelcomeParams } from './encode.js';
import type { ChallengeFrame, HelloFrame } from './frame.js';

/** SPEC §3.4: ASCII labels, no terminator. */
const HELLO_LABEL = Buffer.from('mpx1 hello', 'ascii');
const WELCOME_LABEL = Buffer.from('mpx1 welcome', 'ascii');

/** SPEC §3.4: the mac a client puts in HELLO, and a server expects there. The key may be empty. */
export function helloMac(key: Uint8Array, challenge: Omit<ChallengeFrame, 'type'>, hello: HelloParams): Uint8Array {
  return createHmac('sha256', key).update(HELLO_LABEL).update(encodeChallengeBody(challenge)).update(encodeHelloParams(hello)).digest();
}

/** SPEC §3.4: the mac a server puts in WELCOME; it covers the whole HELLO body, client nonce and mac included. */
export function welcomeMac(key: Uint8Array, hello: Omit<HelloFrame, 'type'>, welcome: WelcomeParams): Uint8Array {
  return createHmac('sha256', key).update(WELCOME_LABEL).update(encodeHelloBody(hello)).update(encodeWelcomeParams(welcome)).digest();
}

/** SPEC §3.4: constant-time comparison; false when the lengths differ. */
export function macEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** SPEC §3.1: the highest version both this implementation and `[min, max]` speak, or null. */
export function chooseVersion(min: number, max: number): number | null {
  const version = Math.min(max, MAX_VERSION);
  return version >= Math.max(min, MIN_VERSION) ? version : null;
}
