// Unit strings for rates and durations (CLI and configs). SI prefixes are powers
// of 1000 as in tc(8); KiB/MiB/GiB are powers of 1024. A unit is required (except
// for "0" durations) because a bare "20" is ambiguous between bits and bytes.
//
//   rates:     bit kbit mbit gbit (any case), B KB MB GB (kB too), KiB MiB GiB; optional "/s"
//   durations: ms s

import { NetemArgError } from './errors.js';

const BIT_PREFIX: Record<string, number> = { '': 1, k: 1e3, m: 1e6, g: 1e9 };
const BYTE_UNITS: Record<string, number> = {
  B: 1,
  KB: 1e3,
  kB: 1e3,
  MB: 1e6,
  GB: 1e9,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
};
const NUMBER = String.raw`(\d+(?:\.\d*)?|\.\d+)`;
const RATE_RE = new RegExp(String.raw`^${NUMBER}\s*([A-Za-z]+)(?:/s)?$`);
const DURATION_RE = new RegExp(String.raw`^${NUMBER}\s*(ms|s)$`);

/** Parses a rate such as "20mbit", "2.5MB", "64KiB/s" into bytes per second (> 0). */
export function parseRate(text: string): number {
  const s = text.trim();
  const m = RATE_RE.exec(s);
  if (!m) throw new NetemArgError(`bad rate "${text}": expected a number and a unit (kbit, mbit, gbit, B, KB, MB, GB, KiB, MiB, GiB)`);
  const value = Number(m[1]);
  const unit = m[2]!;
  let bytesPerSecond: number | undefined;
  const bits = /^([kmg]?)bit$/i.exec(unit);
  if (bits) bytesPerSecond = (value * BIT_PREFIX[bits[1]!.toLowerCase()]!) / 8;
  else if (Object.hasOwn(BYTE_UNITS, unit)) bytesPerSecond = value * BYTE_UNITS[unit]!;
  if (bytesPerSecond === undefined) {
    throw new NetemArgError(`bad rate "${text}": unknown unit "${unit}" (use kbit, mbit, gbit, B, KB, MB, GB, KiB, MiB, GiB)`);
  }
  if (!(bytesPerSecond > 0) || !Number.isFinite(bytesPerSecond)) throw new NetemArgError(`bad rate "${text}": must be greater than 0`);
  return bytesPerSecond;
}

/** Parses a duration such as "20ms", "1.5s" or "0" into milliseconds (>= 0). */
export function parseDuration(text: string): number {
  const s = text.trim();
  if (/^0+(?:\.0*)?$/.test(s)) return 0;
  const m = DURATION_RE.exec(s);
  if (!m) throw new NetemArgError(`bad duration "${text}": expected a number and a unit (ms, s)`);
  const value = Number(m[1]);
  return m[2] === 's' ? value * 1000 : value;
}

/** Formats bytes/second as bits, e.g. 2500000 → "20 Mbit/s"; Infinity → "unlimited". */
export function formatRate(bytesPerSecond: number): string {
  if (bytesPerSecond === Infinity) return 'unlimited';
  const bits = bytesPerSecond * 8;
  const [div, name] = bits >= 1e9 ? [1e9, 'Gbit/s'] : bits >= 1e6 ? [1e6, 'Mbit/s'] : bits >= 1e3 ? [1e3, 'kbit/s'] : [1, 'bit/s'];
  return `${Number((bits / div).toPrecision(4))} ${name}`;
}
