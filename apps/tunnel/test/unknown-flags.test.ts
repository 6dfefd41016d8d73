// yargs' unknown-argument messages as users read them.
import { describe, expect, it } from 'vitest';
import { commandOf, describeUnknownFlags } from '../src/unknown-flags.js';

const LIMITS = new Set(['max-streams', 'handshake-timeout']);

describe('describeUnknownFlags', () => {
  it('names each flag once, with its dashes, without the camelCase alias yargs adds', () => {
    expect(describeUnknownFlags('Unknown arguments: key-file, keyFile', 'client', LIMITS)).toBe('unknown flag for client: --key-file');
    expect(describeUnknownFlags('Unknown argument: bogus', 'server', LIMITS)).toBe('unknown flag for server: --bogus');
    expect(describeUnknownFlags('Unknown arguments: x, max-sessions, maxSessions', undefined, LIMITS)).toBe(
      'unknown flags for mpx-tunnel: -x, --max-sessions',
    );
  });

  it('tells a relay user why the session flags are not the relay’s', () => {
    for (const message of [
      'Unknown arguments: key-file, keyFile',
      'Unknown argument: stats',
      'Unknown arguments: handshake-timeout, handshakeTimeout',
    ]) {
      expect(describeUnknownFlags(message, 'relay', LIMITS)).toMatch(
        /^unknown flag for relay: --[a-z-]+: the relay passes carriers through without reading them; /,
      );
    }
    expect(describeUnknownFlags('Unknown argument: bogus', 'relay', LIMITS)).toBe('unknown flag for relay: --bogus');
  });

  it('passes other messages unchanged', () => {
    expect(describeUnknownFlags('Missing required argument: to', 'relay', LIMITS)).toBe('Missing required argument: to');
  });
});

describe('commandOf', () => {
  it('finds the command among the arguments', () => {
    expect(commandOf(['relay', '--listen', 'x'])).toBe('relay');
    expect(commandOf(['-v', 'client'])).toBe('client');
    expect(commandOf([])).toBeUndefined();
  });
});
