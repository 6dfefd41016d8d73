// Limit flags → core options: the core's defaults, units, ranges checked
// before the core sees them, and the flag hints added to log lines.
import { PassThrough } from 'node:stream';
import { DEFAULTS, MpxProtocolError, MpxServer, WireCode, type MpxError } from '@mpx/core';
import { describe, expect, it } from 'vitest';
import { LIMIT_DEFAULTS_TEXT, SERVER_DEFAULTS, limitHint, parseCount, serverLimits, sessionLimits } from '../src/limits.js';
import { formatBytes, formatDuration } from '../src/units.js';
import { usageErrorOf } from './usage-error.js';

/** The message of the MPX_TUNNEL_ERR_OPTION error `fn` throws. */
const message = (fn: () => unknown): string => usageErrorOf(fn, 'MPX_TUNNEL_ERR_OPTION').message;

describe('serverLimits', () => {
  it("uses the core's defaults when no flag is given", () => {
    expect(serverLimits({})).toEqual({
      maxSessions: 10_000,
      maxCarriersPerSession: 64,
      maxPendingHandshakes: 4096,
      maxStreams: DEFAULTS.maxStreams,
      handshakeTimeoutMs: DEFAULTS.handshakeTimeoutMs,
      maxFrame: DEFAULTS.maxFrame,
      streamWindow: DEFAULTS.streamWindow,
      sessionWindow: DEFAULTS.sessionWindow,
      streamIdleTimeoutMs: 0,
      pingIntervalMs: DEFAULTS.pingIntervalMs,
      deadAfterMs: DEFAULTS.deadAfterMs,
    });
    expect(SERVER_DEFAULTS).toEqual({ maxSessions: 10_000, maxCarriersPerSession: 64, maxPendingHandshakes: 4096 });
  });

  it('reads every flag with its units', () => {
    expect(
      serverLimits({
        maxSessions: '5',
        maxCarriersPerSession: '8',
        maxPendingHandshakes: '100',
        maxStreams: '2',
        handshakeTimeout: '1.5s',
        maxFrame: '16KiB',
        streamWindow: '256KiB',
        sessionWindow: '8MiB',
        streamIdleTimeout: '5m',
        pingInterval: '250ms',
        deadAfter: '2',
      }),
    ).toEqual({
      maxSessions: 5,
      maxCarriersPerSession: 8,
      maxPendingHandshakes: 100,
      maxStreams: 2,
      handshakeTimeoutMs: 1500,
      maxFrame: 16384,
      streamWindow: 262_144,
      sessionWindow: 8 * 1024 * 1024,
      streamIdleTimeoutMs: 300_000,
      pingIntervalMs: 250,
      deadAfterMs: 2000,
    });
  });

  it.each([
    [{ maxStreams: '0' }, "--max-streams must be a whole number from 1 to 2147483647, got '0'"],
    [{ maxSessions: 'many' }, "--max-sessions must be a whole number from 1 to 2147483647, got 'many'"],
    [{ maxCarriersPerSession: '1.5' }, /^--max-carriers-per-session must be a whole number/],
    [{ maxPendingHandshakes: '' }, /^--max-pending-handshakes must be a whole number/],
    [{ maxFrame: '512' }, /^--max-frame must be a whole number of bytes from 1KiB to /],
    [{ maxFrame: '16MiB' }, /^--max-frame must be a whole number of bytes from 1KiB to 16777215 /],
    [{ streamWindow: '1000' }, /^--stream-window must be a whole number of bytes from 1KiB/],
    [{ sessionWindow: '4GiB' }, /^--session-window must be a whole number of bytes .* to 4294967295/],
    [{ handshakeTimeout: '0' }, /^--handshake-timeout must be a duration from 1ms/],
    [{ pingInterval: '1ms' }, /^--ping-interval must be a duration from 10ms/],
    [{ streamIdleTimeout: '-1' }, /^--stream-idle-timeout must be a duration from 0/],
    [{ pingInterval: '2s', deadAfter: '2s' }, '--dead-after (2s) must be longer than --ping-interval (2s), or carriers are dropped between pings'],
  ])('refuses %j with one line naming the flag', (args, expected) => {
    expect(message(() => serverLimits(args))).toMatch(expected);
  });
});

describe('sessionLimits', () => {
  it('is the part both ends use, without the server-only limits', () => {
    expect(Object.keys(sessionLimits({ streamIdleTimeout: 30 })).sort()).toEqual([
      'deadAfterMs',
      'handshakeTimeoutMs',
      'maxFrame',
      'pingIntervalMs',
      'sessionWindow',
      'streamIdleTimeoutMs',
      'streamWindow',
    ]);
    expect(sessionLimits({ streamIdleTimeout: 30 }).streamIdleTimeoutMs).toBe(30_000);
  });
});

