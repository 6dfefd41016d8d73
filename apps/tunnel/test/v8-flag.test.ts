import { describe, expect, it } from 'vitest';
import { v8FlagNamed, v8FlagUnlessSet } from '../src/v8-flag.js';

describe('v8FlagUnlessSet', () => {
  it('asks for the value when the operator set nothing', () => {
    expect(v8FlagUnlessSet([], 'semi-space-growth-factor', 1)).toBe('--semi-space-growth-factor=1');
    expect(v8FlagUnlessSet(['--enable-source-maps'], 'semi-space-growth-factor', 1)).toBe('--semi-space-growth-factor=1');
  });

  it("leaves the operator's value alone, in either spelling, with or without =", () => {
    expect(v8FlagUnlessSet(['--semi-space-growth-factor=2'], 'semi-space-growth-factor', 1)).toBeUndefined();
    expect(v8FlagUnlessSet(['--semi_space_growth_factor=4'], 'semi-space-growth-factor', 1)).toBeUndefined();
    expect(v8FlagUnlessSet(['--semi-space-growth-factor', '2'], 'semi-space-growth-factor', 1)).toBeUndefined();
  });

  it('does not mistake a longer flag for it', () => {
    expect(v8FlagUnlessSet(['--semi-space-growth-factors=5'], 'semi-space-growth-factor', 1)).toBe('--semi-space-growth-factor=1');
  });
});

describe('v8FlagNamed', () => {
  it('finds a flag in its --no- form as well', () => {
    expect(v8FlagNamed(['--no-opt'], ['opt'])).toBe(true);
    expect(v8FlagNamed(['--no_sparkplug'], ['sparkplug'])).toBe(true);
    expect(v8FlagNamed(['--optimize-for-size'], ['opt'])).toBe(false);
  });
});
