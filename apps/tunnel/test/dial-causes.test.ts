import { describe, expect, it } from 'vitest';
import { DialCauses, MAX_DIAL_CAUSES } from '../src/dial-causes.js';

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
});
