// Sizes and durations with unit suffixes, and the errors that name the flag.
import { describe, expect, it } from 'vitest';
import { formatBytes, formatDuration, parseBytes, parseDuration } from '../src/units.js';
import { usageErrorOf } from './usage-error.js';

/** The message of the MPX_TUNNEL_ERR_OPTION error `fn` throws. */
const message = (fn: () => unknown): string => usageErrorOf(fn, 'MPX_TUNNEL_ERR_OPTION').message;

const ANY = { min: 0, max: Number.MAX_SAFE_INTEGER };

describe('parseBytes', () => {
  it.each([
    ['65536', 65536],
    ['512B', 512],
    ['64KiB', 65536],
    ['64k', 65536],
    ['64K', 65536],
    ['64kb', 64_000],
    ['8MiB', 8 * 1024 * 1024],
    ['8m', 8 * 1024 * 1024],
    ['1.5MiB', 1.5 * 1024 * 1024],
    ['2MB', 2_000_000],
    ['1GiB', 1024 ** 3],
    [' 16 KiB ', 16 * 1024],
  ])('reads %j as %d bytes', (text, bytes) => {
    expect(parseBytes('max-frame', text, ANY)).toBe(bytes);
  });

  it('takes numbers as bytes', () => {
    expect(parseBytes('max-frame', 4096, ANY)).toBe(4096);
  });

  it.each(['', 'big', '-1', '1.5', '0.1KiB', '8 MiB x', '8Mbit', '1e3', '0x10'])('refuses %j, naming the flag', (text) => {
    expect(message(() => parseBytes('stream-window', text, ANY))).toMatch(/^--stream-window must be a whole number of bytes .* got '/);
  });

  it('refuses values outside the range, showing it in units', () => {
    expect(message(() => parseBytes('max-frame', '512', { min: 1024, max: 16 * 1024 * 1024 }))).toBe(
      "--max-frame must be a whole number of bytes from 1KiB to 16MiB (e.g. 65536, 64KiB, 8MiB), got '512'",
    );
    expect(message(() => parseBytes('max-frame', '17MiB', { min: 1024, max: 16 * 1024 * 1024 }))).toMatch(/got '17MiB'$/);
  });
});

describe('parseDuration', () => {
  it.each([
    ['10', 10_000],
    ['2.5', 2500],
    ['500ms', 500],
    ['4s', 4000],
    ['0.5s', 500],
    ['2m', 120_000],
    ['2min', 120_000],
    ['1h', 3_600_000],
    ['0', 0],
    ['1.0004ms', 1],
  ])('reads %j as %d ms', (text, ms) => {
    expect(parseDuration('dead-after', text, { min: 0, max: 2 ** 31 })).toBe(ms);
  });

  it('takes numbers as seconds', () => {
    expect(parseDuration('grace', 1.5, { min: 0, max: 2 ** 31 })).toBe(1500);
  });

  it.each(['', 'soon', '-1', '4 seconds', '1d', 'ms'])('refuses %j, naming the flag', (text) => {
    expect(message(() => parseDuration('handshake-timeout', text, { min: 1, max: 2 ** 31 }))).toMatch(
      /^--handshake-timeout must be a duration from 1ms, in seconds or with a unit \(e\.g\. 10, 2\.5s, 500ms\), got '/,
    );
  });

  it('refuses values below the minimum or above a maximum it shows', () => {
    expect(message(() => parseDuration('ping-interval', '5ms', { min: 10, max: 2 ** 31 }))).toMatch(/from 10ms, .* got '5ms'$/);
    expect(message(() => parseDuration('x', '2m', { min: 0, max: 60_000 }))).toMatch(/from 0 to 60s, .* got '2m'$/);
    expect(message(() => parseDuration('x', Number.NaN, { min: 0, max: 1000 }))).toMatch(/got 'NaN'$/);
  });
});

describe('formatting for help and errors', () => {
  it('shows bytes in the largest binary unit that divides them', () => {
    expect([formatBytes(65536), formatBytes(8 * 1024 * 1024), formatBytes(1024 ** 3), formatBytes(1000), formatBytes(1536)]).toEqual([
      '64KiB',
      '8MiB',
      '1GiB',
      '1000',
      '1536',
    ]);
  });

  it('shows durations in ms below a second, else in seconds', () => {
    expect([formatDuration(0), formatDuration(500), formatDuration(4000), formatDuration(1500)]).toEqual(['0', '500ms', '4s', '1.5s']);
  });
});
