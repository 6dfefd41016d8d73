// SPEC §3.1 (version choice) and §3.4 (handshake macs).
import { describe, expect, it } from 'vitest';
import { FrameType, MAX_VERSION, MIN_VERSION } from '../src/constants.js';
import { chooseVersion, helloMac, macEqual, welcomeMac } from '../src/auth.js';
import type { ChallengeFrame, HelloFrame, WelcomeFrame } from '../src/frame.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const KEY = Buffer.from('mpx-test-key', 'ascii');

// The golden CHALLENGE, HELLO and WELCOME of SPEC §13. Expected macs were
// computed with `openssl dgst -sha256 -hmac mpx-test-key` over the label and bodies.
const CHALLENGE: ChallengeFrame = {
  type: FrameType.CHALLENGE,
  minVersion: 1,
  maxVersion: 1,
  nonce: hex('000102030405060708090a0b0c0d0e0f'),
};
const HELLO_PARAMS: Omit<HelloFrame, 'type' | 'mac'> = {
  version: 1,
  resume: false,
  weight: 3,
  sessionId: hex('101112131415161718191a1b1c1d1e1f'),
  nonce: hex('202122232425262728292a2b2c2d2e2f'),
  streamWindow: 8 * 2 ** 20,
  sessionWindow: 64 * 2 ** 20,
  maxFrame: 65536,
};
const HELLO_MAC = hex('7711e7a98c3fe27cad6d26536403dbb9ba97379c099a3819131cf384afee523f');
const HELLO: Omit<HelloFrame, 'type'> = { ...HELLO_PARAMS, mac: HELLO_MAC };
const WELCOME_PARAMS: Omit<WelcomeFrame, 'type' | 'mac'> = {
  created: true,
  streamWindow: 8 * 2 ** 20,
  sessionWindow: 64 * 2 ** 20,
  maxFrame: 65536,
};
const WELCOME_MAC = hex('36e2c79d5a63ca27d541ebc4c70436cb5bab9f4cd2d968146df550521fea7ef1');
/** HMAC with an empty key equals HMAC with key 0x00 (keys are zero-padded), which openssl can take as hexkey:00. */
const HELLO_MAC_EMPTY_KEY = hex('f4641019483fa47d5c498c87d7bc5215f734cc9f22e36409588dae989bf544b8');

/** Copies of `bytes` with one bit flipped at each position. */
function flips(bytes: Uint8Array): Buffer[] {
  return Array.from({ length: bytes.length }, (_, i) => {
    const copy = Buffer.from(bytes);
    copy[i] = copy[i]! ^ 0x01;
    return copy;
  });
}

describe('helloMac', () => {
  it('matches the known answer for the golden CHALLENGE and HELLO', () => {
    expect(Buffer.from(helloMac(KEY, CHALLENGE, HELLO_PARAMS)).toString('hex')).toBe(HELLO_MAC.toString('hex'));
  });

  it('works with an empty key', () => {
    const mac = helloMac(new Uint8Array(0), CHALLENGE, HELLO_PARAMS);
    expect(Buffer.from(mac).toString('hex')).toBe(HELLO_MAC_EMPTY_KEY.toString('hex'));
    expect(macEqual(mac, HELLO_MAC)).toBe(false);
  });

  it('breaks when any byte of the server nonce changes (no replay on another carrier)', () => {
    for (const nonce of flips(CHALLENGE.nonce)) {
      expect(macEqual(helloMac(KEY, { ...CHALLENGE, nonce }, HELLO_PARAMS), HELLO_MAC)).toBe(false);
    }
  });

  it('breaks when any byte of the session id or client nonce changes', () => {
    for (const sessionId of flips(HELLO_PARAMS.sessionId)) {
      expect(macEqual(helloMac(KEY, CHALLENGE, { ...HELLO_PARAMS, sessionId }), HELLO_MAC)).toBe(false);
    }
    for (const nonce of flips(HELLO_PARAMS.nonce)) {
      expect(macEqual(helloMac(KEY, CHALLENGE, { ...HELLO_PARAMS, nonce }), HELLO_MAC)).toBe(false);
    }
  });

  it('breaks when any parameter changes', () => {
    const variants: Array<Omit<HelloFrame, 'type' | 'mac'>> = [
      { ...HELLO_PARAMS, version: 2 },
      { ...HELLO_PARAMS, resume: true },
      { ...HELLO_PARAMS, weight: 4 },
      { ...HELLO_PARAMS, streamWindow: HELLO_PARAMS.streamWindow + 1 },
      { ...HELLO_PARAMS, sessionWindow: HELLO_PARAMS.sessionWindow - 1 },
      { ...HELLO_PARAMS, maxFrame: 65535 },
    ];
    for (const params of variants) {
      expect(macEqual(helloMac(KEY, CHALLENGE, params), HELLO_MAC)).toBe(false);
    }
    expect(macEqual(helloMac(KEY, { ...CHALLENGE, maxVersion: 2 }, HELLO_PARAMS), HELLO_MAC)).toBe(false);
  });

  it('breaks under another key', () => {
    expect(macEqual(helloMac(Buffer.from('mpx-test-kez'), CHALLENGE, HELLO_PARAMS), HELLO_MAC)).toBe(false);
  });
});

