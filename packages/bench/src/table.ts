// Plain-text tables: columns padded to their widest cell (measured without ANSI
// colours), an optional colouring hook applied after padding, and group
// separators between scenarios.

export interface Column {
  header: string;
  align?: 'left' | 'right';
}

/** A row of cells, or a separator line. */
export type TableLine = { cells: readonly string[] } | { separator: true };

export interface RenderOptions {
  /** Colours a padded cell; must not change its visible width. */
  paint?: (padded: string, raw: string, column: number) => string;
  /** Between columns; default two spaces. */
  gap?: string;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

/** Visible width of a string: ANSI colour codes removed; one column per code point. */
export function visibleWidth(text: string): number {
  return [...text.replace(ANSI, '')].length;
}

export function pad(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  const fill = ' '.repeat(Math.max(0, width - visibleWidth(text)));
  return align === 'right' ? fill + text : text + fill;
}

/** Renders header, underline and lines; missing cells are empty. */
export function renderTable(columns: readonly Column[], lines: readonly TableLine[], options: RenderOptions = {}): string {
  const gap = options.gap ?? '  ';
  const widths = columns.map((c) => visibleWidth(c.header));
  for (const line of lines) {
    if (!('cells' in line)) continue;
    line.cells.forEach((cell, i) => {
      if (i < widths.length) widths[i] = Math.max(widths[i] ?? 0, visibleWidth(cell));
    });
  }
  const total = widths.reduce((a, b) => a + b, 0) + gap.length * Math.max(0, widths.length - 1);
  const out: string[] = [];
  out.push(
    columns
      .map((c, i) => pad(c.header, widths[i] ?? 0, c.align))
      .join(gap)
      .trimEnd(),
  );
  out.push('─'.repeat(total));
  for (const line of lines) {
    if (!('cells' in line)) {
      out.push('┄'.repeat(total));
      continue;
    }
    const cells = columns.map((c, i) => {
      const raw = line.cells[i] ?? '';
      const padded = pad(raw, widths[i] ?? 0, c.align);
      return options.paint ? options.paint(padded, raw, i) : padded;
    });
    out.push(cells.join(gap).trimEnd());
  }
  return out.join('\n');
}

/** ANSI colours, or identity functions when colour is off. */
export function colours(enabled: boolean): {
  green: (s: string) => string;
  red: (s: string) => string;
  yellow: (s: string) => string;
  dim: (s: string) => string;
  bold: (s: string) => string;
  cyan: (s: string) => string;
} {
  const wrap = (code: string) => (s: string) => (enabled ? `\x1b[${code}m${s}\x1b[0m` : s);
  return { green: wrap('32'), red: wrap('31'), yellow: wrap('33'), dim: wrap('2'), bold: wrap('1'), cyan: wrap('36') };
}

/** A horizontal bar for a value in [0, 1] of the given width, in eighths. */
export function bar(fraction: number, width: number): string {
  const f = Math.max(0, Math.min(1, Number.isFinite(fraction) ? fraction : 0));
  const eighths = Math.round(f * width * 8);
  const full = Math.floor(eighths / 8);
  const rest = eighths % 8;
  const partial = rest === 0 ? '' : (['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'][rest] ?? '');
  return pad('█'.repeat(full) + partial, width);
}
