// `pnpm bench [--] [scenario …] [--quick] [--json <file>] [--list]`: pure
// argument parsing. Names may be given in any order; a scenario name may be
// abbreviated to a unique prefix. Unknown names and flags are errors.

export class BenchArgError extends Error {
  readonly code = 'BENCH_ERR_BAD_ARG';
  constructor(message: string) {
    super(message);
    this.name = 'BenchArgError';
  }
}

export interface BenchArgs {
  /** Scenario names in the canonical order of `known`. */
  scenarios: string[];
  quick: boolean;
  /** Explicit JSON output path; default bench-results/<timestamp>.json. */
  json: string | undefined;
  list: boolean;
  help: boolean;
}

export function parseBenchArgs(argv: readonly string[], known: readonly string[]): BenchArgs {
  const picked = new Set<string>();
  const out: BenchArgs = { scenarios: [], quick: false, json: undefined, list: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') continue; // `pnpm bench -- names` passes the separator on
    if (arg === '--quick' || arg === '-q') out.quick = true;
    else if (arg === '--list') out.list = true;
    else if (arg === '--help' || arg === '-h') out.help = true;
    else if (arg === '--json' || arg.startsWith('--json=')) {
      const value = arg === '--json' ? argv[++i] : arg.slice('--json='.length);
      if (value === undefined || value === '' || value.startsWith('-')) throw new BenchArgError('--json needs a file name');
      out.json = value;
    } else if (arg.startsWith('-')) {
      throw new BenchArgError(`unknown option ${arg}`);
    } else {
      for (const name of arg.split(',').filter((s) => s !== '')) picked.add(resolveName(name, known));
    }
  }
  out.scenarios = picked.size === 0 ? [...known] : known.filter((k) => picked.has(k));
  return out;
}

/** An exact name, or the one known name it is a prefix of. */
export function resolveName(name: string, known: readonly string[]): string {
  const lower = name.toLowerCase();
  if (known.includes(lower)) return lower;
  const matches = known.filter((k) => k.startsWith(lower));
  if (matches.length === 1) return matches[0] as string;
  if (matches.length > 1) throw new BenchArgError(`'${name}' is ambiguous: ${matches.join(', ')}`);
  throw new BenchArgError(`unknown scenario '${name}' (known: ${known.join(', ')})`);
}
