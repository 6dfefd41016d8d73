// The shape of an options object, checked before its values (bounds.ts): it
// is an object, and every name in it is one the receiver knows. A misspelt
// option (`graceMS`, `streamWindw`) would otherwise be ignored without a word,
// and the default taken instead. Also how a bad value is shown in messages.
import { MpxConfigError } from './errors.js';

/**
 * The option names of `T`, from an object listing each of them once: the
 * type makes the list complete, and an object literal cannot name more.
 */
export function optionNames<T>(names: { readonly [K in keyof Required<T>]: true }): readonly string[] {
  return Object.keys(names);
}

/** A value as a message shows it: numbers as they are, anything else with its type ("the string '1024'"). */
export function describeValue(value: unknown): string {
  switch (typeof value) {
    case 'number':
      return String(value);
    case 'string':
      return `the string ${JSON.stringify(value).replace(/^"|"$/g, "'")}`;
    case 'bigint':
      return `the bigint ${value}n`;
    case 'boolean':
      return `the boolean ${value}`;
    case 'undefined':
      return 'undefined';
    case 'function':
      return 'a function';
    case 'symbol':
      return 'a symbol';
    default:
      if (value === null) return 'null';
      if (Array.isArray(value)) return 'an array';
      return describeObject(value as object);
  }
}

function describeObject(value: object): string {
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && name !== '' && name !== 'Object' ? `an instance of ${name}` : 'an object';
}

/**
 * `options` if it is an object (undefined: `{}`) whose own names are all in
 * `known`; else an MpxConfigError naming the first unknown name, and the
 * known one it is closest to, if any is close. `owner` names what takes the
 * options, for the message ("ClientSession").
 */
export function checkOptionNames<T extends object>(options: T | undefined, known: readonly string[], owner: string): T {
  if (options === undefined) return {} as T;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new MpxConfigError(['options'], `${owner} options must be an object, got ${describeValue(options)}`);
  }
  for (const name of Object.keys(options)) {
    if (known.includes(name)) continue;
    const near = closestName(name, known);
    throw new MpxConfigError([name], `${owner} has no option '${name}'${near === undefined ? '' : `; did you mean '${near}'?`}`);
  }
  return options;
}

/**
 * The known name `name` is most likely a misspelling of: the closest by edit
 * distance (transpositions counting one), ignoring case, if it is at most 2
 * edits (or a quarter of the name) away.
 */
export function closestName(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(name.length / 4)) + 1;
  for (const candidate of known) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent transpositions. */
function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number): number => rows[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let i = 1; i <= a.length; i++) {
    const row = rows[i] as number[];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, at(i - 2, j - 2) + 1);
      row[j] = d;
    }
  }
  return at(a.length, b.length);
}
