// Options are checked whole before their values are (option-names.ts): an
// options object that is not one, a name the receiver does not have (with
// the name it is likely a misspelling of), a value of the wrong type said
// as such; and addCarrier()'s role and direction against their choices.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { SESSION_BOUNDS } from '../src/bounds.js';
import { ClientSession } from '../src/client.js';
import { MpxClient, type CarrierTarget } from '../src/client-pool.js';
import { SESSION_OPTION_NAMES, resolveOptions } from '../src/config.js';
import { MpxConfigError, MpxError } from '../src/errors.js';
import { closestName, describeValue } from '../src/option-names.js';
import { MpxServer } from '../src/server.js';

/** The error `fn` throws. */
function thrown(fn: () => unknown): MpxError {
  try {
    fn();
  } catch (err) {
    expect(MpxError.isMpxError(err)).toBe(true);
    return err as MpxError;
  }
  throw new Error('expected a throw');
}

/** The MpxConfigError `fn` throws, as [fields, message]. */
function configError(fn: () => unknown): [readonly string[], string] {
  const err = thrown(fn);
  expect(MpxConfigError.isConfigError(err)).toBe(true);
  return [(err as MpxConfigError).fields, err.message];
}

const dial = (): Promise<PassThrough> => Promise.resolve(new PassThrough());
const target: CarrierTarget = { label: 'a', dial };

/** Options of the wrong type for any constructor that takes them. */
const untyped = (value: unknown): never => value as never;

describe('option names', () => {
  it.each([
    ['ClientSession', (o: object) => new ClientSession(o)],
    ['MpxServer', (o: object) => new MpxServer(o)],
    ['MpxClient', (o: object) => new MpxClient({ targets: [target], ...o })],
    ['SessionOptions', (o: object) => resolveOptions(o)],
  ])('%s refuses a misspelt option, naming it and the option meant', (owner, make) => {
    expect(configError(() => make({ graceMS: 10 }))).toEqual([['graceMS'], `${owner} has no option 'graceMS'; did you mean 'graceMs'?`]);
    expect(configError(() => make({ streamWindw: 1024 }))).toEqual([
      ['streamWindw'],
      `${owner} has no option 'streamWindw'; did you mean 'streamWindow'?`,
    ]);
    expect(configError(() => make({ bogus: true }))).toEqual([['bogus'], `${owner} has no option 'bogus'`]);
  });

  it("knows each receiver's own options, and only those", () => {
    expect(() => new ClientSession({ routeKey: false })).not.toThrow();
    expect(configError(() => new MpxServer(untyped({ routeKey: true })))).toEqual([['routeKey'], "MpxServer has no option 'routeKey'"]);
    expect(() => new MpxServer({ maxSessions: 5, maxStreams: 10 }).close()).not.toThrow();
    expect(configError(() => new ClientSession(untyped({ maxSessions: 5 })))[0]).toEqual(['maxSessions']);
    expect(configError(() => new MpxClient({ targets: [{ ...target, wieght: 3 } as CarrierTarget] }))).toEqual([
      ['wieght'],
      "target 0 has no option 'wieght'; did you mean 'weight'?",
    ]);
    // Every session option is a name SessionOptions has.
    for (const name of [...Object.keys(SESSION_BOUNDS), 'key', 'clock', 'payloadOwner']) expect(SESSION_OPTION_NAMES).toContain(name);
  });

  it('refuses options that are not an object with MPX_ERR_INVALID_CONFIG, not a TypeError', () => {
    for (const value of [null, 5, 'streamWindow', [1]]) {
      expect(configError(() => new ClientSession(untyped(value)))).toEqual([
        ['options'],
        `ClientSession options must be an object, got ${describeValue(value)}`,
      ]);
      expect(configError(() => new MpxServer(untyped(value)))[0]).toEqual(['options']);
      expect(configError(() => new MpxClient(untyped(value)))[0]).toEqual(['options']);
      expect(configError(() => resolveOptions(untyped(value)))[0]).toEqual(['options']);
    }
    expect(() => new ClientSession(undefined).close()).not.toThrow();
  });

  it('suggests a known name within two edits or a case change, and nothing further away', () => {
    const known = ['weight', 'label', 'role', 'direction'];
    expect(closestName('wieght', known)).toBe('weight');
    expect(closestName('Direction', known)).toBe('direction');
    expect(closestName('rol', known)).toBe('role');
    expect(closestName('colour', known)).toBeUndefined();
  });
});

