// What a server's log lines show of X-Forwarded-For: an address list, or a marker.
import { describe, expect, it } from 'vitest';
import { carrierLabel } from '../src/carriers.js';
import { forwardedFor } from '../src/forwarded-for.js';
import { remoteHost } from '../src/rate-limit.js';

const carrier = (xff: string | undefined) => ({
  remoteAddress: '127.0.0.1',
  remotePort: 40112,
  headers: xff === undefined ? {} : { 'x-forwarded-for': xff },
});

describe('X-Forwarded-For in carrier labels', () => {
  it('shows a list of IP addresses, IPv4 and IPv6, as the proxy-reported client', () => {
    expect(carrierLabel(carrier('203.0.113.66'))).toBe('127.0.0.1:40112 (for 203.0.113.66)');
    expect(carrierLabel(carrier(' 2001:db8::1 ,10.0.0.2'))).toBe('127.0.0.1:40112 (for 2001:db8::1, 10.0.0.2)');
    expect(carrierLabel(carrier(undefined))).toBe('127.0.0.1:40112');
    expect(forwardedFor('')).toBe('');
  });

  it('shows a marker instead of text that is not an address list, so a client cannot write into log lines', () => {
    const injected = '203.0.113.66 (admin) carrier #99 from 10.0.0.1:1 up';
    expect(carrierLabel(carrier(injected))).toBe('127.0.0.1:40112 (X-Forwarded-For not an address list)');
    for (const bad of ['example.com', '1.2.3.4:80', '[::1]', '1.2.3.4,,5.6.7.8', '1.2.3.4\nERROR x', 'unknown']) {
      expect(forwardedFor(bad)).toBe(' (X-Forwarded-For not an address list)');
    }
  });

  it('caps the list: more than 8 addresses, or a header too long, is not shown', () => {
    const eight = Array.from({ length: 8 }, (_, i) => `10.0.0.${i}`).join(', ');
    expect(forwardedFor(eight)).toBe(` (for ${eight})`);
    expect(forwardedFor(`${eight}, 10.0.0.9`)).toBe(' (X-Forwarded-For not an address list)');
    expect(forwardedFor(`${'0'.repeat(400)}1.2.3.4`)).toBe(' (X-Forwarded-For not an address list)');
  });

  it('leaves refusals rate-limited by the connecting (proxy) address, whatever the header says', () => {
    expect(remoteHost(carrierLabel(carrier('203.0.113.66')))).toBe('127.0.0.1');
    expect(remoteHost(carrierLabel(carrier('x (y)')))).toBe('127.0.0.1');
  });
});
