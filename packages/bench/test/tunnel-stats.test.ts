import { describe, expect, it } from 'vitest';
import { CarrierWatch, parseCarrierLine } from '../src/tunnel-stats.js';

const LINE = '2026-11-21T21:55:25.422Z INFO  stats carrier #2 tcp://127.0.0.1:15500: in 294.93 MB/s, out 29.20 kB/s, weight 1, rtt 3.1 ms, retransmits 4';

describe('parseCarrierLine', () => {
  it('reads id, label, rates in bytes/s, weight, RTT and retransmissions', () => {
    expect(parseCarrierLine(LINE)).toEqual({ id: 2, label: 'tcp://127.0.0.1:15500', inRate: 294.93e6, outRate: 29.2e3, weight: 1, rttMs: 3.1, retransmits: 4 });
  });

  it('leaves RTT and retransmissions out when the line has none', () => {
    expect(parseCarrierLine('stats carrier #5 ws://h:80/mpx: in 0 B/s, out 12 B/s, weight 3')).toEqual({ id: 5, label: 'ws://h:80/mpx', inRate: 0, outRate: 12, weight: 3 });
  });

  it('is null for other lines', () => {
    expect(parseCarrierLine('stats total: 4 carriers, 2 streams, 1 sessions, in 1 MB/s, out 0 B/s')).toBeNull();
  });
});

describe('CarrierWatch', () => {
  it('sums the largest retransmission count seen per carrier, closed carriers included', () => {
    const w = new CarrierWatch();
    w.add('stats carrier #1 a:1: in 1 B/s, out 1 B/s, weight 1, retransmits 2');
    w.add('stats carrier #1 a:1: in 1 B/s, out 1 B/s, weight 1, retransmits 5');
    w.add('stats carrier #2 b:1: in 1 B/s, out 1 B/s, weight 1, retransmits 1');
    w.add('unrelated');
    expect(w.retransmits()).toBe(6);
    expect(w.carriers()).toEqual([1, 2]);
  });
});
