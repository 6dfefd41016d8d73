// Log lines, level selection, error descriptions, and the drain of open connections.
import { describe, expect, it } from 'vitest';
import { createLogger, describeError, describeStartError, resolveLogLevel } from '../src/log.js';
import { Connections } from '../src/shutdown.js';

describe('logger', () => {
  it('writes one line per event with ISO time and level, filtered by level', () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'info', write: (line) => lines.push(line), now: () => Date.UTC(2025, 0, 2, 3, 4, 5, 6) });
    log.info('carrier up');
    log.warn('two\nlines');
    log.debug('hidden');
    expect(lines).toEqual(['2025-01-02T03:04:05.006Z INFO  carrier up\n', '2025-01-02T03:04:05.006Z WARN  two lines\n']);
    expect(log.enabled('debug')).toBe(false);
  });

  it('takes -v as debug, -vv as trace, and --log-level over both', () => {
    expect([resolveLogLevel(undefined, 0), resolveLogLevel(undefined, 1), resolveLogLevel(undefined, 3)]).toEqual(['info', 'debug', 'trace']);
    expect(resolveLogLevel('error', 2)).toBe('error');
  });

  it('describes errors by code: system errors by their code alone', () => {
    const sys = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED', syscall: 'connect' });
    expect(describeError(sys)).toBe('ECONNREFUSED');
    expect(describeError(Object.assign(new Error('bad mac'), { code: 'MPX_ERR_AUTH_FAILED' }))).toBe('MPX_ERR_AUTH_FAILED: bad mac');
    expect(describeError(new Error('plain'))).toBe('plain');
    expect(describeError('text')).toBe('text');
  });

  it('names the host of a listen address that does not resolve in the line of a tunnel that cannot start', () => {
    const notFound = Object.assign(new Error('getaddrinfo ENOTFOUND nosuchhost.invalid'), {
      code: 'ENOTFOUND',
      syscall: 'getaddrinfo',
      hostname: 'nosuchhost.invalid',
    });
    expect(describeError(notFound)).toBe('ENOTFOUND');
    expect(describeStartError(notFound)).toBe('ENOTFOUND nosuchhost.invalid');
    expect(describeStartError(new Error('plain'))).toBe('plain');
  });

  it('names the address of a listener that cannot listen', () => {
    const taken = Object.assign(new Error('listen EADDRINUSE: address already in use 127.0.0.1:5300'), {
      code: 'EADDRINUSE',
      syscall: 'listen',
      address: '127.0.0.1',
      port: 5300,
    });
    expect(describeError(taken)).toBe('EADDRINUSE on 127.0.0.1:5300');
    const v6 = Object.assign(new Error('listen EACCES: permission denied ::1:80'), { code: 'EACCES', syscall: 'listen', address: '::1', port: 80 });
    expect(describeError(v6)).toBe('EACCES on [::1]:80');
  });
});

describe('Connections', () => {
  it('drains at once when nothing is open', async () => {
    expect(await new Connections().drain(10_000)).toBe(0);
  });

  it('resolves when the last connection closes within the timeout', async () => {
    const connections = new Connections();
    const aborted: number[] = [];
    const closeA = connections.add(() => aborted.push(1));
    const closeB = connections.add(() => aborted.push(2));
    const drained = connections.drain(10_000);
    closeA();
    closeB();
    expect(await drained).toBe(0);
    expect(aborted).toEqual([]);
  });

  it('aborts what is still open after the timeout', async () => {
    const connections = new Connections();
    const aborted: number[] = [];
    connections.add(() => aborted.push(1));
    expect(await connections.drain(1)).toBe(1);
    expect(aborted).toEqual([1]);
  });

  it('logs what it waits for and what it aborts, in the singular for one', async () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'info', write: (line) => lines.push(line.slice(25).trim()), now: () => 0 });
    const connections = new Connections();
    connections.add(() => {});
    await connections.drainLogged(1, 'connection', log);
    const relayed = new Connections();
    relayed.add(() => {});
    relayed.add(() => {});
    await relayed.drainLogged(1, 'relayed carrier', log);
    expect(lines).toEqual([
      'INFO  waiting up to 1 ms for 1 open connection',
      'INFO  aborted 1 connection still open after the drain timeout',
      'INFO  waiting up to 1 ms for 2 open relayed carriers',
      'INFO  aborted 2 relayed carriers still open after the drain timeout',
    ]);
  });
});
