// A parser for the Prometheus text exposition format (0.0.4), enough to read
// what a scrape returns: # HELP and # TYPE lines, samples with escaped label
// values, and values including NaN and ±Inf. Throws on any line it cannot read.
interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Family {
  readonly name: string;
  help?: string;
  type?: string;
  readonly samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;

function unescape(text: string): string {
  return text.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

/** Like Prometheus (Go's ParseFloat): NaN and Inf in any case (prom-client, which wrote /metrics before, wrote `Nan`). */
function parseValue(text: string, line: string): number {
  const word = text.toLowerCase();
  if (word === 'nan') return Number.NaN;
  if (word === '+inf' || word === 'inf') return Number.POSITIVE_INFINITY;
  if (word === '-inf') return Number.NEGATIVE_INFINITY;
  const value = Number(text);
  if (text === '' || Number.isNaN(value)) throw new Error(`bad value in ${JSON.stringify(line)}`);
  return value;
}

function parseSample(line: string): Sample {
  const name = NAME.exec(line)?.[0];
  if (name === undefined) throw new Error(`bad sample ${JSON.stringify(line)}`);
  let rest = line.slice(name.length);
  const labels: Record<string, string> = {};
  if (rest.startsWith('{')) {
    rest = rest.slice(1);
    for (let guard = 0; !rest.startsWith('}'); guard++) {
      if (guard > 100) throw new Error(`too many labels in ${JSON.stringify(line)}`);
      const m = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/.exec(rest);
      if (m === null) throw new Error(`bad labels in ${JSON.stringify(line)}`);
      labels[m[1] as string] = unescape(m[2] as string);
      rest = rest.slice(m[0].length);
    }
    rest = rest.slice(1);
  }
  const fields = rest.trim().split(/\s+/); // value [timestamp]
  return { name, labels, value: parseValue(fields[0] ?? '', line) };
}

/** Families by name; a sample belongs to the family whose name it starts with (histogram `_bucket`, `_sum`, `_count`). */
export function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const family = (name: string): Family => {
    let f = families.get(name);
    if (f === undefined) families.set(name, (f = { name, samples: [] }));
    return f;
  };
  let last: Family | undefined;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) ?(.*)$/.exec(line);
    if (meta !== null) {
      last = family(meta[2] as string);
      if (meta[1] === 'HELP') last.help = unescape(meta[3] as string);
      else last.type = meta[3];
      continue;
    }
    if (line.startsWith('#')) continue;
    const sample = parseSample(line);
    const owner = last !== undefined && sample.name.startsWith(last.name) ? last : family(sample.name);
    owner.samples.push(sample);
  }
  return families;
}

/** The value of the one sample of `name` whose labels include `labels`; undefined when there is none. */
export function valueOf(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const f of families.values()) {
    for (const s of f.samples) {
      if (s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)) return s.value;
    }
  }
  return undefined;
}
