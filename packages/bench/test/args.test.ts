import { describe, expect, it } from 'vitest';
import { BenchArgError, parseBenchArgs, resolveName } from '../src/args.js';

const KNOWN = ['aggregation', 'uneven', 'failover', 'stall', 'outage', 'open-latency', 'many-streams'];

describe('parseBenchArgs', () => {
  it('runs every scenario by default', () => {
    expect(parseBenchArgs([], KNOWN)).toEqual({ scenarios: KNOWN, quick: false, json: undefined, list: false, help: false });
  });

  it('runs the named scenarios in canonical order, once each', () => {
    expect(parseBenchArgs(['stall', 'aggregation', 'stall'], KNOWN).scenarios).toEqual(['aggregation', 'stall']);
  });

  it('skips the `--` that `pnpm bench -- names` passes on, and accepts comma lists', () => {
    expect(parseBenchArgs(['--', 'outage,uneven', '--quick'], KNOWN)).toMatchObject({ scenarios: ['uneven', 'outage'], quick: true });
  });

  it('takes --json with a separate or an attached value', () => {
    expect(parseBenchArgs(['--json', 'out.json'], KNOWN).json).toBe('out.json');
    expect(parseBenchArgs(['--json=x.json'], KNOWN).json).toBe('x.json');
    expect(() => parseBenchArgs(['--json'], KNOWN)).toThrow(BenchArgError);
  });

  it('rejects unknown options and scenario names with BENCH_ERR_BAD_ARG', () => {
    expect(() => parseBenchArgs(['--fast'], KNOWN)).toThrow(/unknown option --fast/);
    try {
      parseBenchArgs(['nonsense'], KNOWN);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(BenchArgError);
      expect((err as BenchArgError).code).toBe('BENCH_ERR_BAD_ARG');
    }
  });

  it('sets list and help', () => {
    expect(parseBenchArgs(['--list', '-h'], KNOWN)).toMatchObject({ list: true, help: true });
  });
});

describe('resolveName', () => {
  it('accepts a unique prefix, case-insensitively', () => {
    expect(resolveName('Agg', KNOWN)).toBe('aggregation');
    expect(resolveName('open', KNOWN)).toBe('open-latency');
  });

  it('prefers an exact name and refuses an ambiguous prefix', () => {
    expect(resolveName('stall', KNOWN)).toBe('stall');
    expect(() => resolveName('o', KNOWN)).toThrow(/ambiguous: outage, open-latency/);
  });
});