describe('option values of the wrong type', () => {
  it('says the type of a number given as a string', () => {
    expect(configError(() => new ClientSession(untyped({ streamWindow: '1024' })))).toEqual([
      ['streamWindow'],
      "streamWindow must be an integer in [1024, 4294967295], got the string '1024'",
    ]);
    expect(configError(() => new MpxServer(untyped({ maxSessions: true })))[1]).toBe(
      'maxSessions must be an integer in [1, 2147483647], got the boolean true',
    );
  });

  it('checks the key when the session is made: a string or a Uint8Array', () => {
    for (const key of [123, {}, [1, 2], null]) {
      expect(configError(() => new ClientSession(untyped({ key })))).toEqual([
        ['key'],
        `key must be a string or a Uint8Array, got ${describeValue(key)}`,
      ]);
      expect(configError(() => new MpxServer(untyped({ key })))[0]).toEqual(['key']);
    }
    expect(() => new ClientSession({ key: Buffer.from('k') }).close()).not.toThrow();
    expect(() => new ClientSession({ key: 'k' }).close()).not.toThrow();
  });

  it("checks MpxClient's redial backoff and its targets' shape", () => {
    expect(configError(() => new MpxClient({ targets: [target], backoffInitialMs: 0 }))[0]).toEqual(['backoffInitialMs']);
    expect(configError(() => new MpxClient({ targets: [target], backoffMaxMs: untyped('10s') }))[1]).toBe(
      "backoffMaxMs must be an integer in [1, 2147483648], got the string '10s'",
    );
    expect(configError(() => new MpxClient({ targets: [{ label: 'a', dial: untyped('tcp://x') }] }))[0]).toEqual(['dial of a']);
    expect(configError(() => new MpxClient({ targets: untyped({}) }))[0]).toEqual(['targets']);
    expect(configError(() => new MpxClient({ targets: [target], routeKey: untyped(1) }))[0]).toEqual(['routeKey']);
  });
});

describe("a carrier's role and direction", () => {
  it.each([
    [{ role: 'spare' }, "role must be 'primary' or 'backup', got the string 'spare'"],
    [{ role: 'Backup' }, "role must be 'primary' or 'backup', got the string 'Backup'"],
    [{ direction: 'sideways' }, "direction must be 'both', 'up' or 'down', got the string 'sideways'"],
    [{ label: 7 }, 'label must be a string, got 7'],
  ])('addCarrier() refuses %o with MPX_ERR_INVALID_ARGUMENT and closes the carrier', async (options, message) => {
    const session = new ClientSession();
    const carrier = new PassThrough();
    await expect(session.addCarrier(carrier, untyped(options))).rejects.toMatchObject({ code: 'MPX_ERR_INVALID_ARGUMENT', message });
    expect(carrier.destroyed).toBe(true);
    session.close();
  });

  it('addCarrier() refuses an unknown option name with MPX_ERR_INVALID_CONFIG, and what is no Duplex', async () => {
    const session = new ClientSession();
    const carrier = new PassThrough();
    await expect(session.addCarrier(carrier, untyped({ wieght: 3 }))).rejects.toMatchObject({
      code: 'MPX_ERR_INVALID_CONFIG',
      fields: ['wieght'],
      message: "addCarrier() has no option 'wieght'; did you mean 'weight'?",
    });
    expect(carrier.destroyed).toBe(true);
    await expect(session.addCarrier(untyped({}))).rejects.toMatchObject({ code: 'MPX_ERR_INVALID_ARGUMENT' });
    expect(thrown(() => new MpxServer().accept(untyped({}))).code).toBe('MPX_ERR_INVALID_ARGUMENT');
    session.close();
  });

  it("MpxClient refuses a target's role or direction with MPX_ERR_INVALID_CONFIG naming the target", () => {
    expect(configError(() => new MpxClient({ targets: [{ ...target, role: untyped('spare') }] }))).toEqual([
      ['role of a'],
      "role of a must be 'primary' or 'backup', got the string 'spare'",
    ]);
    expect(configError(() => new MpxClient({ targets: [{ ...target, direction: untyped('left') }] }))[0]).toEqual(['direction of a']);
    expect(() => new MpxClient({ targets: [{ ...target, role: 'backup', direction: 'up' }] })).not.toThrow();
  });
});
