// Flags to settings: keys, headers, TLS files, units and the errors that name the flag.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULTS } from '@mpx/core';
import { describe, expect, it } from 'vitest';
import { clientConfig, commonConfig, parseHeader, relayConfig, resolveKey, serverConfig, type RawArgs } from '../src/config.js';
import { MAX_KEY_FILE_BYTES } from '../src/key-file.js';
import { tlsFixturePath } from '@mpx/testkit';
import { usageErrorOf } from './usage-error.js';

const quiet = (): void => {};
const common = (args: RawArgs = {}, env = {}) => commonConfig(args, env, quiet);

describe('resolveKey', () => {
  it('prefers --key, then --key-file without its trailing newline, then MPX_KEY', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mpx-key-'));
    const file = join(dir, 'k');
    writeFileSync(file, 'from file\r\n');
    expect(resolveKey({ key: 'flag' }, { MPX_KEY: 'env' })).toBe('flag');
    expect(resolveKey({ keyFile: file }, { MPX_KEY: 'env' })).toEqual(Buffer.from('from file'));
    expect(resolveKey({}, { MPX_KEY: 'env' })).toBe('env');
    expect(resolveKey({}, { MPX_KEY: '' })).toBeUndefined();
  });

  it('refuses an empty key and an unreadable key file', () => {
    expect(usageErrorOf(() => resolveKey({ key: '' }, {})).message).toBe('--key is empty');
    expect(usageErrorOf(() => resolveKey({ keyFile: '/nonexistent/key' }, {})).code).toBe('MPX_TUNNEL_ERR_FILE');
  });

  it('refuses a named pipe with no writer at once instead of waiting for one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mpx-key-'));
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    expect(usageErrorOf(() => resolveKey({ keyFile: fifo }, {}), 'MPX_TUNNEL_ERR_FILE').message).toBe(
      `--key-file file '${fifo}' is a named pipe; it must be a regular file of at most ${MAX_KEY_FILE_BYTES} bytes`,
    );
  });

  it.each([
    ['/dev/zero', 'a character device'],
    [tmpdir(), 'a directory'],
  ])('refuses %s (%s) without reading it', (path, kind) => {
    expect(usageErrorOf(() => resolveKey({ keyFile: path }, {}), 'MPX_TUNNEL_ERR_FILE').message).toContain(`is ${kind};`);
  });

  it('reads a key file of exactly the limit and refuses one byte more', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mpx-key-'));
    const atLimit = join(dir, 'at-limit');
    const over = join(dir, 'over');
    writeFileSync(atLimit, 'k'.repeat(MAX_KEY_FILE_BYTES));
    writeFileSync(over, 'k'.repeat(MAX_KEY_FILE_BYTES + 1));
    expect(resolveKey({ keyFile: atLimit }, {})).toEqual(Buffer.from('k'.repeat(MAX_KEY_FILE_BYTES)));
    expect(usageErrorOf(() => resolveKey({ keyFile: over }, {}), 'MPX_TUNNEL_ERR_FILE').message).toBe(
      `--key-file file '${over}' has ${MAX_KEY_FILE_BYTES + 1} bytes; it must be a regular file of at most ${MAX_KEY_FILE_BYTES} bytes`,
    );
  });
});

describe('parseHeader', () => {
  it('splits "Name: value" at the first colon', () => {
    expect(parseHeader('Authorization: Bearer a:b')).toEqual(['Authorization', 'Bearer a:b']);
  });

  it.each(['no colon', ': value', 'Bad Name: v'])('refuses %j', (text) => {
    expect(usageErrorOf(() => parseHeader(text)).code).toBe('MPX_TUNNEL_ERR_OPTION');
  });

  it('refuses a value with a control character at start, showing it escaped on one line', () => {
    expect(usageErrorOf(() => parseHeader('X-Bad: a\x01b'), 'MPX_TUNNEL_ERR_OPTION').message).toBe(
      "--header 'X-Bad: a\\x01b': the value holds a character not allowed in an HTTP header (a control character, or one above \\xff)",
    );
    expect(usageErrorOf(() => parseHeader('X-Bad: a\nInjected: 1')).message).toMatch(/^--header 'X-Bad: a\\x0aInjected: 1': /);
    expect(usageErrorOf(() => parseHeader('X-Bad: \u2603')).message).toMatch(/\\u\{2603\}/);
    expect(parseHeader('X-Tab: a\tb')).toEqual(['X-Tab', 'a\tb']);
  });
});

