// A parser for the Prometheus text exposition format 0.0.4, what
// `mpx-tunnel --metrics` serves at /metrics:
//
//   # HELP mpx_retransmits_total Frames retransmitted.
//   # TYPE mpx_retransmits_total counter
//   mpx_retransmits_total{carrier="127.0.0.1:7001"} 12
//
// One sample per line: a name, optional labels whose values escape `\\`, `\"`
// and `\n`, a value (a float, NaN, +Inf or -Inf) and an optional timestamp.
// Comment and blank lines are skipped. Pure: the text in, samples out.

export interface PromSample {
  name: string;
  labels: Readonly<Record<string, string>>;
  value: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\', '"': '"', n: '\n' };

/** Samples in the order they appear; throws on a malformed line, naming it. */
export function parsePrometheus(text: string): PromSample[] {
  const out: PromSample[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const sample = parseLine(line);
    if (sample === null) throw new Error(`metrics line ${i + 1} is not a sample: '${raw}'`);
    out.push(sample);
  });
  return out;
}

function parseLine(line: string): PromSample | null {
  const name = NAME.exec(line)?.[0];
  if (name === undefined) return null;
  let rest = line.slice(name.length);
  const labels: Record<string, string> = {};
  if (rest.startsWith('{')) {
    const end = parseLabels(rest, labels);
    if (end < 0) return null;
    rest = rest.slice(end);
  }
  const fields = rest.trim().split(/\s+/);
  if (fields.length < 1 || fields.length > 2 || !/^\s/.test(rest)) return null;
  const value = parseValue(fields[0] ?? '');
  return value === null ? null : { name, labels, value };
}

/** Reads `{a="x",b="y"}` at the start of `text` into `into`; returns the index after `}`, or -1. */
function parseLabels(text: string, into: Record<string, string>): number {
  let i = 1;
  for (let guard = 0; guard <= text.length; guard++) {
    while (text[i] === ' ') i++;
    if (text[i] === '}') return i + 1;
    const name = LABEL_NAME.exec(text.slice(i))?.[0];
    if (name === undefined) return -1;
    i += name.length;
    if (text[i] !== '=' || text[i + 1] !== '"') return -1;
    i += 2;
    let value = '';
    for (;;) {
      const c = text[i];
      if (c === undefined) return -1;
      i++;
      if (c === '"') break;
      if (c === '\\') {
        const escaped = ESCAPES[text[i] ?? ''];
        if (escaped === undefined) return -1;
        value += escaped;
        i++;
      } else {
        value += c;
      }
    }
    into[name] = value;
    if (text[i] === ',') i++;
    else if (text[i] !== '}') return -1;
  }
  return -1;
}

function parseValue(text: string): number | null {
  if (text === 'NaN') return NaN;
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) return null;
  return Number(text);
}
