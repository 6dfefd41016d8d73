// <addr> parsing: every scheme, IPv6, defaults, weights, and the errors.
import { describe, expect, it } from 'vitest';
import { formatAddress, isLoopback, parseAddress, parseServerList, parseWeightedAddress } from '../src/address.js';
import { usageErrorOf } from './usage-error.js';

describe('parseAddress', () => {
  it('reads host:port as TCP (the fregie/mpx spelling)', () => {
    expect(parseAddress('10.0.0.1:5512')).toEqual({ scheme: 'tcp', host: '10.0.0.1', port: 5512, path: '' });
  });

  it('reads tcp:// and tls:// with host names', () => {
    expect(parseAddress('tcp://example.com:80')).toEqual({ scheme: 'tcp', host: 'example.com', port: 80, path: '' });
    expect(parseAddress('tls://vpn.example.com:443')).toEqual({ scheme: 'tls', host: 'vpn.example.com', port: 443, path: '' });
  });

  it('reads ws:// and wss:// with path and query, defaulting port and path', () => {
    expect(parseAddress('ws://h:8080/mpx?x=1')).toEqual({ scheme: 'ws', host: 'h', port: 8080, path: '/mpx?x=1' });
    expect(parseAddress('ws://h')).toEqual({ scheme: 'ws', host: 'h', port: 80, path: '/' });
    expect(parseAddress('wss://cdn.example.com/tunnel')).toEqual({ scheme: 'wss', host: 'cdn.example.com', port: 443, path: '/tunnel' });
  });

  it('reads bracketed IPv6 literals in every scheme', () => {
    expect(parseAddress('[::1]:5512')).toEqual({ scheme: 'tcp', host: '::1', port: 5512, path: '' });
    expect(parseAddress('tls://[2001:db8::2]:443').host).toBe('2001:db8::2');
    expect(parseAddress('wss://[::1]/p')).toEqual({ scheme: 'wss', host: '::1', port: 443, path: '/p' });
  });

  it('takes the scheme case-insensitively and trims white space', () => {
    expect(parseAddress('  WS://h:1/x ').scheme).toBe('ws');
  });

  it('accepts an empty host and port 0 only for listening', () => {
    expect(parseAddress(':5512', { listen: true })).toEqual({ scheme: 'tcp', host: '', port: 5512, path: '' });
    expect(parseAddress('127.0.0.1:0', { listen: true }).port).toBe(0);
    expect(usageErrorOf(() => parseAddress(':5512')).message).toMatch(/host is missing/);
    expect(usageErrorOf(() => parseAddress('127.0.0.1:0')).message).toMatch(/out of range \(1–65535\)/);
  });

  it.each([
    ['', /empty/],
    ['5512', /port is missing/],
    ['host:', /port is missing/],
    ['tcp://host', /port is missing/],
    ['host:http', /not a port number/],
    ['host:70000', /out of range/],
    ['http://host:80', /unsupported scheme 'http'/],
    ['::1:5512', /IPv6 address must be written in brackets/],
    ['[::1:5512', /missing '\]'/],
    ['[example.com]:1', /not an IPv6 address/],
    ['[::1]x', /unexpected 'x'/],
    ['tcp://h:1/path', /takes no path/],
    ['bad_host!:1', /not a valid host name/],
    ['user@h:1', /user information/],
    ['ws://h/a b', /white space/],
    ['ws://127.0.0.1:30200/tunnel#frag', /a WebSocket URL takes no fragment/],
    ['ws://h/caf\u00e9', /must be percent-encoded/],
  ])('rejects %j with a message naming the problem', (text, why) => {
    const err = usageErrorOf(() => parseAddress(text));
    expect(err.code).toBe('MPX_TUNNEL_ERR_ADDRESS');
    expect(err.message).toMatch(why);
  });
});

describe('parseWeightedAddress', () => {
  it('defaults the weight to 1 and reads |weight', () => {
    expect(parseWeightedAddress('a:1').weight).toBe(1);
    expect(parseWeightedAddress('ws://a/x|7')).toMatchObject({ scheme: 'ws', path: '/x', weight: 7 });
  });

  it.each(['a:1|0', 'a:1|65536', 'a:1|x', 'a:1|', 'a:1|1.5'])('rejects the weight in %j', (text) => {
    expect(usageErrorOf(() => parseWeightedAddress(text)).code).toBe('MPX_TUNNEL_ERR_WEIGHT');
  });
});

describe('parseServerList', () => {
  it('reads the fregie/mpx list and mixed schemes', () => {
    const list = parseServerList('public-ip-1:5512|2,public-ip-2:6666|2');
    expect(list.map((a) => [a.host, a.port, a.weight])).toEqual([
      ['public-ip-1', 5512, 2],
      ['public-ip-2', 6666, 2],
    ]);
    const mixed = parseServerList('tls://a:443|2, ws://b/mpx ,[::1]:9');
    expect(mixed.map((a) => [a.scheme, a.weight])).toEqual([
      ['tls', 2],
      ['ws', 1],
      ['tcp', 1],
    ]);
  });

  it('joins repeated --server flags and skips empty entries', () => {
    expect(parseServerList(['a:1,', 'b:2']).map((a) => a.host)).toEqual(['a', 'b']);
  });

  it('rejects an empty list', () => {
    expect(usageErrorOf(() => parseServerList(' , ')).message).toMatch(/server list is empty/);
  });
});

describe('formatAddress and isLoopback', () => {
  it('formats canonically with brackets for IPv6', () => {
    expect(formatAddress(parseAddress('[::1]:5'))).toBe('tcp://[::1]:5');
    expect(formatAddress(parseAddress('wss://h/p'))).toBe('wss://h:443/p');
  });

  it('tells loopback from exposed hosts', () => {
    expect(['127.0.0.1', '127.1.2.3', '::1', 'localhost'].map(isLoopback)).toEqual([true, true, true, true]);
    expect(['', '0.0.0.0', '::', '10.0.0.1', 'example.com'].map(isLoopback)).toEqual([false, false, false, false, false]);
  });
});