describe('welcomeMac', () => {
  it('matches the known answer for the golden HELLO and WELCOME', () => {
    expect(Buffer.from(welcomeMac(KEY, HELLO, WELCOME_PARAMS)).toString('hex')).toBe(WELCOME_MAC.toString('hex'));
  });

  it('covers the whole HELLO body, its mac included', () => {
    for (const mac of flips(HELLO_MAC)) {
      expect(macEqual(welcomeMac(KEY, { ...HELLO, mac }, WELCOME_PARAMS), WELCOME_MAC)).toBe(false);
    }
    for (const nonce of flips(HELLO.nonce)) {
      expect(macEqual(welcomeMac(KEY, { ...HELLO, nonce }, WELCOME_PARAMS), WELCOME_MAC)).toBe(false);
    }
  });

  it('breaks when any WELCOME parameter changes', () => {
    const variants: Array<Omit<WelcomeFrame, 'type' | 'mac'>> = [
      { ...WELCOME_PARAMS, created: false },
      { ...WELCOME_PARAMS, streamWindow: 1 },
      { ...WELCOME_PARAMS, sessionWindow: 1 },
      { ...WELCOME_PARAMS, maxFrame: 1024 },
    ];
    for (const params of variants) {
      expect(macEqual(welcomeMac(KEY, HELLO, params), WELCOME_MAC)).toBe(false);
    }
  });

  it('differs from the HELLO mac over the same bytes (labels separate the two)', () => {
    expect(macEqual(welcomeMac(KEY, HELLO, WELCOME_PARAMS), HELLO_MAC)).toBe(false);
  });

  it('rejects a HELLO with a malformed field instead of signing it', () => {
    expect(() => welcomeMac(KEY, { ...HELLO, mac: HELLO_MAC.subarray(1) }, WELCOME_PARAMS)).toThrow(
      expect.objectContaining({ code: 'MPX_ERR_INVALID_ARGUMENT' }),
    );
  });
});

describe('macEqual', () => {
  it('is true for equal bytes, including views of different buffers', () => {
    expect(macEqual(HELLO_MAC, Buffer.from(HELLO_MAC))).toBe(true);
    expect(macEqual(new Uint8Array(HELLO_MAC), HELLO_MAC)).toBe(true);
  });

  it('is false when one byte differs', () => {
    for (const other of flips(HELLO_MAC)) expect(macEqual(other, HELLO_MAC)).toBe(false);
  });

  it('is false (and does not throw) when the lengths differ', () => {
    expect(macEqual(HELLO_MAC.subarray(0, 31), HELLO_MAC)).toBe(false);
    expect(macEqual(new Uint8Array(0), HELLO_MAC)).toBe(false);
  });
});

describe('chooseVersion', () => {
  it('picks version 1 when the server speaks exactly 1 (a server of an earlier release)', () => {
    expect(MIN_VERSION).toBe(1);
    expect(MAX_VERSION).toBe(2);
    expect(chooseVersion(1, 1)).toBe(1);
  });

  it('picks version 2 when the server speaks 1 and 2', () => {
    expect(chooseVersion(1, 2)).toBe(2);
  });

  it('picks the highest version this side speaks within a wider range', () => {
    expect(chooseVersion(0, 255)).toBe(MAX_VERSION);
    expect(chooseVersion(1, 9)).toBe(MAX_VERSION);
  });

  it('returns null when the ranges do not overlap', () => {
    expect(chooseVersion(3, 5)).toBeNull();
    expect(chooseVersion(0, 0)).toBeNull();
  });

  it('returns null for an empty range (min above max)', () => {
    expect(chooseVersion(1, 0)).toBeNull();
  });
});
