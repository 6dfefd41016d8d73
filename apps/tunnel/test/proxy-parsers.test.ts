import { describe, expect, it } from 'vitest';
import { AllowList, parseAllowRule } from '../src/allow.js';
import { httpReply, parseConnectHead } from '../src/http-connect.js';
import { ProxyError } from '../src/proxy-error.js';
import { proxyReplyFor } from '../src/proxy-listener.js';
import { chooseMethod, parseGreeting, parseRequest, parseUserPass, SocksMethod, socksReply } from '../src/socks5.js';
import { usageErrorOf } from './usage-error.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

function proxyErrorOf(fn: () => unknown): ProxyError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ProxyError) return err;
    throw err;
  }
  throw new Error('expected a ProxyError');
}

describe('SOCKS5 handshake (RFC 1928, 1929)', () => {
  it('parses the greeting only once it is complete', () => {
    expect(parseGreeting(hex('05 02 00'))).toBeUndefined();
    expect(parseGreeting(hex('05 02 00 02 ff'))).toEqual({ value: [0, 2], used: 4 });
    expect(proxyErrorOf(() => parseGreeting(hex('04 01 00'))).reply).toBeUndefined();
  });

  it('chooses no authentication, or username/password when the listener has credentials', () => {
    expect(chooseMethod([0, 2], false)).toBe(SocksMethod.NONE);
    expect(chooseMethod([0, 2], true)).toBe(SocksMethod.USER_PASS);
    expect(chooseMethod([2], false)).toBe(SocksMethod.NO_ACCEPTABLE);
    expect(chooseMethod([0], true)).toBe(SocksMethod.NO_ACCEPTABLE);
  });

  it('parses username/password', () => {
    expect(parseUserPass(hex('01 02 6d65 06 736563726574'))).toEqual({ value: { user: 'me', pass: 'secret' }, used: 11 });
    expect(parseUserPass(hex('01 02 6d65 06 7365'))).toBeUndefined();
  });

  it('parses CONNECT to a name, IPv4 and IPv6, split anywhere', () => {
    const name = hex('05 01 00 03 0b 6578616d706c652e636f6d 01bb');
    for (let cut = 0; cut < name.length; cut++) expect(parseRequest(name.subarray(0, cut))).toBeUndefined();
    expect(parseRequest(Buffer.concat([name, hex('ff')]))).toEqual({ value: { host: 'example.com', port: 443 }, used: name.length });
    expect(parseRequest(hex('05 01 00 01 0a000001 0050'))?.value).toEqual({ host: '10.0.0.1', port: 80 });
    expect(parseRequest(hex(`05 01 00 04 ${'00'.repeat(15)}01 0016`))?.value).toEqual({ host: '0:0:0:0:0:0:0:1', port: 22 });
  });

  it('answers BIND and UDP ASSOCIATE with 0x07 and unknown address types with 0x08', () => {
    expect(proxyErrorOf(() => parseRequest(hex('05 02 00 01 0a000001 0050'))).reply).toBe(0x07);
    expect(proxyErrorOf(() => parseRequest(hex('05 03 00 01 0a000001 0050'))).reply).toBe(0x07);
    expect(proxyErrorOf(() => parseRequest(hex('05 01 00 09 0a000001 0050'))).reply).toBe(0x08);
  });

  it('maps the server refusals to reply codes and HTTP statuses', () => {
    expect(proxyReplyFor('MPX_ERR_NOT_ALLOWED')).toEqual({ socks: 0x02, http: 403 });
    expect(proxyReplyFor('MPX_ERR_TARGET_UNREACHABLE')).toEqual({ socks: 0x04, http: 502 });
    expect(proxyReplyFor('MPX_ERR_STREAM_REFUSED')).toEqual({ socks: 0x05, http: 502 });
    expect(proxyReplyFor('MPX_ERR_SESSION_EXPIRED')).toEqual({ socks: 0x01, http: 502 });
    expect(socksReply(0x02)).toEqual(hex('05 02 00 01 00000000 0000'));
  });
});

