// Dial causes logged once per address, and the line that says connections still wait for a carrier.
import { describe, expect, it } from 'vitest';
import { DialCauses, MAX_DIAL_CAUSES, waitingLine } from '../src/dial-causes.js';

describe('DialCauses', () => {
  it('answers true once per cause and address, also when causes alternate, until the address comes up', () => {
    const causes = new DialCauses();
    const seen = ['handshake', 'ECONNRESET', 'handshake', 'ECONNRESET', 'handshake'].map((why) => causes.first('a', why));
    expect(seen).toEqual([true, true, false, false, false]);
    expect(causes.first('b', 'handshake')).toBe(true);
    causes.forget('a');
    expect(causes.first('a', 'ECONNRESET')).toBe(true);
  });

  it(`keeps at most ${MAX_DIAL_CAUSES} causes per address`, () => {
    const causes = new DialCauses();
    const seen = Array.from({ length: MAX_DIAL_CAUSES + 3 }, (_, i) => causes.first('a', `cause ${i}`));
    expect(seen.filter(Boolean)).toHaveLength(MAX_DIAL_CAUSES);
    expect(seen.slice(MAX_DIAL_CAUSES)).toEqual([false, false, false]);
  });

  it('remembers the last cause of each address until a carrier to it comes up', () => {
    const causes = new DialCauses();
    causes.first('tcp://a:1', 'ECONNREFUSED');
    causes.first('tcp://a:1', 'ETIMEDOUT');
    causes.first('tcp://b:2', 'ECONNRESET');
    expect([...causes.latest()]).toEqual([
      ['tcp://a:1', 'ETIMEDOUT'],
      ['tcp://b:2', 'ECONNRESET'],
    ]);
    causes.forget('tcp://a:1');
    expect([...causes.latest()]).toEqual([['tcp://b:2', 'ECONNRESET']]);
  });
});

describe('waitingLine', () => {
  it('says how many connections wait, for how long at most, and what each address met last', () => {
    const causes = new Map([
      ['tcp://127.0.0.1:1', 'ECONNREFUSED'],
      ['ws://h:80/t', 'MPX_ERR_CONNECT_TIMEOUT: timed out'],
    ]);
    expect(waitingLine(2, 30_000, causes)).toBe(
      'no carrier is up: 2 connections wait for one, up to --grace (30 s) from the loss of the last; still dialling tcp://127.0.0.1:1 (ECONNREFUSED), ws://h:80/t (MPX_ERR_CONNECT_TIMEOUT: timed out)',
    );
    expect(waitingLine(1, 3_000, new Map())).toBe(
      'no carrier is up: 1 connection waits for one, up to --grace (3 s) from the loss of the last; still dialling',
    );
  });
});
