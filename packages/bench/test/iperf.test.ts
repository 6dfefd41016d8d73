import { describe, expect, it } from 'vitest';
import { parseIperfJson, serverBusy } from '../src/iperf.js';

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

describe('serverBusy', () => {
  /** The error parseIperfJson raises for iperf3's `error` text. */
  function errorOf(text: string): unknown {
    try {
      parseIperfJson(JSON.stringify({ error: text }));
    } catch (err) {
      return err;
    }
    return undefined;
  }

  it("takes the server's refusal, said as such or as a reset of the control connection passed on by a tunnel, as busy", () => {
    expect(serverBusy(errorOf('the server is busy running a test. try again later'))).toBe(true);
    expect(serverBusy(errorOf('unable to receive control message: Connection reset by peer'))).toBe(true);
  });

  it('takes any other failure as final', () => {
    expect(serverBusy(errorOf('unable to connect to server: Connection refused'))).toBe(false);
    expect(serverBusy(errorOf('control socket has closed unexpectedly'))).toBe(false);
    expect(serverBusy(new Error('iperf3: no end.sum_received in the JSON output'))).toBe(false);
    expect(serverBusy('busy')).toBe(false);
  });
});
