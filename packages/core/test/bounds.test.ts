// The bounds tables (bounds.ts): every option's range as checked by
// resolveOptions, MpxServer and MpxClient, the rule between deadAfterMs and
// pingIntervalMs, the one weight check, and the error brand.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  CLIENT_BOUNDS,
  SERVER_BOUNDS,
  SESSION_BOUNDS,
  SESSION_RULES,
  WEIGHT_BOUND,
  checkWeight,
  inBounds,
  type Bound,
  type SessionBoundName,
} from '../src/bounds.js';
import { ClientSession } from '../src/client.js';
import { MpxClient } from '../src/client-pool.js';
import { DEFAULTS, resolveOptions, type SessionOptions } from '../src/config.js';
import { MpxConfigError, MpxError, MpxProtocolError } from '../src/errors.js';
import type * as errorsModule from '../src/errors.js';
import { WeightedPicker } from '../src/scheduler.js';
import { MpxServer, SERVER_DEFAULTS } from '../src/server.js';
import { WireCode } from '../src/constants.js';

/** The error `fn` throws. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

/** The MpxConfigError `fn` throws. */
function configError(fn: () => unknown): MpxConfigError {
  const err = thrown(fn);
  expect(MpxConfigError.isConfigError(err)).toBe(true);
  return err as MpxConfigError;
}

/** Options with `field` at `value` and every rule partner set so that the rules hold where they can. */
function withPartners(field: SessionBoundName, value: number): SessionOptions {
  const options: Record<string, number> = { [field]: value };
  for (const rule of SESSION_RULES) {
    if (rule.than === field) options[rule.field] = SESSION_BOUNDS[rule.field].max;
    if (rule.field === field) options[rule.than] = SESSION_BOUNDS[rule.than].min;
  }
  return options;
}

const sessionBounds = Object.entries(SESSION_BOUNDS) as Array<[SessionBoundName, Bound]>;

/** Values just outside a bound, or not whole numbers. */
const outside = (b: Bound): number[] => [b.min - 1, b.max + 1, b.min + 0.5, Number.NaN, Number.POSITIVE_INFINITY];

describe('SESSION_BOUNDS through resolveOptions', () => {
  it('fills every numeric option with its default, and DEFAULTS lists the same values', () => {
    const resolved = resolveOptions();
    for (const [field, bound] of sessionBounds) {
      expect(resolved[field]).toBe(bound.default);
      expect(DEFAULTS[field]).toBe(bound.default);
      expect(inBounds(bound, bound.default)).toBe(true);
    }
  });

  it.each(sessionBounds)('accepts %s at its minimum', (field, bound) => {
    expect(resolveOptions(withPartners(field, bound.min))[field]).toBe(bound.min);
  });

  it.each(sessionBounds.filter(([field]) => field !== 'pingIntervalMs'))('accepts %s at its maximum', (field, bound) => {
    expect(resolveOptions(withPartners(field, bound.max))[field]).toBe(bound.max);
  });

  it('refuses pingIntervalMs at its maximum: no deadAfterMs can exceed it', () => {
    const err = configError(() => resolveOptions(withPartners('pingIntervalMs', SESSION_BOUNDS.pingIntervalMs.max)));
    expect(err.fields).toEqual(['deadAfterMs', 'pingIntervalMs']);
  });

  it.each(sessionBounds)('refuses %s outside its bounds, naming it', (field, bound) => {
    for (const value of outside(bound)) {
      const err = configError(() => resolveOptions(withPartners(field, value)));
      expect(err.code).toBe('MPX_ERR_INVALID_CONFIG');
      expect(err.fields).toEqual([field]);
      expect(err.rule).toBeUndefined();
      expect(err.message).toBe(`${field} must be an integer in [${bound.min}, ${bound.max}], got ${String(value)}`);
    }
  });
});