describe('commonConfig', () => {
  it('converts seconds to milliseconds and applies defaults', () => {
    const c = common({ connectTimeout: 2.5, stats: '10s' });
    expect([c.connectTimeoutMs, c.drainTimeoutMs, c.graceMs, c.statsSeconds, c.metrics, c.key]).toEqual([
      2500,
      5000,
      undefined,
      10,
      undefined,
      undefined,
    ]);
    expect(common({ grace: 0.5 }).graceMs).toBe(500);
    expect(common({ grace: '750ms', drainTimeout: '2' }).graceMs).toBe(750);
    expect(common({ drainTimeout: '2' }).drainTimeoutMs).toBe(2000);
  });

  it('reads TLS files, headers and the WebSocket Host override', () => {
    const c = common({
      tlsCert: tlsFixturePath('localhost-cert.pem'),
      tlsKey: tlsFixturePath('localhost-key.pem'),
      wsHost: 'cdn.example.com',
      header: ['X-A: 1', 'X-B: 2'],
      insecure: true,
    });
    expect(c.transport.tlsCert?.toString()).toMatch(/BEGIN CERTIFICATE/);
    expect(c.transport).toMatchObject({ wsHost: 'cdn.example.com', headers: { 'X-A': '1', 'X-B': '2' }, insecure: true });
  });

  it('reads --ws-max-message as a size within 1KiB to 1MiB, unset by default', () => {
    expect(common({ wsMaxMessage: '64KiB' }).transport.wsMaxMessage).toBe(65536);
    expect(common({ wsMaxMessage: 1024 }).transport.wsMaxMessage).toBe(1024);
    expect(common().transport.wsMaxMessage).toBeUndefined();
    expect(usageErrorOf(() => common({ wsMaxMessage: '2MiB' }), 'MPX_TUNNEL_ERR_OPTION').message).toBe(
      "--ws-max-message must be a whole number of bytes from 1KiB to 1MiB (e.g. 65536, 64KiB, 8MiB), got '2MiB'",
    );
    expect(usageErrorOf(() => common({ wsMaxMessage: '100' })).message).toMatch(/^--ws-max-message must be/);
  });

  it('names the bad flag', () => {
    expect(usageErrorOf(() => common({ tlsCert: tlsFixturePath('localhost-cert.pem') })).message).toBe('--tls-cert and --tls-key go together');
    expect(usageErrorOf(() => common({ connectTimeout: 0 })).message).toMatch(/--connect-timeout must be a duration from 1ms/);
    expect(usageErrorOf(() => common({ metrics: 'ws://h:1/x' })).message).toMatch(/--metrics takes host:port/);
  });
});

