// mpx-tunnel halves TurboFan's inlining budget at run time, and leaves the
// operator's value alone. Each case runs in its own node process (V8 flags
// are per process) and counts what TurboFan inlined into a function whose
// callees' bytecode adds up to more than either budget
// (`--trace-turbo-inlining`, fixtures/inlining-probe.mjs).
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { INLINING_BUDGET, V8_INLINING_BUDGET, inliningBudgetFlag } from '../src/inlining-budget.js';

const PROBE = fileURLToPath(new URL('./fixtures/inlining-probe.mjs', import.meta.url));

/**
 * What setInliningBudget() returned (when `set`), how many of the probe's six callees TurboFan inlined, and their
 * bytecode size. The probe's stdout is a file: V8 prints its trace with C's stdio, which loses the end of it when
 * stdout is a pipe that Node made non-blocking.
 */
function inlinedCallees(set: boolean, execArgv: string[] = []): { set: string; inlined: number; calleeBytes: number } {
  const dir = mkdtempSync(join(tmpdir(), 'mpx-inlining-'));
  try {
    const file = join(dir, 'trace.txt');
    const fd = openSync(file, 'w');
    try {
      const args = ['--allow-natives-syntax', '--trace-turbo-inlining', ...execArgv, PROBE, ...(set ? ['set'] : [])];
      execFileSync(process.execPath, args, { stdio: ['ignore', fd, 'inherit'] });
    } finally {
      closeSync(fd);
    }
    const [first = '{}', ...rest] = readFileSync(file, 'utf8').split('\n');
    const sizes = rest.map((line) => /bytecode size: (\d+)/.exec(line)?.[1]).filter((size) => size !== undefined);
    return {
      set: (JSON.parse(first) as { set: string }).set,
      inlined: rest.filter((line) => line.startsWith('Inlining ')).length,
      calleeBytes: Number(sizes[0] ?? 0),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('inliningBudgetFlag', () => {
  it("asks for the tunnel's budget unless the operator named the flag, in either spelling", () => {
    expect(inliningBudgetFlag([])).toBe(`--max-inlined-bytecode-size-cumulative=${INLINING_BUDGET}`);
    expect(inliningBudgetFlag(['--max-inlined-bytecode-size=100'])).toBe(`--max-inlined-bytecode-size-cumulative=${INLINING_BUDGET}`);
    expect(inliningBudgetFlag(['--max-inlined-bytecode-size-cumulative=2000'])).toBeUndefined();
    expect(inliningBudgetFlag(['--max_inlined_bytecode_size_cumulative=100'])).toBeUndefined();
  });
});

describe('the inlining budget in a node process', () => {
  it("is half of V8's own, so TurboFan inlines fewer callees once it is set", () => {
    expect(INLINING_BUDGET).toBe(V8_INLINING_BUDGET / 2);
    const before = inlinedCallees(false);
    const after = inlinedCallees(true);
    // The callees' sizes make the counts exact: floor(budget / size) of them fit.
    expect(before.calleeBytes).toBeGreaterThan(INLINING_BUDGET / 2);
    expect(before.calleeBytes).toBeLessThanOrEqual(V8_INLINING_BUDGET / 2);
    expect(before).toMatchObject({ set: 'undefined', inlined: Math.floor(V8_INLINING_BUDGET / before.calleeBytes) });
    expect(after).toMatchObject({
      set: `--max-inlined-bytecode-size-cumulative=${INLINING_BUDGET}`,
      inlined: Math.floor(INLINING_BUDGET / after.calleeBytes),
    });
    expect(after.inlined).toBeLessThan(before.inlined);
  });

  it("leaves the operator's budget alone", () => {
    const operator = inlinedCallees(true, ['--max-inlined-bytecode-size-cumulative=2000']);
    expect(operator.set).toBe('undefined');
    expect(operator.inlined).toBe(Math.min(6, Math.floor(2000 / operator.calleeBytes)));
  });
});
