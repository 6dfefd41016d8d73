import { describe, expect, it } from 'vitest';
import { v8FlagUnlessSet } from '../src/v8-flag.js';

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
