import { describe, it, expect } from 'vitest';
import { formatRate, parseDuration, parseRate } from '../src/units.js';
import { parseCliArgs, parseHostPort } from '../src/args.js';
import { NetemArgError } from '../src/errors.js';

describe('parseRate', () => {
  it.each([
    ['20mbit', 2_500_000],
    ['20Mbit', 2_500_000],
    ['1gbit', 125_000_000],
    ['64kbit', 8000],
    ['800bit', 100],
    ['1.5mbit/s', 187_500],
    ['100B', 100],
    ['2KB', 2000],
    ['2kB', 2000],
    ['2.5MB', 2_500_000],
    ['1GB', 1e9],
    ['1KiB', 1024],
    ['8MiB/s', 8 * 1024 * 1024],
    ['1GiB', 1024 ** 3],
    [' 10 mbit ', 1_250_000],
  ])('parses %j as %d bytes per second', (text, expected) => {
    expect(parseRate(text)).toBeCloseTo(expected, 6);
  });

  it.each(['20', '20mb', '20Mb', 'mbit', '-1mbit', '0mbit', '1.2.3mbit', '20 furlongs', '', '1e3mbit'])(
    'rejects %j with a NETEM_ERR_BAD_ARG error',
    (text) => {
      expect(() => parseRate(text)).toThrow(NetemArgError);
      try {
        parseRate(text);
      } catch (err) {
        expect((err as NetemArgError).code).toBe('NETEM_ERR_BAD_ARG');
      }
    },
  );
});

describe('parseDuration', () => {
  it.each([
    ['20ms', 20],
    ['1.5s', 1500],
    ['0', 0],
    ['0ms', 0],
    ['250 ms', 250],
  ])('parses %j as %d ms', (text, expected) => {
    expect(parseDuration(text)).toBe(expected);
  });

  it.each(['20', '5m', 'ms', '-5ms', '1h'])('rejects %j', (text) => {
    expect(() => parseDuration(text)).toThrow(NetemArgError);
  });
});

describe('formatRate', () => {
  it('formats in bits per second', () => {
    expect(formatRate(2_500_000)).toBe('20 Mbit/s');
    expect(formatRate(125_000_000)).toBe('1 Gbit/s');
    expect(formatRate(8000)).toBe('64 kbit/s');
    expect(formatRate(Infinity)).toBe('unlimited');
  });
});

describe('parseCliArgs', () => {
  it('parses the documented example', () => {
    const o = parseCliArgs(
      '--listen 127.0.0.1:7001 --target 127.0.0.1:5512 --rate 20mbit --path-rate 50mbit --delay 20ms --setup-delay 30ms'.split(' '),
    );
    expect(o.path).toEqual({
      listenHost: '127.0.0.1',
      listenPort: 7001,
      target: { host: '127.0.0.1', port: 5512 },
      perConnectionRate: 2_500_000,
      pathRate: 6_250_000,
      delayMs: 20,
      setupDelayMs: 30,
    });
    expect(o.help).toBe(false);
  });

  it('parses the jitter and how long each draw holds', () => {
    const o = parseCliArgs(['--target', '127.0.0.1:1', '--delay', '10ms', '--jitter', '5ms', '--jitter-every', '20ms']);
    expect(o.path.delayMs).toBe(10);
    expect(o.path.jitter).toEqual({ ms: 5, everyMs: 20 });
    expect(parseCliArgs(['--target', '127.0.0.1:1', '--jitter', '5ms']).path.jitter).toEqual({ ms: 5 });
  });

  it('accepts a bare listen port and bracketed IPv6 hosts', () => {
    const o = parseCliArgs(['--listen', '7001', '--target', '[::1]:80', '--stats', '1s']);
    expect(o.path.listenHost).toBe('127.0.0.1');
    expect(o.path.listenPort).toBe(7001);
    expect(o.path.target).toEqual({ host: '::1', port: 80 });
    expect(o.statsIntervalMs).toBe(1000);
    expect(parseHostPort('target', 'localhost:8080')).toEqual({ host: 'localhost', port: 8080 });
  });

  it.each([
    [[], /missing --target/],
    [['--target', '127.0.0.1'], /bad --target/],
    [['--target', '127.0.0.1:0'], /port must be/],
    [['--target', '127.0.0.1:99999'], /bad --target/],
    [['--target', '127.0.0.1:1', '--rate', '20'], /bad rate/],
    [['--target', '127.0.0.1:1', '--delay', 'soon'], /bad duration/],
    [['--target', '127.0.0.1:1', '--bogus'], /bogus/],
    [['--target', '127.0.0.1:1', '--jitter-every', '5ms'], /needs --jitter/],
    [['--target', '127.0.0.1:1', '--jitter', '5ms', '--jitter-every', '0ms'], /--jitter-every/],
    [['--target', '127.0.0.1:1', 'extra'], /extra/],
  ])('rejects %j with one clear message', (argv, message) => {
    expect(() => parseCliArgs(argv)).toThrow(message);
    expect(() => parseCliArgs(argv)).toThrow(NetemArgError);
  });
});
