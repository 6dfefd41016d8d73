// Rate-limited refusal lines, driven by a fake clock: one line per key per
// interval, then a summary of what was held back; keys per interval capped.
import type { Clock, Timer } from '@mpx/core';
import { describe, expect, it } from 'vitest';
import { createLogger, type LogLevel } from '../src/log.js';
import { RateLimitedLog, remoteHost } from '../src/rate-limit.js';

/** A clock that only moves when told to; runs due timers in order. */
class FakeClock implements Clock {
  #now = 0;
  #timers: Array<{ at: number; fn: () => void; timer: Timer }> = [];

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): Timer {
    const timer: Timer = {};
    this.#timers.push({ at: this.#now + ms, fn, timer });
    return timer;
  }

  clearTimeout(timer: Timer): void {
    this.#timers = this.#timers.filter((t) => t.timer !== timer);
  }

  get pending(): number {
    return this.#timers.length;
  }

  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      const due = this.#timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (due === undefined) break;
      this.#timers = this.#timers.filter((t) => t !== due);
      this.#now = due.at;
      due.fn();
    }
    this.#now = end;
  }
}

function setup(level: LogLevel = 'info', maxKeys?: number) {
  const clock = new FakeClock();
  const lines: string[] = [];
  const log = createLogger({ level, write: (line) => lines.push(line.replace(/^\S+ /, '').trimEnd()), now: () => clock.now() });
  const limited = new RateLimitedLog(log, { clock, intervalMs: 10_000, ...(maxKeys === undefined ? {} : { maxKeys }) });
  const refuse = (reason: string, remote: string): void => {
    const host = remoteHost(remote);
    limited.log('warn', `${reason} ${host}`, `carriers from ${host} refused (${reason})`, `carrier from ${remote} refused: ${reason}`);
  };
  return { clock, lines, limited, refuse };
}

describe('RateLimitedLog', () => {
  it('logs the first event of a key at once and summarises the rest when the interval ends', () => {
    const { clock, lines, refuse } = setup();
    for (let i = 0; i < 50; i++) refuse('MPX_ERR_AUTH_FAILED', `10.0.0.1:${4000 + i}`);
    expect(lines).toEqual(['WARN  carrier from 10.0.0.1:4000 refused: MPX_ERR_AUTH_FAILED']);
    clock.advance(9_999);
    expect(lines).toHaveLength(1);
    clock.advance(1);
    expect(lines).toEqual([
      'WARN  carrier from 10.0.0.1:4000 refused: MPX_ERR_AUTH_FAILED',
      'WARN  carriers from 10.0.0.1 refused (MPX_ERR_AUTH_FAILED): suppressed 49 similar messages in the last 10 s',
    ]);
  });

  it('keeps distinct reasons and addresses apart', () => {
    const { clock, lines, refuse } = setup();
    refuse('MPX_ERR_AUTH_FAILED', '10.0.0.1:1');
    refuse('MPX_ERR_PROTOCOL', '10.0.0.1:2');
    refuse('MPX_ERR_AUTH_FAILED', '10.0.0.2:3');
    refuse('MPX_ERR_AUTH_FAILED', '[::1]:4');
    refuse('MPX_ERR_AUTH_FAILED', '[::1]:5');
    expect(lines).toHaveLength(4);
    clock.advance(10_000);
    expect(lines.slice(4)).toEqual(['WARN  carriers from [::1] refused (MPX_ERR_AUTH_FAILED): suppressed 1 similar message in the last 10 s']);
  });

  it('writes no summary for a key nothing was suppressed for, and logs again in the next interval', () => {
    const { clock, lines, refuse } = setup();
    refuse('MPX_ERR_HANDSHAKE_TIMEOUT', '10.0.0.1:1');
    clock.advance(10_000);
    expect(lines).toHaveLength(1);
    refuse('MPX_ERR_HANDSHAKE_TIMEOUT', '10.0.0.1:2');
    expect(lines).toEqual([
      'WARN  carrier from 10.0.0.1:1 refused: MPX_ERR_HANDSHAKE_TIMEOUT',
      'WARN  carrier from 10.0.0.1:2 refused: MPX_ERR_HANDSHAKE_TIMEOUT',
    ]);
  });

  it('keeps a timer only while something is tracked', () => {
    const { clock, refuse, limited } = setup();
    expect(clock.pending).toBe(0);
    refuse('MPX_ERR_PROTOCOL', '10.0.0.1:1');
    refuse('MPX_ERR_PROTOCOL', '10.0.0.1:2');
    expect([clock.pending, limited.size]).toEqual([1, 1]);
    clock.advance(10_000);
    expect([clock.pending, limited.size]).toEqual([0, 0]);
  });

  it('bounds the lines of a sustained flood to two per key per interval', () => {
    const { clock, lines, refuse } = setup();
    // 10 events a second from 3 addresses for 60 s.
    for (let t = 0; t < 600; t++) {
      for (const host of ['10.0.0.1', '10.0.0.2', '10.0.0.3']) refuse('MPX_ERR_PROTOCOL', `${host}:${t}`);
      clock.advance(100);
    }
    clock.advance(10_000);
    expect(lines.length).toBeLessThanOrEqual(2 * 3 * 6);
    const suppressed = lines.map((l) => /suppressed (\d+)/.exec(l)).reduce((n, m) => n + (m === null ? 0 : Number(m[1])), 0);
    expect(suppressed + lines.filter((l) => !l.includes('suppressed')).length).toBe(1800); // every event accounted for
  });

  it('caps the distinct keys per interval and counts the rest in one line', () => {
    const { clock, lines, refuse, limited } = setup('info', 3);
    for (let i = 0; i < 1000; i++) refuse('MPX_ERR_PROTOCOL', `10.0.${i >> 8}.${i & 255}:1`);
    expect(lines).toHaveLength(3);
    expect(limited.size).toBe(3);
    clock.advance(10_000);
    expect(lines.slice(3)).toEqual(['WARN  suppressed 997 messages from more than 3 sources in the last 10 s']);
  });

  it('ignores events below the log level, and flush() ends the interval at once', () => {
    const { clock, lines, refuse, limited } = setup('error');
    refuse('MPX_ERR_PROTOCOL', '10.0.0.1:1');
    expect([lines.length, clock.pending]).toEqual([0, 0]);
    const warned = setup();
    warned.refuse('MPX_ERR_PROTOCOL', '10.0.0.1:1');
    warned.refuse('MPX_ERR_PROTOCOL', '10.0.0.1:2');
    warned.limited.flush();
    expect(warned.lines).toHaveLength(2);
    expect(warned.clock.pending).toBe(0);
    expect(limited.size).toBe(0);
  });
});

describe('remoteHost', () => {
  it.each([
    ['10.0.0.1:4711', '10.0.0.1'],
    ['[::1]:4711', '[::1]'],
    ['10.0.0.1:4711 (for 203.0.113.9)', '10.0.0.1'],
    ['?', '?'],
    ['host.example:80', 'host.example'],
  ])('%j → %j', (remote, host) => {
    expect(remoteHost(remote)).toBe(host);
  });
});
