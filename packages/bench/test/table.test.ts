import { describe, expect, it } from 'vitest';
import { bar, colours, pad, renderTable, visibleWidth } from '../src/table.js';

describe('visibleWidth and pad', () => {
  it('does not count ANSI colour codes', () => {
    expect(visibleWidth('\x1b[32mPASS\x1b[0m')).toBe(4);
    expect(pad('\x1b[31mab\x1b[0m', 4)).toBe('\x1b[31mab\x1b[0m  ');
  });

  it('counts one column per code point', () => {
    expect(visibleWidth('≥ 0.95 ✓')).toBe(8);
  });

  it('pads on the left for right alignment', () => {
    expect(pad('7', 3, 'right')).toBe('  7');
  });
});

describe('renderTable', () => {
  it('pads columns to the widest cell and underlines the header', () => {
    const text = renderTable(
      [{ header: 'name' }, { header: 'value', align: 'right' }],
      [{ cells: ['a', '1'] }, { separator: true }, { cells: ['longer', '12345678'] }],
    );
    expect(text.split('\n')).toEqual(['name       value', '────────────────', 'a              1', '┄┄┄┄┄┄┄┄┄┄┄┄┄┄┄┄', 'longer  12345678']);
  });

  it('treats missing cells as empty and trims trailing spaces', () => {
    const text = renderTable([{ header: 'a' }, { header: 'b' }], [{ cells: ['x'] }]);
    expect(text.split('\n')[2]).toBe('x');
  });

  it('paints cells after padding, keeping columns aligned', () => {
    const c = colours(true);
    const text = renderTable([{ header: 'result' }, { header: 'n' }], [{ cells: ['PASS', '1'] }], {
      paint: (padded, raw, col) => (col === 0 && raw === 'PASS' ? c.green(padded) : padded),
    });
    expect(text.split('\n')[2]).toBe('\x1b[32mPASS  \x1b[0m  1');
  });
});

describe('bar', () => {
  it('fills whole blocks and an eighth-step partial block, padded to the width', () => {
    expect(bar(1, 4)).toBe('████');
    expect(bar(0.5, 4)).toBe('██  ');
    expect(bar(1 / 16, 2)).toBe('▏ ');
  });

  it('clamps out-of-range and non-finite fractions', () => {
    expect(bar(2, 3)).toBe('███');
    expect(bar(-1, 3)).toBe('   ');
    expect(bar(NaN, 2)).toBe('  ');
  });
});

describe('colours', () => {
  it('is the identity when colour is off', () => {
    expect(colours(false).red('x')).toBe('x');
  });
});