describe('SESSION_RULES', () => {
  it('refuses deadAfterMs equal to or below pingIntervalMs, naming both fields', () => {
    for (const [deadAfterMs, pingIntervalMs] of [
      [1000, 1000],
      [999, 1000],
      [20, 2 ** 31],
    ] as const) {
      const err = configError(() => resolveOptions({ deadAfterMs, pingIntervalMs }));
      expect(err.fields).toEqual(['deadAfterMs', 'pingIntervalMs']);
      expect(err.rule).toBe(SESSION_RULES[0]);
      expect(err.message).toBe(
        `deadAfterMs (${deadAfterMs}) must be greater than pingIntervalMs (${pingIntervalMs}), or carriers are dropped between pings`,
      );
    }
  });

  it('checks the rule against defaults too: a long ping interval alone is refused', () => {
    expect(configError(() => resolveOptions({ pingIntervalMs: DEFAULTS.deadAfterMs })).fields).toEqual(['deadAfterMs', 'pingIntervalMs']);
    expect(resolveOptions({ pingIntervalMs: DEFAULTS.deadAfterMs - 1 }).pingIntervalMs).toBe(DEFAULTS.deadAfterMs - 1);
  });

  it('applies to MpxServer and MpxClient, which resolve their options the same way', () => {
    expect(configError(() => new MpxServer({ deadAfterMs: 100, pingIntervalMs: 100 })).fields).toEqual(['deadAfterMs', 'pingIntervalMs']);
    const dial = (): Promise<PassThrough> => Promise.resolve(new PassThrough());
    expect(configError(() => new MpxClient({ targets: [{ label: 'a', dial }], deadAfterMs: 50, pingIntervalMs: 60 })).fields).toEqual([
      'deadAfterMs',
      'pingIntervalMs',
    ]);
  });
});

describe('SERVER_BOUNDS and CLIENT_BOUNDS', () => {
  it.each(Object.entries(SERVER_BOUNDS) as Array<[keyof typeof SERVER_BOUNDS, Bound]>)('MpxServer checks %s against its bounds', (field, bound) => {
    expect(SERVER_DEFAULTS[field]).toBe(bound.default);
    expect(() => new MpxServer({ [field]: bound.min })).not.toThrow();
    expect(() => new MpxServer({ [field]: bound.max })).not.toThrow();
    for (const value of outside(bound)) expect(configError(() => new MpxServer({ [field]: value })).fields).toEqual([field]);
  });

  it("MpxClient checks carriersPerTarget, a target's carriers and maxCarrierAgeMs against CLIENT_BOUNDS", () => {
    const dial = (): Promise<PassThrough> => Promise.resolve(new PassThrough());
    const target = { label: 'a', dial };
    const { carriersPerTarget, maxCarrierAgeMs } = CLIENT_BOUNDS;
    for (const value of [carriersPerTarget.min, carriersPerTarget.max]) {
      expect(new MpxClient({ targets: [target], carriersPerTarget: value }).stats().targets[0]?.wanted).toBe(value);
    }
    expect(new MpxClient({ targets: [target] }).stats().targets[0]?.wanted).toBe(carriersPerTarget.default);
    for (const value of outside(carriersPerTarget)) {
      expect(configError(() => new MpxClient({ targets: [target], carriersPerTarget: value })).fields).toEqual(['carriersPerTarget']);
      expect(configError(() => new MpxClient({ targets: [{ ...target, carriers: value }] })).fields).toEqual(['carriers of a']);
    }
    expect(() => new MpxClient({ targets: [target], maxCarrierAgeMs: maxCarrierAgeMs.max })).not.toThrow();
    for (const value of outside(maxCarrierAgeMs)) {
      expect(configError(() => new MpxClient({ targets: [target], maxCarrierAgeMs: value })).fields).toEqual(['maxCarrierAgeMs']);
    }
    expect(configError(() => new MpxClient({ targets: [] })).fields).toEqual(['targets']);
  });
});

