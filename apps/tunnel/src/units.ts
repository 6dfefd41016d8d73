// Sizes and durations on the command line: `64KiB`, `8MiB`, `1.5MB`, `500ms`,
// `4s`, `2m`. A bare number is bytes (sizes) or seconds (durations), as the
// flags always took. Parsing is pure: errors are UsageErrors naming the flag.
import { UsageError } from './errors.js';

/** Size suffixes, lower case. k/m/g are binary (as in `64k`); KB/MB/GB are decimal. */
const BYTE_UNITS: ReadonlyMap<string, number> = new Map([
  ['', 1],
  ['b', 1],
  ['k', 1024],
  ['kib', 1024],
  ['kb', 1000],
  ['m', 1024 ** 2],
  ['mib', 1024 ** 2],
  ['mb', 1000 ** 2],
  ['g', 1024 ** 3],
  ['gib', 1024 ** 3],
  ['gb', 1000 ** 3],
]);

/** Duration suffixes, lower case, in milliseconds. */
const TIME_UNITS: ReadonlyMap<string, number> = new Map([
  ['', 1000],
  ['ms', 1],
  ['s', 1000],
  ['m', 60_000],
  ['min', 60_000],
  ['h', 3_600_000],
]);

const NUMBER_WITH_UNIT = /^\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-z]*)\s*$/i;

export interface Range {
  readonly min: number;
  readonly max: number;
}

function split(text: string, units: ReadonlyMap<string, number>): number | undefined {
  const m = NUMBER_WITH_UNIT.exec(text);
  if (m === null) return undefined;
  const scale = units.get((m[2] as string).toLowerCase());
  if (scale === undefined) return undefined;
  return Number(m[1]) * scale;
}

function optionError(message: string): UsageError {
  return new UsageError('MPX_TUNNEL_ERR_OPTION', message);
}

/** `1024`, `64KiB`, `64k`, `8MiB`, `1.5MB` → bytes, a whole number within `range`. */
export function parseBytes(flag: string, value: string | number, range: Range): number {
  const bytes = typeof value === 'number' ? value : split(value, BYTE_UNITS);
  if (bytes === undefined || !Number.isInteger(bytes) || bytes < range.min || bytes > range.max) {
    throw optionError(
      `--${flag} must be a whole number of bytes from ${formatBytes(range.min)} to ${formatBytes(range.max)} (e.g. 65536, 64KiB, 8MiB), got '${String(value)}'`,
    );
  }
  return bytes;
}

/**
 * `10`, `2.5`, `500ms`, `4s`, `2m`, `1h` → milliseconds (rounded), within
 * `range` (in milliseconds). A bare number is seconds.
 */
export function parseDuration(flag: string, value: string | number, range: Range): number {
  const ms = typeof value === 'number' ? value * 1000 : split(value, TIME_UNITS);
  const rounded = ms === undefined || !Number.isFinite(ms) ? undefined : Math.round(ms);
  if (rounded === undefined || rounded < range.min || rounded > range.max) {
    const upper = range.max < 2 ** 31 ? ` to ${formatDuration(range.max)}` : '';
    throw optionError(
      `--${flag} must be a duration from ${formatDuration(range.min)}${upper}, in seconds or with a unit (e.g. 10, 2.5s, 500ms), got '${String(value)}'`,
    );
  }
  return rounded;
}

/** Bytes for help and errors: the largest binary unit that divides it exactly (`64KiB`, `8MiB`, `1000`). */
export function formatBytes(bytes: number): string {
  for (const [unit, scale] of [
    ['GiB', 1024 ** 3],
    ['MiB', 1024 ** 2],
    ['KiB', 1024],
  ] as const) {
    if (bytes >= scale && bytes % scale === 0) return `${bytes / scale}${unit}`;
  }
  return String(bytes);
}

/** Milliseconds for help and errors: `500ms`, `4s`, `1.5s`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0';
  return ms < 1000 ? `${ms}ms` : `${ms / 1000}s`;
}
