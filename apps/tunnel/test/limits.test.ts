// Limit flags → core options: the core's defaults, units, ranges checked
// before the core sees them, and the flag hints added to log lines.
import { PassThrough } from 'node:stream';
import {
  DEFAULTS,
  MpxConfigError,
  MpxError,
  GapBudget,
  MpxProtocolError,
  MpxServer,
  SERVER_BOUNDS,
  SESSION_BOUNDS,
  SESSION_RULES,
  WireCode,
  type MpxErrorCode,
} from '@mpx/core';
import { describe, expect, it } from 'vitest';
import {
  LIMIT_DEFAULTS_TEXT,
  SERVER_DEFAULTS,
  SERVER_LIMIT_FLAGS,
  SESSION_LIMIT_FLAGS,
  flagName,
  helpText,
  limitHint,
  type LimitFlag,
  type RawLimitArgs,
  parseCount,
  serverLimits,
  sessionLimits,
  usageErrorFromConfig,
} from '../src/limits.js';
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

describe("the core's bounds behind every limit flag", () => {
  const flags = [...SESSION_LIMIT_FLAGS, ...SERVER_LIMIT_FLAGS];

  it('covers every session and server option the tunnel passes, each once', () => {
    expect(flags.map((f) => f.option).sort()).toEqual(Object.keys(serverLimits({})).sort());
    for (const f of flags) expect(f.bound).toBe({ ...SESSION_BOUNDS, ...SERVER_BOUNDS }[f.option]);
  });

  it.each(flags.map((f) => [flagName(f), f] as const))('--%s takes exactly the range the core allows', (_flag, f) => {
    const { min, max } = f.bound;
    // Numbers reach the parsers as tests pass them: bytes and counts as is, durations in seconds.
    const asArg = (flag: LimitFlag, v: number): number => (flag.bound.unit === 'ms' ? v / 1000 : v);
    // The other flag of a rule (SESSION_RULES) at the end that leaves this one the most room.
    const partner: RawLimitArgs = {};
    for (const rule of SESSION_RULES) {
      const other = flags.find((g) => g.option === (rule.than === f.option ? rule.field : rule.field === f.option ? rule.than : undefined));
      if (other !== undefined) partner[other.arg] = asArg(other, other.option === rule.field ? other.bound.max : other.bound.min);
    }
    const at = (v: number) => serverLimits({ ...partner, [f.arg]: asArg(f, v) });
    expect(at(min)[f.option]).toBe(min);
    // --ping-interval at its maximum leaves --dead-after no room: the rule refuses it.
    if (f.option === 'pingIntervalMs') expect(message(() => at(max))).toMatch(/^--dead-after .* must be longer than --ping-interval/);
    else expect(at(max)[f.option]).toBe(max);
    for (const v of [min - 1, max + 1]) expect(message(() => at(v))).toMatch(new RegExp(`^--${flagName(f)} must be `));
  });
});

describe('errors of the core mapped to flags', () => {
  it("names the flags of a broken SESSION_RULES rule, with values in the flags' units", () => {
    const rule = SESSION_RULES[0];
    if (rule === undefined) throw new Error('no rule');
    const err = new MpxConfigError([rule.field, rule.than], 'core message', rule);
    const usage = usageErrorFromConfig(err, { deadAfterMs: 500, pingIntervalMs: 1000 });
    expect(usage.code).toBe('MPX_TUNNEL_ERR_OPTION');
    expect(usage.message).toBe('--dead-after (500ms) must be longer than --ping-interval (1s), or carriers are dropped between pings');
    expect(usage.cause).toBe(err);
  });

  it('names the flag of an option out of range, and the core field where no flag sets it', () => {
    expect(usageErrorFromConfig(new MpxConfigError(['maxFrame'], 'core message'), { maxFrame: 100 }).message).toBe('--max-frame (100) out of range');
    expect(usageErrorFromConfig(new MpxConfigError(['maxPayload'], 'core message'), {}).message).toBe('maxPayload out of range');
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
  it('takes whole numbers as text or numbers, within a range', () => {
    const range = { min: 0, max: 9 };
    expect([parseCount('n', '7', range), parseCount('n', 7, range), parseCount('n', '0', range)]).toEqual([7, 7, 0]);
    expect(message(() => parseCount('n', '1e3', range))).toBe("--n must be a whole number from 0 to 9, got '1e3'");
    expect(message(() => parseCount('n', '10', range))).toBe("--n must be a whole number from 0 to 9, got '10'");
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

  it("adds the core's rules to the help of the flags they bind", () => {
    const help = Object.fromEntries([...SESSION_LIMIT_FLAGS, ...SERVER_LIMIT_FLAGS].map((f) => [flagName(f), helpText(f)]));
    expect(help['dead-after']).toBe('drop a carrier that has been silent this long (must exceed --ping-interval)');
    expect(help['ping-interval']).toBe('ping every carrier this often (liveness and RTT)');
  });

  it('names the flags behind a limit error code', () => {
    const hint = (code: string, on: 'carrier' | 'stream'): string => limitHint(new MpxError(code as MpxErrorCode, 'test'), on);
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
    const gaps = new GapBudget(1);
    gaps.take('stream data [0, 1)');
    let fragmented: unknown;
    try {
      gaps.take('stream data [2, 3)');
    } catch (err) {
      fragmented = err;
    }
    expect(limitHint(fragmented, 'carrier')).toBe(" (a session's reorder buffers hold at most one gap per 1KiB of --session-window)");
    for (const limit of ['maxSessions', 'maxCarriersPerSession'] as const) {
      const err = new MpxProtocolError(WireCode.LIMIT_EXCEEDED, 'refused', { limit });
      expect(limitHint(err, 'carrier')).toBe(limit === 'maxSessions' ? ' (--max-sessions)' : ' (--max-carriers-per-session)');
    }
  });
});