describe('HTTP CONNECT request', () => {
  const head = (text: string): Buffer => Buffer.from(text.replaceAll('\n', '\r\n'), 'latin1');

  it('waits for the end of the head, then parses target and Basic credentials', () => {
    expect(parseConnectHead(head('CONNECT example.com:443 HTTP/1.1\nHost: example.com:443\n'))).toBeUndefined();
    const full = head('CONNECT example.com:443 HTTP/1.1\nHost: example.com:443\nProxy-Authorization: Basic bWU6c2VjcmV0\n\nextra');
    expect(parseConnectHead(full)).toEqual({
      value: { target: { host: 'example.com', port: 443 }, auth: { user: 'me', pass: 'secret' } },
      used: full.length - 5,
    });
    expect(parseConnectHead(head('CONNECT [::1]:22 HTTP/1.0\n\n'))?.value.target).toEqual({ host: '::1', port: 22 });
  });

  it('answers other methods with 405 and bad targets with 400', () => {
    expect(proxyErrorOf(() => parseConnectHead(head('GET http://a/ HTTP/1.1\n\n'))).reply).toBe(405);
    for (const target of ['example.com', 'example.com:0', 'example.com:99999', '::1:22', '[::1]22']) {
      expect(proxyErrorOf(() => parseConnectHead(head(`CONNECT ${target} HTTP/1.1\n\n`))).reply).toBe(400);
    }
    expect(proxyErrorOf(() => parseConnectHead(Buffer.alloc(20_000, 0x41))).reply).toBe(431);
  });

  it('writes 200 without a body, errors with one, 407 with Proxy-Authenticate', () => {
    expect(httpReply(200).toString()).toBe('HTTP/1.1 200 Connection established\r\n\r\n');
    expect(httpReply(403, 'not allowed').toString()).toMatch(/^HTTP\/1\.1 403 Forbidden\r\n[^]*Content-Length: 12\r\n[^]*\r\n\r\nnot allowed\n$/);
    expect(httpReply(407).toString()).toMatch(/Proxy-Authenticate: Basic/);
  });
});

describe('--allow rules', () => {
  const list = (...rules: string[]): AllowList => new AllowList(rules.map(parseAllowRule));

  it('matches networks against addresses, names against names, and ports', () => {
    const allow = list('10.0.0.0/8:443', '[2001:db8::/32]:22', 'example.com:*', '*.internal:80-89', '192.168.1.7:5432');
    expect(allow.allowsRequested('10.1.2.3', 443)?.text).toBe('10.0.0.0/8:443');
    expect(allow.allowsRequested('10.1.2.3', 444)).toBeUndefined();
    expect(allow.allowsRequested('11.0.0.1', 443)).toBeUndefined();
    expect(allow.allowsRequested('2001:db8::9', 22)).toBeDefined();
    expect(allow.allowsRequested('EXAMPLE.com', 1)).toBeDefined();
    expect(allow.allowsRequested('www.example.com', 1)).toBeUndefined();
    expect(allow.allowsRequested('db.internal', 85)).toBeDefined();
    expect(allow.allowsRequested('internal', 85)).toBeUndefined();
    expect(allow.allowsRequested('192.168.1.7', 5432)).toBeDefined();
    // A name is checked against network rules only once the server resolved it.
    expect(allow.allowsRequested('ten.example', 443)).toBeUndefined();
    expect(allow.allowsResolved('10.9.9.9', 443)).toBeDefined();
    expect(allow.allowsResolved('10.9.9.9', 80)).toBeUndefined();
    expect(allow.hasNetworkRuleFor(443)).toBe(true);
    expect(allow.hasNetworkRuleFor(80)).toBe(false);
  });

  it('lets * match any name and address, and refuses everything when empty', () => {
    expect(list('*:443').allowsRequested('1.2.3.4', 443)).toBeDefined();
    expect(list('*:*').allowsRequested('anything.example', 9)).toBeDefined();
    expect(list().allowsRequested('1.2.3.4', 443)).toBeUndefined();
  });

  it('names the rule in every error', () => {
    for (const [rule, why] of [
      ['10.0.0.0/33:1', /prefix length must be 0-32/],
      ['::1:22', /must be written in brackets/],
      ['example.com', /the port is missing/],
      ['example.com:0', /is not a port/],
      ['example.com:9-1', /is not a port/],
      ['ex ample.com:1', /is not a host name/],
      ['example.com/8:1', /takes no \/prefix/],
    ] as const) {
      expect(usageErrorOf(() => parseAllowRule(rule), 'MPX_TUNNEL_ERR_OPTION').message).toMatch(new RegExp(`--allow '${rule.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}': .*${why.source}`));
    }
  });
});