describe('parseCount', () => {
  it('takes whole numbers as text or numbers, and a lower bound', () => {
    expect([parseCount('n', '7'), parseCount('n', 7), parseCount('n', '0', 0)]).toEqual([7, 7, 0]);
    expect(message(() => parseCount('n', '1e3'))).toMatch(/got '1e3'/);
  });
});

describe('help and hints', () => {
  it("shows the core's defaults in the units the flags take", () => {
    expect(LIMIT_DEFAULTS_TEXT).toEqual({
      maxSessions: '10000',
      maxCarriersPerSession: '64',
      maxPendingHandshakes: '4096',
      maxStreams: String(DEFAULTS.maxStreams),
      maxFrame: formatBytes(DEFAULTS.maxFrame),
      sessionWindow: formatBytes(DEFAULTS.sessionWindow),
      streamWindow: formatBytes(DEFAULTS.streamWindow),
      handshakeTimeout: formatDuration(DEFAULTS.handshakeTimeoutMs),
      streamIdleTimeout: '0 (off)',
      pingInterval: formatDuration(DEFAULTS.pingIntervalMs),
      deadAfter: formatDuration(DEFAULTS.deadAfterMs),
    });
    // Each reads back as the default it shows.
    const shown = sessionLimits({
      maxFrame: LIMIT_DEFAULTS_TEXT.maxFrame,
      sessionWindow: LIMIT_DEFAULTS_TEXT.sessionWindow,
      streamWindow: LIMIT_DEFAULTS_TEXT.streamWindow,
      handshakeTimeout: LIMIT_DEFAULTS_TEXT.handshakeTimeout,
      pingInterval: LIMIT_DEFAULTS_TEXT.pingInterval,
      deadAfter: LIMIT_DEFAULTS_TEXT.deadAfter,
    });
    expect(shown).toEqual(sessionLimits({}));
  });

  it('names the flags behind a limit error code', () => {
    const hint = (code: string, on: 'carrier' | 'stream'): string => limitHint({ code }, on);
    expect(hint('MPX_ERR_LIMIT_EXCEEDED', 'stream')).toBe(' (--max-streams)');
    // Received from the server: one of its limits, which one the wire does not say.
    expect(hint('MPX_ERR_LIMIT_EXCEEDED', 'carrier')).toMatch(/--max-sessions, --max-carriers-per-session, --max-pending-handshakes/);
    expect(hint('MPX_ERR_IDLE_TIMEOUT', 'stream')).toBe(' (--stream-idle-timeout)');
    expect(hint('MPX_ERR_IDLE_TIMEOUT', 'carrier')).toBe(' (nothing heard for --dead-after)');
    expect(hint('MPX_ERR_FRAME_TOO_LARGE', 'carrier')).toBe(' (--max-frame)');
    expect(hint('MPX_ERR_HANDSHAKE_TIMEOUT', 'carrier')).toBe(' (--handshake-timeout)');
    expect(hint('MPX_ERR_AUTH_FAILED', 'carrier')).toBe('');
    expect(limitHint(undefined, 'stream')).toBe('');
  });

  it('names only the flag of the limit the core says was hit', () => {
    const refusals: MpxError[] = [];
    const server = new MpxServer({ maxPendingHandshakes: 1 });
    server.on('carrierError', (err: MpxError) => refusals.push(err));
    const [held, refused] = [new PassThrough(), new PassThrough()];
    server.admitConnection(held);
    server.admitConnection(refused);
    expect(refusals).toHaveLength(1);
    expect(limitHint(refusals[0], 'carrier')).toBe(' (--max-pending-handshakes)');
    server.close();
    held.destroy();
    const tooBig = new MpxProtocolError(WireCode.FRAME_TOO_LARGE, 'HELLO: length 2000 above max frame 1024', { limit: 'handshakeFrame' });
    expect(limitHint(tooBig, 'carrier')).toBe(' (handshake frames are limited to 1KiB, whatever --max-frame says)');
    for (const limit of ['maxSessions', 'maxCarriersPerSession'] as const) {
      const err = new MpxProtocolError(WireCode.LIMIT_EXCEEDED, 'refused', { limit });
      expect(limitHint(err, 'carrier')).toBe(limit === 'maxSessions' ? ' (--max-sessions)' : ' (--max-carriers-per-session)');
    }
  });
});
