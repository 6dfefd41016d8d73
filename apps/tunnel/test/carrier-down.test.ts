// The end of the carrier-down lines: how long the carrier was up, and why it went.
import { MpxError } from '@mpx/core';
import { WebSocketClosedError } from '@mpx/transport-ws';
import { describe, expect, it } from 'vitest';
import { CarrierAges, carrierDownText, formatLifetime } from '../src/carrier-down.js';

/** What the core reports for a carrier whose Duplex failed with `err` (carrier-link.ts). */
const fromCarrier = (err: Error): MpxError => new MpxError('MPX_ERR_CARRIER_CLOSED', `carrier error: ${err.message}`, { cause: err });

describe('carrier-down lines', () => {
  it('say how long the carrier was up, from its up event', () => {
    let now = 1000;
    const ages = new CarrierAges(() => now);
    ages.up(7);
    now += 5049;
    expect(ages.down(7)).toBe(5049);
    expect(ages.down(7)).toBeUndefined();
    expect([formatLifetime(5049), formatLifetime(312_440), formatLifetime(2_520_000)]).toEqual(['5.0 s', '312.4 s', '42 min']);
  });

  it('name a WebSocket close by its code, with what a proxy may have done', () => {
    expect(carrierDownText(fromCarrier(new WebSocketClosedError(1009, '')), 5000)).toBe(
      ' after 5.0 s: closed by the peer with 1009 (message too big): a proxy may limit message size, see --ws-max-message',
    );
    expect(carrierDownText(fromCarrier(new WebSocketClosedError(1006, '')), 60_000, ' (session 1a2b3c4d)')).toBe(
      ' after 60.0 s (session 1a2b3c4d) (the connection closed without a WebSocket close frame, 1006): a proxy between may have cut it (an idle timeout, or a limit on message size: see --ws-max-message)',
    );
    expect(carrierDownText(fromCarrier(new WebSocketClosedError(1011, 'MPX_ERR_INTERNAL')), undefined)).toBe(
      ': closed by the peer with 1011 (internal error), MPX_ERR_INTERNAL',
    );
  });

  it('say when a carrier closed without an error, and name other errors as before', () => {
    expect(carrierDownText(undefined, 100)).toBe(' after 0.1 s (closed without an error)');
    expect(carrierDownText(new MpxError('MPX_ERR_IDLE_TIMEOUT', 'nothing heard for 6000 ms'), 6100)).toBe(
      ' after 6.1 s: MPX_ERR_IDLE_TIMEOUT: nothing heard for 6000 ms (nothing heard for --dead-after)',
    );
  });
});
