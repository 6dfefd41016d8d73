import { describe, expect, it } from 'vitest';
import { parseIperfJson } from '../src/iperf.js';

const SAMPLE = JSON.stringify({
  intervals: [{ sum: { bits_per_second: 40e6, omitted: true } }, { sum: { bits_per_second: 80e6, omitted: false } }],
  end: {
    sum_sent: { bytes: 61000000, seconds: 6.02, bits_per_second: 81e6, retransmits: 3 },
    sum_received: { bytes: 60000000, seconds: 6, bits_per_second: 80e6 },
  },
});

describe('parseIperfJson', () => {
  it("takes the receiver's totals, the sender's retransmits and the intervals", () => {
    expect(parseIperfJson(SAMPLE)).toEqual({
      bytes: 60000000,
      seconds: 6,
      bytesPerSecond: 10e6,
      retransmits: 3,
      intervals: [
        { bytesPerSecond: 5e6, omitted: true },
        { bytesPerSecond: 10e6, omitted: false },
      ],
    });
  });

  it("raises iperf3's own error text", () => {
    expect(() => parseIperfJson(JSON.stringify({ error: 'the server is busy running a test. try again later' }))).toThrow(
      /iperf3: the server is busy/,
    );
  });

  it('refuses output without receiver totals', () => {
    expect(() => parseIperfJson(JSON.stringify({ end: {} }))).toThrow(/sum_received/);
  });
});