describe('command settings', () => {
  it('server: several --listen (also comma-separated) and a TCP --target', () => {
    const c = serverConfig(common(), { listen: ['tcp://0.0.0.0:1,ws://:2/x', 'tls://[::]:3'], target: '127.0.0.1:8488' });
    expect(c.listen.map((a) => [a.scheme, a.host, a.port])).toEqual([
      ['tcp', '0.0.0.0', 1],
      ['ws', '', 2],
      ['tls', '::', 3],
    ]);
    expect(usageErrorOf(() => serverConfig(common(), { listen: ':1', target: 'ws://h/x' })).message).toMatch(/--target takes host:port/);
  });

  it('client: one --listen, the weighted server list, -p and carrier age', () => {
    const c = clientConfig(common(), { listen: '127.0.0.1:5513', server: ['a:1|2', 'ws://b/x'], carriers: 4, maxCarrierAge: 60 });
    expect(c.servers.map((s) => s.weight)).toEqual([2, 1]);
    expect([c.carriersPerServer, c.maxCarrierAgeMs]).toEqual([4, 60_000]);
    // The core's defaults unless a flag says otherwise.
    expect(c.limits).toEqual({
      handshakeTimeoutMs: DEFAULTS.handshakeTimeoutMs,
      maxFrame: DEFAULTS.maxFrame,
      streamWindow: DEFAULTS.streamWindow,
      sessionWindow: DEFAULTS.sessionWindow,
      streamIdleTimeoutMs: 0,
      pingIntervalMs: DEFAULTS.pingIntervalMs,
      deadAfterMs: DEFAULTS.deadAfterMs,
    });
    expect(clientConfig(common(), { listen: ':1', server: 'a:1', streamWindow: '1MiB', deadAfter: '10s' }).limits).toMatchObject({
      streamWindow: 1024 * 1024,
      deadAfterMs: 10_000,
    });
    expect(usageErrorOf(() => clientConfig(common(), { listen: [':1', ':2'], server: 'a:1' })).message).toMatch(/exactly one --listen/);
    expect(usageErrorOf(() => clientConfig(common(), { listen: ':1', server: 'a:1', carriers: 0 })).message).toMatch(/-p/);
    // What the user wrote comes back in the error (yargs used to hand over NaN).
    expect(usageErrorOf(() => clientConfig(common(), { listen: ':1', server: 'a:1', carriers: 'abc' })).message).toMatch(/got 'abc'$/);
    expect(usageErrorOf(() => clientConfig(common(), { listen: ':1', server: 'a:1', carriers: '2.5' })).message).toMatch(/got '2\.5'$/);
    expect(clientConfig(common(), { listen: ':1', server: 'a:1', carriers: ' 3 ' }).carriersPerServer).toBe(3);
  });

  it('server: --allow rules, with or without --target; one of them is required', () => {
    const c = serverConfig(common(), { listen: ':1', allow: ['10.0.0.0/8:443', 'example.com:*'] });
    expect([c.target, c.allow.rules.map((r) => r.text)]).toEqual([undefined, ['10.0.0.0/8:443', 'example.com:*']]);
    expect(serverConfig(common(), { listen: ':1', target: 'h:2' }).allow.empty).toBe(true);
    expect(usageErrorOf(() => serverConfig(common(), { listen: ':1' })).message).toMatch(/--target is required \(or --allow/);
  });

  it('client: a socks5:// or http:// --listen is a proxy, with optional credentials', () => {
    expect(clientConfig(common(), { listen: 'socks5://127.0.0.1:1080', server: 'a:1' })).toMatchObject({
      listen: { host: '127.0.0.1', port: 1080 },
      proxy: { kind: 'socks5', credentials: undefined },
    });
    expect(clientConfig(common(), { listen: 'http://me:p%40ss@[::1]:8080', server: 'a:1' })).toMatchObject({
      listen: { host: '::1', port: 8080 },
      proxy: { kind: 'http', credentials: { user: 'me', pass: 'p@ss' } },
    });
    expect(clientConfig(common(), { listen: '127.0.0.1:1', server: 'a:1' }).proxy).toBeUndefined();
    expect(usageErrorOf(() => clientConfig(common(), { listen: 'http://127.0.0.1:1/x', server: 'a:1' })).message).toMatch(/takes no path/);
  });

  it('relay: any address to any address', () => {
    const c = relayConfig(common(), { listen: ':6666', to: 'wss://h/x' });
    expect([c.listen[0]?.port, c.to.scheme]).toEqual([6666, 'wss']);
  });
});