describe('checkWeight (WEIGHT_BOUND)', () => {
  it('takes whole numbers from 1 to 65535 and names what it refuses', () => {
    expect([checkWeight(WEIGHT_BOUND.min), checkWeight(WEIGHT_BOUND.max)]).toEqual([1, 65535]);
    for (const value of [...outside(WEIGHT_BOUND), '2']) {
      const err = thrown(() => checkWeight(value, 'weight of x'));
      expect(MpxError.codeOf(err)).toBe('MPX_ERR_INVALID_ARGUMENT');
      const shown = typeof value === 'string' ? `the string '${value}'` : String(value);
      expect((err as Error).message).toBe(`weight of x must be an integer in [1, 65535], got ${shown}`);
    }
    expect(configError(() => checkWeight(0, 'weight of x', 'MPX_ERR_INVALID_CONFIG')).fields).toEqual(['weight of x']);
  });

  it('is the check of the picker, ClientSession.addCarrier and MpxClient targets', () => {
    expect(MpxError.codeOf(thrown(() => new WeightedPicker<{ writable: boolean }>().add({ writable: true }, 65536)))).toBe(
      'MPX_ERR_INVALID_ARGUMENT',
    );
    const dial = (): Promise<PassThrough> => Promise.resolve(new PassThrough());
    expect(configError(() => new MpxClient({ targets: [{ label: 'a', dial, weight: 0 }] })).fields).toEqual(['weight of a']);
  });

  it('makes ClientSession.addCarrier destroy the carrier it refuses', async () => {
    const session = new ClientSession();
    const carrier = new PassThrough();
    await expect(session.addCarrier(carrier, { weight: 0 })).rejects.toMatchObject({ code: 'MPX_ERR_INVALID_ARGUMENT' });
    expect(carrier.destroyed).toBe(true);
    session.close();
  });
});

describe('the error brand', () => {
  it('tells mpx errors from others, without instanceof', () => {
    const system = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const lookalike = { code: 'MPX_ERR_AUTH_FAILED', message: 'not an MpxError' };
    expect(MpxError.isMpxError(new MpxError('MPX_ERR_INTERNAL', 'x'))).toBe(true);
    expect(MpxError.isMpxError(new MpxProtocolError(WireCode.FLOW_CONTROL, 'x'))).toBe(true);
    for (const other of [system, lookalike, undefined, null, 'MPX_ERR_INTERNAL']) {
      expect(MpxError.isMpxError(other)).toBe(false);
      expect(MpxError.codeOf(other)).toBeUndefined();
    }
    expect(MpxError.codeOf(new MpxProtocolError(WireCode.FLOW_CONTROL, 'x'))).toBe('MPX_ERR_FLOW_CONTROL');
    expect(MpxProtocolError.isProtocolError(new MpxProtocolError(WireCode.PROTOCOL, 'x'))).toBe(true);
    expect(MpxProtocolError.isProtocolError(new MpxError('MPX_ERR_PROTOCOL', 'x', { wireCode: WireCode.PROTOCOL }))).toBe(false);
  });

  it('holds for errors of a second copy of the module, where instanceof does not', async () => {
    const secondCopy: string = '../src/errors.js?second-copy'; // a query makes the loader evaluate the module again
    const copy = (await import(secondCopy)) as typeof errorsModule;
    expect(copy.MpxError).not.toBe(MpxError);
    const foreign = new copy.MpxProtocolError(WireCode.AUTH_FAILED, 'x');
    expect(foreign instanceof MpxError).toBe(false);
    expect(MpxError.isMpxError(foreign)).toBe(true);
    expect(MpxProtocolError.isProtocolError(foreign)).toBe(true);
    expect(MpxError.codeOf(foreign)).toBe('MPX_ERR_AUTH_FAILED');
    expect(MpxConfigError.isConfigError(new copy.MpxConfigError(['maxFrame'], 'x'))).toBe(true);
  });

  it('brands the prototype, not each error: errors keep their own properties', () => {
    const err = new MpxError('MPX_ERR_INTERNAL', 'x');
    expect(Object.keys(err).sort()).toEqual(['code', 'limit', 'name', 'wireCode']);
    expect(Object.getOwnPropertySymbols(err)).toEqual([]);
  });
});
